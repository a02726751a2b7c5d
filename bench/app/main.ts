// The bench page (bench.html): runs the bench of every bench/entries file on this browser's adapter in a Web
// Worker (progress bar, Stop), shows the results grouped by file as a table and as roofline bar charts, downloads
// them in the CLI's JSON schema, and compares result files from other adapters or runs side by side.
import * as Comlink from 'comlink';
import { adapterLine, type AdapterReport } from '../../src/runtime/device';
import { describeRun, ENTRY_COLUMNS, entryCells } from '../format';
import { PEERS_FILE, validateOptions } from '../options';
import { PEER_COLUMNS, peerCells, peerComparison, peerTableHeading } from '../peers/table';
import { peerRowName } from '../peers/rows';
import { rooflineChart, speedupChart } from '../report/charts';
import { compareEntries, compareRuns, labelRuns } from '../report/compare';
import { BenchFileError, parseBenchJson, type LoadedBench } from '../report/schema';
import { kernelTable, MISSING, runNotes, runsTable, throughputTable, type Table } from '../report/tables';
import type { BenchOptions, BenchResult, EntryResult } from '../types';
import type { BenchEvent, BenchOutcome, BenchWorkerApi } from './worker';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

/** Narrower than the report's charts: two side by side on a desktop screen. */
const CHART_WIDTH = 660;

const NO_WEBGPU_ADVICE =
  'The bench times WebGPU kernels, and this browser gives the page no WebGPU adapter. Open it in a current desktop ' +
  'Chrome or Edge (113 or later); on Linux start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan (or turn on ' +
  'chrome://flags/#enable-unsafe-webgpu) and check chrome://gpu; on a machine without a GPU, ' +
  '--use-webgpu-adapter=swiftshader gives a CPU adapter (slow, but every entry runs).';

type Status = 'loading' | 'idle' | 'running' | 'stopping' | 'done' | 'stopped' | 'failed' | 'no WebGPU';

interface Download {
  name: string;
  text: string;
}

/** What the page holds (debug()): for tests, and for a look from the console. */
interface PageState {
  status: Status;
  progress: number;
  entries: EntryResult[];
  result: BenchResult | null;
  lastDownload: Download | null;
  downloads: number;
  compareErrors: string[];
  /** The compare view's runs, by source (file name). */
  compared: string[];
}

interface WorkerHandle {
  worker: Worker;
  api: Comlink.Remote<BenchWorkerApi>;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', className = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function chart(svg: string, name: string): HTMLElement {
  const box = element('div', '', 'chart');
  box.dataset.chart = name;
  box.innerHTML = svg; // our own SVG text, every label escaped (bench/report/charts.ts)
  return box;
}

/** A table from bench/report/tables.ts: rows carry data-entry, cells data-column (the header). */
function htmlTable(table: Table, kind: string): HTMLTableElement {
  const t = element('table');
  t.dataset.table = kind;
  const head = t.createTHead().insertRow();
  table.header.forEach((h, i) => head.append(element('th', h, table.numeric[i] ? 'numeric' : '')));
  const body = t.createTBody();
  for (const row of table.rows) {
    const tr = body.insertRow();
    tr.dataset.entry = row.key;
    row.cells.forEach((text, i) => {
      const td = element('td', text, [table.numeric[i] ? 'numeric' : '', text === MISSING ? 'missing' : ''].filter(Boolean).join(' '));
      td.dataset.column = table.header[i];
      tr.append(td);
    });
  }
  return t;
}

class BenchPage {
  private status: Status = 'loading';
  private adapter: AdapterReport | null = null;
  private files: string[] = [];
  /** The worker for the next (or current) run: each run gets a fresh one, and with it a fresh device. */
  private handle: WorkerHandle | null = null;
  private entries: EntryResult[] = [];
  /** Counts runs: progress arrives on its own message channel, so a late event of an ended run must be told apart. */
  private runId = 0;
  private result: BenchResult | null = null;
  private progress = 0;
  private compared: LoadedBench[] = [];
  private compareErrors: string[] = [];
  private lastDownload: Download | null = null;
  private downloads = 0;

  async init(): Promise<void> {
    $('#run').addEventListener('click', () => void this.run());
    $('#stop').addEventListener('click', () => void this.stop());
    $('#download').addEventListener('click', () => this.downloadResult());
    $<HTMLInputElement>('#compare-files').addEventListener('change', (e) => void this.loadFiles(e.target as HTMLInputElement));
    $('#compare-this').addEventListener('click', () => this.compareThisRun());
    $('#compare-clear').addEventListener('click', () => {
      this.compared = [];
      this.compareErrors = [];
      this.renderComparison();
    });
    this.setStatus('loading');
    if (!('gpu' in navigator) || !navigator.gpu) return this.noWebGpu('navigator.gpu is undefined');
    this.handle = this.startWorker();
    const init = await this.handle.api.init();
    if ('error' in init) return this.noWebGpu(init.error);
    this.adapter = init.adapter;
    this.files = init.files;
    $('#adapter').textContent = `adapter: ${adapterLine(init.adapter)}`;
    this.renderFileChoices();
    this.setStatus('idle');
  }

  private startWorker(): WorkerHandle {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    return { worker, api: Comlink.wrap<BenchWorkerApi>(worker) };
  }

  private noWebGpu(reason: string): void {
    const box = $('#no-webgpu');
    box.classList.add('shown');
    box.replaceChildren(element('strong', 'No WebGPU here, so nothing can be timed.'), element('p', NO_WEBGPU_ADVICE), element('p', `Reason: ${reason}`));
    this.setStatus('no WebGPU');
  }

  private renderFileChoices(): void {
    const box = $('#files');
    box.replaceChildren(element('span', 'entry files:'));
    for (const file of this.files) {
      const label = element('label');
      const input = element('input');
      input.type = 'checkbox';
      // The peers load TF.js and train its models beside onelayer's for minutes: only when asked for, as in the CLI.
      input.checked = file !== PEERS_FILE;
      input.value = file;
      label.append(input, file === PEERS_FILE ? ` ${file}.ts (TF.js peers: slow)` : ` ${file}.ts`);
      box.append(label);
    }
  }

  private options(): Partial<BenchOptions> {
    const mode = document.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value;
    const filter = $<HTMLInputElement>('#filter').value.trim();
    const files = [...document.querySelectorAll<HTMLInputElement>('#files input:checked')].map((i) => i.value);
    if (files.length === 0) throw new RangeError('choose at least one entry file');
    return validateOptions({
      quick: mode !== 'full',
      repeats: Number($<HTMLInputElement>('#repeats').value),
      warmup: Number($<HTMLInputElement>('#warmup').value),
      filter: filter === '' ? undefined : filter,
      files,
      tune: $<HTMLInputElement>('#tune').checked,
    });
  }

  async run(): Promise<void> {
    if (!this.adapter || this.status === 'running' || this.status === 'stopping') return;
    let options: Partial<BenchOptions>;
    try {
      options = this.options();
    } catch (e) {
      return this.message((e as Error).message);
    }
    this.message('');
    this.entries = [];
    this.result = null;
    this.progress = 0;
    $('#run-summary').textContent = '';
    $('#incomplete').textContent = '';
    this.renderResult();
    this.setStatus('running');
    this.showProgress(0, 'measuring the adapter limits');
    if (!this.handle) {
      this.handle = this.startWorker();
      const init = await this.handle.api.init();
      if ('error' in init) return this.noWebGpu(init.error);
    }
    const id = ++this.runId;
    const onEvent = (event: BenchEvent) => {
      if (id === this.runId) this.onEvent(event);
    };
    let outcome: BenchOutcome;
    try {
      outcome = await this.handle.api.run(options, Comlink.proxy(onEvent));
    } catch (e) {
      this.finishWorker();
      this.message((e as Error).message);
      this.setStatus('failed');
      return;
    }
    this.finishWorker();
    this.result = outcome.result;
    this.entries = [...outcome.result.entries];
    this.renderResult();
    if (outcome.error) {
      this.message(`The run failed: ${outcome.error}\nWhat finished before is shown (and downloads) marked incomplete.`);
      this.setStatus('failed');
    } else this.setStatus(outcome.result.incomplete ? 'stopped' : 'done');
    this.showProgress(outcome.result.incomplete ? this.progress : 1, `${this.entries.length} entries in ${outcome.result.seconds.toFixed(1)} s`);
  }

  /** The worker's device and the buffers its entries built go with it; its late progress events are ignored. */
  private finishWorker(): void {
    this.handle?.worker.terminate();
    this.handle = null;
    this.runId++;
  }

  private async stop(): Promise<void> {
    if (this.status !== 'running' || !this.handle) return;
    this.setStatus('stopping');
    this.showProgress(this.progress, 'stopping after the current entry');
    await this.handle.api.stop();
  }

  private onEvent(event: BenchEvent): void {
    if (event.kind === 'log') {
      if (this.status === 'running') this.showProgress(this.progress, `running: ${event.line}`);
      return;
    }
    const { progress } = event;
    this.progress = progress.fraction;
    if (progress.limits) $('#run-summary').textContent = `limits: ${progress.line}`;
    if (progress.entry) {
      this.entries.push(progress.entry);
      this.renderResult();
    }
    if (this.status === 'running') this.showProgress(progress.fraction, `${this.entries.length} entries done`);
  }

  private showProgress(fraction: number, text: string): void {
    $<HTMLProgressElement>('#progress').value = fraction;
    $('#progress-text').textContent = text;
  }

  private renderResult(): void {
    if (this.result) {
      $('#run-summary').textContent = describeRun(this.result).filter((line) => !line.startsWith('INCOMPLETE')).join('\n');
      $('#incomplete').textContent = this.result.incomplete ? `Incomplete: ${this.result.incomplete}` : '';
    }
    const table = $<HTMLTableElement>('#result-table');
    table.replaceChildren();
    const charts = $('#result-charts');
    charts.replaceChildren();
    this.renderPeers();
    if (this.entries.length === 0) return;
    const head = table.createTHead().insertRow();
    for (const column of ENTRY_COLUMNS) head.append(element('th', column.header, column.numeric ? 'numeric' : ''));
    for (const group of compareEntries([this.entries])) {
      const body = table.createTBody();
      body.dataset.file = group.file;
      const title = body.insertRow();
      title.className = 'group';
      const th = element('th', group.file);
      th.colSpan = ENTRY_COLUMNS.length;
      title.append(th);
      for (const compared of group.entries) {
        const entry = compared.entries[0]!;
        const tr = body.insertRow();
        tr.dataset.entry = entry.name;
        entryCells(entry).forEach((text, i) => {
          const td = element('td', text, ENTRY_COLUMNS[i].numeric ? 'numeric' : '');
          td.dataset.column = ENTRY_COLUMNS[i].key;
          tr.append(td);
        });
      }
      const svg = rooflineChart(group, [{ label: 'this run', source: 'this page' }], CHART_WIDTH);
      if (svg) charts.append(chart(svg, `roofline ${group.file}`));
    }
  }

  /** The peer comparison (the rows of bench/entries/peers.ts), under the result table, as the CLI prints it. */
  private renderPeers(): void {
    let box = document.querySelector<HTMLElement>('#peers');
    if (!box) {
      box = element('div');
      box.id = 'peers';
      $('#result-table').after(box);
    }
    box.replaceChildren();
    const rows = peerComparison(this.entries);
    if (rows.length === 0 || !this.adapter) return;
    const heading = element('div', peerTableHeading(this.adapter, this.entries).join('\n'));
    heading.style.whiteSpace = 'pre-wrap';
    const table: Table = {
      header: PEER_COLUMNS.map((c) => c.header),
      numeric: PEER_COLUMNS.map((c) => c.numeric),
      rows: rows.map((row) => ({ key: peerRowName(row.implementation, row.model, row.replicas), cells: peerCells(row) })),
    };
    box.append(element('h3', 'peers'), heading, htmlTable(table, 'peers'));
  }

  private setStatus(status: Status): void {
    this.status = status;
    $('#status').textContent = status;
    const busy = status === 'running' || status === 'stopping';
    $<HTMLButtonElement>('#run').disabled = !this.adapter || busy;
    $<HTMLButtonElement>('#stop').disabled = status !== 'running';
    $<HTMLButtonElement>('#download').disabled = !this.result;
    $<HTMLButtonElement>('#compare-this').disabled = !this.result;
  }

  private message(text: string): void {
    $('#message').textContent = text;
  }

  /** The result as the CLI writes it (`onelayer bench --out`). */
  private downloadResult(): void {
    if (!this.result) return;
    const stamp = this.result.date.replace(/[:.]/g, '-');
    const name = `onelayer-bench-${this.result.adapter.architecture || this.result.adapter.vendor || 'adapter'}-${stamp}.json`.replace(/[^\w.-]+/g, '-');
    this.download(name, `${JSON.stringify(this.result, null, 2)}\n`);
  }

  private download(name: string, text: string): void {
    this.lastDownload = { name, text };
    this.downloads++;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 0);
  }

  private async loadFiles(input: HTMLInputElement): Promise<void> {
    const chosen = [...(input.files ?? [])];
    input.value = ''; // the same file can be chosen again
    const errors: string[] = [];
    for (const file of chosen) {
      try {
        this.compared.push(parseBenchJson(await file.text(), file.name));
      } catch (e) {
        if (!(e instanceof BenchFileError)) throw e;
        errors.push(e.message);
      }
    }
    this.compareErrors = errors;
    this.renderComparison();
  }

  private compareThisRun(): void {
    if (!this.result) return;
    const when = this.result.date.slice(11, 19);
    this.compared.push({ source: `this page, ${when} UTC${this.result.incomplete ? ', incomplete' : ''}`, result: this.result, notes: [] });
    this.compareErrors = [];
    this.renderComparison();
  }

  private renderComparison(): void {
    $('#compare-errors').textContent = this.compareErrors.join('\n');
    const view = $('#compare-view');
    view.replaceChildren();
    if (this.compared.length === 0) return;
    const comparison = compareRuns(labelRuns(this.compared));
    const { runs } = comparison;
    view.append(htmlTable(runsTable(comparison), 'runs'));
    const notes = runNotes(comparison);
    if (notes.length) {
      const list = element('ul');
      for (const note of notes) list.append(element('li', note));
      view.append(list);
    }
    for (const group of comparison.groups) {
      const section = element('div');
      section.dataset.file = group.file;
      section.append(element('h3', group.file));
      const kernels = kernelTable(group, runs);
      if (kernels) section.append(htmlTable(kernels, 'kernels'));
      const throughput = throughputTable(group, runs);
      if (throughput) section.append(htmlTable(throughput, 'throughput'));
      const charts = element('div', '', 'charts');
      const roofline = rooflineChart(group, runs, CHART_WIDTH);
      if (roofline) charts.append(chart(roofline, `roofline ${group.file}`));
      const speedup = speedupChart(group, runs, CHART_WIDTH);
      if (speedup) charts.append(chart(speedup, `speedup ${group.file}`));
      section.append(charts);
      view.append(section);
    }
  }

  debug(): PageState {
    return {
      status: this.status, progress: this.progress, entries: this.entries, result: this.result, lastDownload: this.lastDownload,
      downloads: this.downloads, compareErrors: this.compareErrors, compared: this.compared.map((c) => c.source),
    };
  }
}

const page = new BenchPage();
(globalThis as unknown as { onelayerBench: BenchPage }).onelayerBench = page;
void page.init();
