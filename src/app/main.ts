// The training page: choose a preset, edit its settings (form generated from the model's schema), train in a
// Web Worker and watch the metrics and the model-specific views update live. The URL carries the preset and
// every setting that differs from it, so a run can be shared as a link.
import * as Comlink from 'comlink';
import 'uplot/dist/uPlot.min.css';
import { validateConfig } from '../config/schema';
import type { FigureSpec, MetricRecord, Preset, ResultTable } from '../engine/types';
import { adapterLine, type AdapterReport } from '../runtime/device';
import { HeatMap, LineChart, REPLICA_COLORS, type Figure, type FigureData, type LineSpec } from './charts';
import { buildSettingsForm, formatFieldValue, parseFieldText, type SettingsForm } from './form';
import { findPreset, models, presets } from '../models/registry';
import { tokenLayout, type ScanSnapDataSettings } from '../models/scansnap/data';
import type { ModelView, TransformerView } from './views';
import type { EngineApi, EngineStatus, EngineUpdate, RunSettings } from './worker';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

const NO_WEBGPU_ADVICE =
  'onelayer trains on the GPU through WebGPU, and this browser does not give the page a WebGPU adapter. ' +
  'What to do: open the page in a current desktop Chrome or Edge (version 113 or later); on Linux start Chrome with ' +
  '--enable-unsafe-webgpu --enable-features=Vulkan (or turn on chrome://flags/#enable-unsafe-webgpu) and check ' +
  'chrome://gpu for "WebGPU: Hardware accelerated"; on a machine without a GPU add --use-webgpu-adapter=swiftshader ' +
  '(slow, for trying things out). Firefox and Safari need WebGPU enabled in their settings.';

interface Download { name: string; text: string }

/** Titles for the metrics the models report; any other metric is titled by its name. */
const METRIC_TITLES: Record<string, string> = {
  loss: 'training loss (batch mean)',
  trainError: 'training error (batch)',
  testError: 'test error (unseen tasks)',
  testHinge: 'test hinge loss (unseen tasks)',
  attention: 'attention concentration on same-pattern contexts (test set)',
  smallNeuronFraction: 'fraction of small W_O rows',
  neuronNormGap: 'widest gap between sorted W_O row norms',
  entropy: 'distinct-token entropy of c_n (nats, mean over n)',
  distinctMass: 'attention mass on distinct tokens',
  commonMass: 'attention mass on common tokens',
  evalLoss: 'validation loss (held-out text)',
  perplexity: 'validation perplexity',
  gradNorm: 'gradient norm (before clipping)',
  paramNorm: 'parameter norm',
};

/** The transformer's per-layer attention metrics (SPEC §4), by prefix. */
const LAYER_METRIC_TITLES: Record<string, string> = {
  entropy: 'attention entropy of the fixed sample (nats)',
  change: 'freezing: relative change of the attention since the last point',
  moved: 'freezing: fraction of query rows whose most-attended key moved',
};

function metricTitle(metric: string): string {
  const layer = /^(\w+)\.l(\d+)$/.exec(metric);
  if (layer && LAYER_METRIC_TITLES[layer[1]]) return `${LAYER_METRIC_TITLES[layer[1]]}, layer ${layer[2]}`;
  return METRIC_TITLES[metric] ?? `${metric} over training`;
}

/** Per-step columns of one metric: x = steps, one column per replica (null where a replica has no value). */
function metricColumns(records: MetricRecord[], metric: string, replicas: number): { x: number[]; ys: (number | null)[][] } {
  const byStep = new Map<number, (number | null)[]>();
  for (const rec of records) {
    if (!(metric in rec)) continue;
    let row = byStep.get(rec.step);
    if (!row) byStep.set(rec.step, (row = new Array<number | null>(replicas).fill(null)));
    row[rec.replica] = rec[metric];
  }
  const x = [...byStep.keys()].sort((a, b) => a - b);
  return { x, ys: Array.from({ length: replicas }, (_, r) => x.map((s) => byStep.get(s)![r])) };
}

function withSpread(ys: (number | null)[][]): (number | null)[][] {
  const columns = ys[0]?.map((_, i) => ys.map((y) => y[i]).filter((v): v is number => v !== null && Number.isFinite(v))) ?? [];
  const stat = (f: (v: number[]) => number) => columns.map((c) => (c.length ? f(c) : null));
  return [...ys, stat((c) => c.reduce((a, b) => a + b, 0) / c.length), stat((c) => Math.max(...c)), stat((c) => Math.min(...c))];
}

function replicaLines(replicas: number): LineSpec[] {
  const lines: LineSpec[] = Array.from({ length: replicas }, (_, r) => ({ label: `replica ${r}`, color: REPLICA_COLORS[r % REPLICA_COLORS.length], width: replicas > 1 ? 1 : 2 }));
  if (replicas > 1) lines.push({ label: 'mean', color: '#000', width: 2.5 }, { label: 'max', color: '#000', hidden: true }, { label: 'min', color: '#000', hidden: true });
  return lines;
}

class App {
  private preset: Preset;
  private form!: SettingsForm;
  private readonly engine: Comlink.Remote<EngineApi>;
  private status: EngineStatus = 'idle';
  private step = 0;
  /** The learning-rate keys of the current run (its trainer's), shown as fields while it is paused. */
  private rateKeys: string[] = [];
  private replicas = 1;
  private records: MetricRecord[] = [];
  private views: ModelView[] = [];
  private tables: Record<string, ResultTable> = {};
  private figures = new Map<string, Figure>();
  private adapter: AdapterReport | null = null;
  private lastDownload: Download | null = null;
  private downloads = 0;
  private redrawQueued = false;
  private settings: RunSettings | null = null;
  /** The attention map shows the latest view until its step slider is moved back. */
  private mapFollowsLatest = true;

  constructor(worker: Worker) {
    this.engine = Comlink.wrap<EngineApi>(worker);
    const params = new URLSearchParams(location.search);
    const wanted = params.get('preset');
    this.preset = presets.find((p) => p.name === wanted) ?? presets[0];
    this.buildSide();
    const overrides: Record<string, unknown> = {};
    const schema = models[this.preset.model].schema;
    const unknown: string[] = [];
    for (const [key, text] of params) {
      if (key in schema) overrides[key] = parseFieldText(schema[key], text);
      else if (key !== 'preset' && key !== 'tune') unknown.push(`'${key}'`);
    }
    // tune=0 in the link: the adapter class's default kernel variants (see RunSettings.tune).
    $<HTMLInputElement>('#tune').checked = params.get('tune') !== '0';
    this.form.setValues({ ...this.baseline(), ...overrides });
    const problems: string[] = [];
    if (wanted && wanted !== this.preset.name) problems.push(`unknown preset '${wanted}' in the link; showing '${this.preset.name}'`);
    if (unknown.length) problems.push(`the link's ${unknown.join(', ')} ${unknown.length > 1 ? 'are not settings' : 'is not a setting'} of ${this.preset.model} (ignored)`);
    this.message(problems.join('\n'));
  }

  async init(): Promise<void> {
    if (!('gpu' in navigator) || !navigator.gpu) return this.noWebGpu('navigator.gpu is undefined');
    const result = await this.engine.init();
    if ('error' in result) return this.noWebGpu(result.error);
    this.adapter = result.adapter;
    $('#adapter').textContent = `adapter: ${adapterLine(result.adapter)}`;
    this.setStatus('idle');
  }

  private noWebGpu(reason: string): void {
    const box = $('#no-webgpu');
    box.classList.add('shown');
    box.innerHTML = `<strong>No WebGPU here, so nothing can train.</strong><p></p><p class="reason"></p>`;
    box.querySelector('p')!.textContent = NO_WEBGPU_ADVICE;
    box.querySelector('.reason')!.textContent = `Reason: ${reason}`;
    this.setStatus('error');
    $('#status').textContent = 'no WebGPU';
  }

  /** The preset's settings over the schema defaults (what the URL leaves out). */
  private baseline(): Record<string, unknown> {
    const schema = models[this.preset.model].schema;
    const base: Record<string, unknown> = Object.fromEntries(Object.entries(schema).map(([k, s]) => [k, s.default]));
    if ('steps' in schema) base.steps = this.preset.steps;
    if ('metricsEvery' in schema) base.metricsEvery = this.preset.metricsEvery;
    return { ...base, ...this.preset.config };
  }

  private buildSide(): void {
    const side = $('#side');
    side.innerHTML = `
      <label>preset <select id="preset"></select></label>
      <p id="preset-description"></p>
      <div class="controls">
        <button id="start">Start</button><button id="pause">Pause</button><button id="resume">Resume</button>
        <button id="step">Step</button><input id="step-count" type="number" min="1" value="1" title="steps per click"><button id="reset">Reset</button><button id="evaluate">Evaluate</button>
      </div>
      <label class="tune" title="Off: the adapter class's default kernel variants, nothing timed (the CLI's --no-tune)"><input id="tune" type="checkbox" checked> time kernel variants for new shapes (cached in this browser)</label>
      <div class="rates"><strong>learning rates</strong> (change while paused, then resume)<div id="rate-fields"></div>
        <button id="apply-rates">Apply</button> <span id="rate-status"></span></div>
      <div class="exports">
        <button id="export-csv">Metrics CSV</button><button id="export-jsonl">Metrics JSONL</button>
        <button id="export-params">Params JSON</button>
        <label>load params <input id="load-params" type="file" accept=".json,application/json"></label>
      </div>
      <div id="message"></div>
      <div id="form"></div>`;
    const select = $<HTMLSelectElement>('#preset');
    for (const p of presets) select.add(new Option(`${p.name} (${p.model})`, p.name));
    select.value = this.preset.name;
    select.addEventListener('change', () => {
      this.preset = findPreset(select.value) ?? this.preset;
      this.renderForm();
      this.form.setValues(this.baseline());
      this.syncUrl();
    });
    $('#tune').addEventListener('change', () => this.syncUrl());
    $('#start').addEventListener('click', () => void this.start());
    $('#pause').addEventListener('click', () => void this.act(() => this.engine.pause()));
    $('#resume').addEventListener('click', () => void this.act(() => this.engine.resume()));
    $('#step').addEventListener('click', () => void this.act(() => this.engine.step(Number($<HTMLInputElement>('#step-count').value))));
    $('#reset').addEventListener('click', () => void this.act(async () => { await this.engine.reset(); this.clearFigures(); }));
    $('#evaluate').addEventListener('click', () => void this.act(() => this.engine.evaluate()));
    $('#apply-rates').addEventListener('click', () => void this.applyRates());
    $('#export-csv').addEventListener('click', () => this.download('metrics.csv', this.metricsCsv()));
    $('#export-jsonl').addEventListener('click', () => this.download('metrics.jsonl', this.metricsJsonl()));
    $('#export-params').addEventListener('click', () => void this.act(async () => this.download('params.json', JSON.stringify(await this.engine.exportParams()))));
    $<HTMLInputElement>('#load-params').addEventListener('change', (e) => {
      const file = (e.target as HTMLInputElement).files?.[0];
      if (file) void this.act(async () => this.showEvaluation(await this.engine.loadParams(JSON.parse(await file.text()))));
    });
    this.renderForm();
  }

  private renderForm(): void {
    const model = models[this.preset.model];
    $('#preset-description').textContent = this.preset.description;
    this.form = buildSettingsForm(model.schema, this.baseline(), (c) => [...model.check(c, this.adapter?.limits), ...(this.preset.check?.(c) ?? [])], () => {
      void this.prepareCorpus().then(() => this.form.validate() && this.syncUrl());
    });
    $('#form').replaceChildren(this.form.element);
    this.renderRateFields({});
  }

  /** Data the checks read (a text corpus) is fetched once first; the checks then read it from memory. */
  private async prepareCorpus(): Promise<void> {
    try {
      await models[this.preset.model].prepare?.(this.form.values());
    } catch (e) {
      this.message((e as Error).message);
    }
  }

  /**
   * The learning-rate fields of the current run: the keys its trainer accepts while paused (not etaYRatio, say: etaY
   * is derived from it once, and shown as such), filled with the trainer's values.
   */
  private renderRateFields(values: Record<string, number[]>): void {
    const keys = Object.keys(values);
    this.rateKeys = keys;
    const rates = $('#rate-fields');
    rates.replaceChildren();
    for (const key of keys) {
      const row = document.createElement('div');
      row.className = 'field';
      row.innerHTML = `<label for="rate-${key}">${key}</label><input id="rate-${key}" type="text"><div class="field-error" id="rate-error-${key}"></div>`;
      rates.append(row);
      $<HTMLInputElement>(`#rate-${key}`).value = formatFieldValue(values[key].every((v) => v === values[key][0]) ? values[key][0] : values[key]);
    }
    $('#rate-status').textContent = keys.length ? '' : 'start a run to change its learning rates';
  }

  private syncUrl(): void {
    const base = this.baseline();
    const params = new URLSearchParams({ preset: this.preset.name });
    for (const [key, value] of Object.entries(this.form.values())) {
      if (formatFieldValue(value) !== formatFieldValue(base[key])) params.set(key, formatFieldValue(value));
    }
    if (!$<HTMLInputElement>('#tune').checked) params.set('tune', '0');
    history.replaceState(null, '', `${location.pathname}?${params}`);
  }

  private async act(action: () => Promise<unknown>): Promise<void> {
    this.message('');
    try {
      await action();
    } catch (e) {
      this.message((e as Error).message);
    }
  }

  private message(text: string): void {
    $('#message').textContent = text;
  }

  /** Validates the form (messages beside the fields); only a valid config starts a run. */
  async start(): Promise<void> {
    await this.prepareCorpus();
    const config = this.form.validate();
    if (!config || !this.adapter) return;
    this.syncUrl();
    const steps = Number(config.steps ?? this.preset.steps);
    const metricsEvery = Number(config.metricsEvery ?? this.preset.metricsEvery);
    // Views cost one state readback each: about 50 of them per run, on metrics points.
    const every = metricsEvery > 0 ? metricsEvery : Math.max(1, steps);
    const viewEvery = Math.max(every, Math.ceil(steps / 50 / every) * every);
    this.settings = { preset: this.preset.name, config, steps, metricsEvery, viewEvery, tune: $<HTMLInputElement>('#tune').checked };
    this.replicas = Number(config.replicas ?? 1);
    this.clearFigures();
    this.setStatus('starting');
    let started = false;
    await this.act(async () => {
      await this.engine.start(this.settings!, Comlink.proxy((u: EngineUpdate) => this.onUpdate(u)));
      started = true;
      this.renderRateFields(await this.engine.learningRates());
    });
    if (!started) this.setStatus('idle');
  }

  private async applyRates(): Promise<void> {
    const schema = models[this.preset.model].schema;
    const rates: Record<string, number[]> = {};
    let ok = true;
    for (const key of this.rateKeys) {
      const value = parseFieldText(schema[key], $<HTMLInputElement>(`#rate-${key}`).value);
      const { errors } = validateConfig({ [key]: schema[key], replicas: schema.replicas }, { [key]: value, replicas: this.replicas });
      $(`#rate-error-${key}`).textContent = errors.map((e) => e.message).join('; ');
      if (errors.length) ok = false;
      else rates[key] = Array.isArray(value) ? (value as number[]) : new Array<number>(this.replicas).fill(value as number);
    }
    if (!ok) return;
    $('#rate-status').textContent = '';
    await this.act(async () => {
      await this.engine.setLearningRates(rates);
      $('#rate-status').textContent = `applied at step ${this.step}`;
    });
  }

  private onUpdate(update: EngineUpdate): void {
    switch (update.kind) {
      case 'metrics':
        this.records.push(...update.records);
        break;
      case 'view':
        this.views.push(update.view);
        break;
      case 'analysis':
        this.tables = update.tables;
        break;
      case 'evaluation':
        this.showEvaluation(update.records);
        return;
      case 'status':
        // The worker reports a status after the records and views of a chunk: when it says paused or done,
        // the figures already show everything up to that point.
        this.flushRedraw();
        this.step = update.step;
        this.setStatus(update.status, update.message);
        $('#throughput').textContent = `step ${update.step} / ${this.settings?.steps ?? '?'} · ${update.stepsPerSecond.toFixed(1)} steps/s · ${this.throughputText(update.promptsPerSecond)}`;
        return;
    }
    this.queueRedraw();
  }

  /** Prompts (ICL), tokens (transformer: sequences × T) or sequences per second. */
  private throughputText(sequencesPerSecond: number): string {
    if (this.preset.model === 'icl') return `${Math.round(sequencesPerSecond).toLocaleString('en')} prompts/s`;
    if (this.preset.model === 'transformer') return `${Math.round(sequencesPerSecond * Number(this.settings?.config.T ?? 1)).toLocaleString('en')} tokens/s`;
    return `${Math.round(sequencesPerSecond).toLocaleString('en')} sequences/s`;
  }

  private showEvaluation(records: MetricRecord[]): void {
    this.message(`evaluation at step ${records[0]?.step ?? this.step}: ` + records.map((r) => Object.entries(r).filter(([k]) => k !== 'step').map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`).join(', ')).join(' | '));
  }

  private setStatus(status: EngineStatus, message?: string): void {
    this.status = status;
    $('#status').textContent = status;
    if (message) this.message(message);
    const has = (s: EngineStatus[]) => s.includes(status);
    $<HTMLButtonElement>('#start').disabled = !this.adapter;
    $<HTMLButtonElement>('#pause').disabled = !has(['starting', 'running']);
    $<HTMLButtonElement>('#resume').disabled = !has(['paused']);
    $<HTMLButtonElement>('#step').disabled = !has(['paused']);
    $<HTMLButtonElement>('#apply-rates').disabled = !has(['paused', 'done']);
    $<HTMLButtonElement>('#evaluate').disabled = !has(['paused', 'done']);
  }

  private queueRedraw(): void {
    if (this.redrawQueued) return;
    this.redrawQueued = true;
    requestAnimationFrame(() => this.flushRedraw());
  }

  private flushRedraw(): void {
    if (!this.redrawQueued) return;
    this.redrawQueued = false;
    this.redraw();
  }

  private figure<F extends Figure>(name: string, make: () => F): F {
    let fig = this.figures.get(name) as F | undefined;
    if (!fig) {
      fig = make();
      this.figures.set(name, fig);
      const exports = document.createElement('span');
      exports.className = 'export';
      exports.innerHTML = `<a href="#" data-format="png">PNG</a> <a href="#" data-format="svg">SVG</a>`;
      exports.addEventListener('click', (e) => {
        e.preventDefault();
        const format = (e.target as HTMLElement).dataset.format;
        if (format === 'png') this.download(`${name}.png`, fig!.png());
        if (format === 'svg') this.download(`${name}.svg`, fig!.svg());
      });
      fig.element.append(exports);
      // Model views first, then metrics over training, then the post-training analysis.
      fig.element.style.order = name.startsWith('table-') ? '2' : name.startsWith('metric-') ? '1' : '0';
      $('#figures').append(fig.element);
    }
    return fig;
  }

  private dropFigure(name: string): void {
    this.figures.get(name)?.destroy();
    this.figures.delete(name);
  }

  private redraw(): void {
    // Dotted names (per-token and per-next-token details such as c.n0.t12) get their own figures, not one each.
    // The transformer's per-layer metrics (entropy.l0, change.l0, moved.l0) are dotted too, but one chart each.
    const names = [...new Set(this.records.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'step' && k !== 'replica' && (!k.includes('.') || /\.l\d+$/.test(k)));
    const R = this.replicas;
    for (const metric of names) {
      const chart = this.figure(`metric-${metric}`, () =>
        new LineChart(`metric-${metric}`, metricTitle(metric), replicaLines(R), { xLabel: 'step', yLabel: metric, band: R > 1 ? ['max', 'min'] : undefined }));
      const { x, ys } = metricColumns(this.records, metric, R);
      chart.setData(x, R > 1 ? withSpread(ys) : ys);
    }
    const latest = this.views[this.views.length - 1];
    if (latest?.kind === 'icl') this.drawIcl(this.views as typeof latest[], R);
    if (latest?.kind === 'scansnap') this.drawScanSnap(this.views as (typeof latest)[]);
    if (latest?.kind === 'transformer') this.drawTransformer(this.views as TransformerView[]);
    this.drawCn();
    this.drawTables();
  }

  private snapshots<V extends ModelView>(views: V[], limit = 40): V[] {
    const every = Math.ceil(views.length / limit);
    return views.filter((_, i) => i % every === 0 || i === views.length - 1);
  }

  private drawIcl(views: Extract<ModelView, { kind: 'icl' }>[], R: number): void {
    const latest = views[views.length - 1];
    const shown = this.snapshots(views);
    this.figure('attention', () => new HeatMap('attention', 'attention of a sample prompt (replica 0; ▼ = same pattern as the query)', 'context example →; rows: step'))
      .setData({ rowLabels: shown.map((v) => String(v.step)), values: shown.map((v) => v.attention[0]), marked: latest.samePattern });
    if (this.records.some((r) => 'attention' in r)) this.dropFigure('concentration');
    else if (this.records.length > 0) this.drawSampleConcentration(views, R);
    const norms = this.figure('neuron-norms', () => new LineChart('neuron-norms', 'sorted ‖W_O row‖ (neuron magnitudes)', replicaLines(R), { xLabel: 'neuron rank', yLabel: 'norm' }));
    const rankYs = latest.neuronNorms.map((n) => n.slice());
    norms.setData(rankYs[0].map((_, j) => j), R > 1 ? withSpread(rankYs) : rankYs);
  }

  /** Without test-set metrics (evalTest off), the sample prompt's concentration stands in for the test set's. */
  private drawSampleConcentration(views: Extract<ModelView, { kind: 'icl' }>[], R: number): void {
    const concentration = this.figure('concentration', () => new LineChart('concentration', 'attention on same-pattern contexts (sample prompt)', replicaLines(R), { xLabel: 'step', yLabel: 'concentration', band: R > 1 ? ['max', 'min'] : undefined }));
    const ys = Array.from({ length: R }, (_, r) => views.map((v) => v.concentration[r]));
    concentration.setData(views.map((v) => v.step), R > 1 ? withSpread(ys) : ys);
  }

  private drawScanSnap(views: Extract<ModelView, { kind: 'scansnap' }>[]): void {
    const latest = views[views.length - 1];
    const shown = this.snapshots(views);
    this.figure('z-row', () => new HeatMap('z-row', 'Z row of query ψ(0) (replica 0)', 'token id →; rows: step'))
      .setData({ rowLabels: shown.map((v) => String(v.step)), values: shown.map((v) => v.zRow[0]), groups: latest.groups });
  }

  /**
   * The sample sequence's attention (tokens on both axes: query rows, key columns) at a chosen view step, layer,
   * head and replica; the selectors sit above the map and default to the latest step.
   */
  private drawTransformer(views: TransformerView[]): void {
    const latest = views[views.length - 1];
    const fig = this.figure('attention-map', () => {
      const map = new HeatMap('attention-map', 'attention of the sample sequence (rows: query token, columns: key token)', 'key token →', { width: 600, height: 600, left: 90, bottom: 90 });
      const bar = document.createElement('div');
      bar.className = 'map-controls';
      bar.innerHTML = `<label>step <input id="map-step" type="range" min="0" value="0"></label> <span id="map-step-value"></span>
        <label>layer <select id="map-layer"></select></label> <label>head <select id="map-head"></select></label> <label>replica <select id="map-replica"></select></label>`;
      map.element.insertBefore(bar, map.element.children[1]);
      bar.addEventListener('input', () => {
        this.mapFollowsLatest = (bar.querySelector('#map-step') as HTMLInputElement).valueAsNumber === Number((bar.querySelector('#map-step') as HTMLInputElement).max);
        this.queueRedraw();
      });
      return map;
    });
    const control = <T extends HTMLElement>(id: string) => fig.element.querySelector(`#${id}`) as T;
    const fill = (id: string, count: number) => {
      const select = control<HTMLSelectElement>(id);
      if (select.options.length === count) return;
      select.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(String(i), String(i))));
    };
    fill('map-layer', latest.attention[0].length);
    fill('map-head', latest.attention[0][0].length);
    fill('map-replica', latest.attention.length);
    const slider = control<HTMLInputElement>('map-step');
    slider.max = String(views.length - 1);
    if (this.mapFollowsLatest) slider.value = slider.max;
    const view = views[Math.min(slider.valueAsNumber, views.length - 1)];
    control('map-step-value').textContent = `${view.step}`;
    const [layer, head, replica] = ['map-layer', 'map-head', 'map-replica'].map((id) => Number(control<HTMLSelectElement>(id).value || 0));
    const labels = view.labels.map((w, t) => `${t} ${w}`);
    fig.setData({ rowLabels: labels, colLabels: labels, values: view.attention[replica][layer][head] });
  }

  /** c_{l|n} of next token 0 per allowed token (the model's `c.n0.t<id>` metrics), replica 0. */
  private drawCn(): void {
    if (!this.settings || this.preset.model !== 'scansnap') return;
    const layout = tokenLayout(this.settings.config as unknown as ScanSnapDataSettings);
    const tokens = layout.allowed(0);
    if (!this.records.some((r) => `c.n0.t${tokens[0]}` in r)) return;
    const p = layout.probabilities(0);
    const distinctCount = tokens.length - layout.numCommon;
    const lines: LineSpec[] = tokens.map((id, i) => {
      const rank = (i - layout.numCommon) / Math.max(1, distinctCount - 1);
      return i >= layout.numCommon
        ? { label: `distinct ${id} (P ${p[i].toFixed(3)})`, color: `hsl(${10 + 40 * rank}, 85%, ${62 - 25 * rank}%)`, width: 1.5 }
        : { label: `common ${id}`, color: '#7a8ca8', width: 1, dash: [4, 3] };
    });
    const chart = this.figure('cn', () => new LineChart('cn', 'c_n per token, next token 0 (replica 0): distinct warm (darker = more frequent), common grey-blue', lines, { xLabel: 'step', yLabel: 'c_{l|n}', logY: true, height: 280 }));
    const replica0 = this.records.filter((r) => r.replica === 0 && `c.n0.t${tokens[0]}` in r);
    chart.setData(replica0.map((r) => r.step), tokens.map((id) => replica0.map((r) => r[`c.n0.t${id}`])));
  }

  /** Figures of the preset's analysis tables (e.g. pruning curves after training), one line per column and replica. */
  private drawTables(): void {
    for (const spec of this.preset.figures) {
      const table = this.tables[spec.source];
      if (spec.source === 'metrics' || !table) continue;
      const col = (name: string) => table.columns.indexOf(name);
      const replicaCol = col('replica');
      const replicaIds = replicaCol < 0 ? [0] : [...new Set(table.rows.map((row) => row[replicaCol]))];
      const x = [...new Set(table.rows.map((row) => row[col(spec.x)]))].sort((a, b) => a - b);
      const lines: LineSpec[] = [];
      const ys: (number | null)[][] = [];
      spec.y.forEach((name, k) => {
        for (const r of replicaIds) {
          lines.push({ label: replicaIds.length > 1 ? `${name} r${r}` : name, color: REPLICA_COLORS[k % REPLICA_COLORS.length], width: 2, dash: r > 0 ? [6, 3] : undefined });
          const rows = table.rows.filter((row) => replicaCol < 0 || row[replicaCol] === r);
          ys.push(x.map((v) => rows.find((row) => row[col(spec.x)] === v)?.[col(name)] ?? null));
        }
      });
      const figName = `table-${spec.file.replace(/\.\w+$/, '')}`;
      this.figure(figName, () => new LineChart(figName, spec.title, lines, { xLabel: spec.x, yLabel: spec.yLabel, logY: spec.logY }))
        .setData(x, ys);
    }
  }

  private clearFigures(): void {
    for (const fig of this.figures.values()) fig.destroy();
    this.figures.clear();
    this.records = [];
    this.views = [];
    this.tables = {};
    this.mapFollowsLatest = true;
  }

  metricsCsv(): string {
    const keys = ['step', 'replica', ...new Set(this.records.flatMap((r) => Object.keys(r).filter((k) => k !== 'step' && k !== 'replica')))];
    return [keys.join(','), ...this.records.map((r) => keys.map((k) => (k in r ? String(r[k]) : '')).join(','))].join('\n') + '\n';
  }

  metricsJsonl(): string {
    return this.records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  }

  private download(name: string, content: string): void {
    this.lastDownload = { name, text: content };
    this.downloads++;
    const a = document.createElement('a');
    a.href = content.startsWith('data:') ? content : URL.createObjectURL(new Blob([content], { type: 'text/plain' }));
    a.download = name;
    a.click();
  }

  /** What the page shows, for tests and for a look from the console. */
  debug(): { status: EngineStatus; step: number; records: MetricRecord[]; figures: Record<string, FigureData>; views: ModelView[]; tables: Record<string, ResultTable>; lastDownload: Download | null; downloads: number } {
    return {
      status: this.status, step: this.step, records: this.records, views: this.views, tables: this.tables, lastDownload: this.lastDownload, downloads: this.downloads,
      figures: Object.fromEntries([...this.figures].map(([name, fig]) => [name, fig.data()])),
    };
  }

  /** The figures the current preset names (the page draws each: metrics as charts, tables after training). */
  presetFigures(): FigureSpec[] {
    return this.preset.figures;
  }

  /** Every record the worker delivered (the charts must show exactly these). */
  workerMetrics(): Promise<MetricRecord[]> {
    return this.engine.metrics();
  }

  /** The worker's kernel-variant choices of the last run, and its tuning cache's key. */
  workerTuning() {
    return this.engine.tuningState();
  }

  /** The worker's current learning rates, per replica. */
  workerLearningRates(): Promise<Record<string, number[]>> {
    return this.engine.learningRates();
  }
}

const app = new App(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }));
(globalThis as unknown as { onelayerApp: App }).onelayerApp = app;
void app.init();
