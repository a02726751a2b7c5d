// The training engine in a Web Worker, driven from the page through comlink. Training runs in chunks of
// `viewEvery` steps: metrics stream out of each chunk through the trainer's onMetrics (no readback per step),
// and between chunks the worker reads the trainer state once to compute the model-specific views.
import * as Comlink from 'comlink';
import '../runtime/env-browser';
import { getContext, type GpuContext } from '../runtime/context';
import { adapterLine } from '../runtime/device';
import { Tuner, withTuner, type TuneChoice } from '../runtime/tuner';
import { readTuningStore, saveTuningStore } from './tuningStore';
import type { AdapterReport } from '../runtime/device';
import { parseConfig } from '../config/schema';
import type { MetricRecord, ResultTable, Trainer } from '../engine/types';
import { stateToParamsJson } from '../engine/params';
import { findPreset, models } from '../models/registry';
import { withLoadedParams } from './params';
import type { IclConfig } from '../models/icl/config';
import type { ScanSnapDataSettings } from '../models/scansnap/data';
import { iclView, scanSnapView, transformerView, type ModelView } from './views';

export interface RunSettings {
  preset: string;
  config: Record<string, unknown>;
  steps: number;
  metricsEvery: number;
  /** Views (model-specific snapshots) every this many steps; a multiple of metricsEvery reads best. */
  viewEvery: number;
  /**
   * Time the kernel variants of shapes this browser has not seen on this adapter (the choices cached in IndexedDB);
   * false: the adapter class's defaults, nothing timed or cached (the CLI's --no-tune). Default true.
   */
  tune?: boolean;
}

export type EngineStatus = 'idle' | 'starting' | 'running' | 'paused' | 'analyzing' | 'done' | 'error';

export type EngineUpdate =
  | { kind: 'metrics'; records: MetricRecord[] }
  | { kind: 'view'; view: ModelView }
  | { kind: 'status'; status: EngineStatus; step: number; stepsPerSecond: number; promptsPerSecond: number; message?: string }
  | { kind: 'analysis'; tables: Record<string, ResultTable> }
  | { kind: 'evaluation'; records: MetricRecord[] };

type Listener = (update: EngineUpdate) => void;

class Engine {
  private ctx: GpuContext | null = null;
  private trainer: Trainer | null = null;
  private settings: RunSettings | null = null;
  private config: Record<string, unknown> = {};
  private listener: Listener | null = null;
  private control = { stop: false };
  /** The control of a run whose trainer is still being built (a pause then applies to it). */
  private starting: { stop: boolean } | null = null;
  private loop: Promise<void> | null = null;
  private records: MetricRecord[] = [];
  private trainSeconds = 0;
  /** The kernel variants of the last run built, those its tuner timed, and why the cache was not used, if it was not. */
  private tuning: { used: TuneChoice[]; measured: TuneChoice[]; problem?: string } = { used: [], measured: [] };
  private trainedSteps = 0;

  /** The adapter, or the reason there is none (the page shows it and what to do). */
  async init(): Promise<{ adapter: AdapterReport } | { error: string }> {
    try {
      this.ctx = await getContext();
      return { adapter: this.ctx.adapter };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  /**
   * Builds a trainer for the settings (validated again here: the worker trusts nothing) and starts training.
   * A pause that arrives while the trainer is being built leaves the run paused at step 0.
   */
  async start(settings: RunSettings, listener: Listener): Promise<void> {
    const control = { stop: false };
    this.starting = control;
    try {
      await this.clear();
      const preset = findPreset(settings.preset);
      if (!preset) throw new Error(`unknown preset '${settings.preset}'`);
      const model = models[preset.model];
      // A text corpus is fetched here once before the checks read it (the host reads it; a worker must fetch).
      await model.prepare?.(settings.config);
      this.config = parseConfig(model.schema, settings.config, (c) => [...model.check(c, this.ctx?.adapter.limits), ...(preset.check?.(c) ?? [])]);
      this.ctx ??= await getContext();
      this.settings = settings;
      this.listener = listener;
      this.trainer = await this.createTunedTrainer(model, settings.tune ?? true);
      await this.emitView();
    } finally {
      if (this.starting === control) this.starting = null;
    }
    if (control.stop) this.emitStatus('paused');
    else this.run(settings.steps);
  }

  /**
   * The trainer, its kernel variants chosen by a tuner whose cache is this browser's IndexedDB (timed once per
   * adapter and shape); what it timed is added to the cache. A cache that cannot be read is reported in the status
   * line and the run tunes without it.
   */
  private async createTunedTrainer(model: (typeof models)[string], tune: boolean): Promise<Trainer> {
    const ctx = this.ctx!;
    if (!tune) {
      const tuner = new Tuner('defaults');
      const trainer = await withTuner(ctx, tuner, () => model.createTrainer(ctx, this.config));
      this.tuning = { used: tuner.used, measured: [] };
      return trainer;
    }
    const adapter = adapterLine(ctx.adapter);
    const store = await readTuningStore(adapter).catch((e: Error) => ({ choices: [], problem: e.message }));
    if (store.problem) this.emitStatus('starting', `tuning cache: ${store.problem}`);
    const tuner = new Tuner('tune', store.choices);
    const trainer = await withTuner(ctx, tuner, () => model.createTrainer(ctx, this.config));
    this.tuning = { used: tuner.used, measured: tuner.measured, problem: store.problem };
    await saveTuningStore(adapter, tuner.measured).catch((e: Error) => this.emitStatus('starting', `tuning cache not saved: ${e.message}`));
    return trainer;
  }

  /** The adapter's cache key and the last run's tuning (what it used, what it timed, a cache problem). */
  tuningState(): { adapter: string; used: TuneChoice[]; measured: TuneChoice[]; problem?: string } {
    return { adapter: this.ctx ? adapterLine(this.ctx.adapter) : '', ...this.tuning };
  }

  /** Continues the run up to its step target, or until paused. */
  resume(): void {
    if (this.settings) this.run(this.settings.steps);
  }

  /** Stops at the next chunk boundary (or keeps a run that is still starting from running) and waits for it. */
  async pause(): Promise<void> {
    if (this.starting) this.starting.stop = true;
    await this.stopLoop();
  }

  /** Trains `count` more steps (not past the run's target) and stays paused. */
  async step(count: number): Promise<void> {
    await this.stopLoop();
    if (!this.trainer || !this.settings || this.trainer.step >= this.settings.steps) return;
    if (!Number.isInteger(count) || count < 1) throw new Error(`steps to take = ${count}: expected an integer >= 1`);
    this.run(Math.min(this.settings.steps, this.trainer.step + count));
    await this.loop;
  }

  async reset(): Promise<void> {
    await this.clear();
    this.emitStatus('idle');
  }

  /** The current run's learning rates as setLearningRates takes them, one value per replica (none before a run). */
  learningRates(): Record<string, number[]> {
    return this.trainer?.learningRateValues() ?? {};
  }

  /** New learning rates for a paused run (config keys such as 'eta', 'etaY'; one value per replica). */
  async setLearningRates(rates: Record<string, number[]>): Promise<void> {
    if (!this.trainer) throw new Error('no run to change: start one first');
    if (this.loop) throw new Error('pause the run before changing its learning rates');
    const model = models[this.trainer.model];
    for (const [key, values] of Object.entries(rates)) {
      if (!(key in model.schema)) throw new Error(`unknown learning-rate key '${key}'`);
      if (values.length !== this.trainer.replicas) throw new Error(`${key}: give one value per replica (${this.trainer.replicas})`);
    }
    parseConfig(model.schema, { ...this.config, ...rates });
    this.trainer.setLearningRates(rates);
    this.config = { ...this.config, ...rates };
  }

  /** Every metrics record delivered so far (the page's charts are checked against these). */
  metrics(): MetricRecord[] {
    return this.records;
  }

  async exportParams(): Promise<unknown> {
    if (!this.trainer) throw new Error('no run: start one first');
    await this.stopLoop();
    return stateToParamsJson(await this.trainer.getState());
  }

  /** Replaces the paused run's parameters with a SPEC §3 params file and evaluates them. */
  async loadParams(json: unknown): Promise<MetricRecord[]> {
    if (!this.trainer) throw new Error('start (then pause) a run with the same settings before loading parameters');
    await this.stopLoop();
    await this.trainer.setState(withLoadedParams(await this.trainer.getState(), json));
    await this.emitView();
    return this.evaluate();
  }

  async evaluate(): Promise<MetricRecord[]> {
    if (!this.trainer) throw new Error('no run: start one first');
    await this.stopLoop();
    const records = await this.trainer.evaluate();
    this.listener?.({ kind: 'evaluation', records });
    return records;
  }

  private async clear(): Promise<void> {
    await this.stopLoop();
    this.trainer?.destroy();
    this.trainer = null;
    this.records = [];
    this.trainSeconds = 0;
    this.trainedSteps = 0;
  }

  private async stopLoop(): Promise<void> {
    this.control.stop = true;
    await this.loop;
  }

  private run(target: number): void {
    if (!this.trainer || this.loop) return;
    this.control = { stop: false };
    this.loop = this.runLoop(target).finally(() => (this.loop = null));
  }

  /** Trains in chunks up to `target`; at the run's own target the preset's analysis follows. */
  private async runLoop(target: number): Promise<void> {
    const trainer = this.trainer!;
    const { steps, viewEvery } = this.settings!;
    try {
      this.emitStatus('running');
      while (!this.control.stop && trainer.step < target) {
        await this.trainChunk(Math.min(viewEvery, target - trainer.step));
        await this.emitView();
        if (trainer.step < target) this.emitStatus(this.control.stop ? 'paused' : 'running');
      }
      if (trainer.step < steps) {
        this.emitStatus('paused');
        return;
      }
      this.emitStatus('analyzing');
      await this.analyze();
      this.emitStatus('done');
    } catch (e) {
      this.emitStatus('error', (e as Error).message);
    }
  }

  private async trainChunk(steps: number): Promise<void> {
    const started = performance.now();
    const before = this.trainer!.step;
    await this.trainer!.train(steps, {
      metricsEvery: this.settings!.metricsEvery,
      control: this.control,
      onMetrics: (records) => {
        this.records.push(...records);
        this.listener?.({ kind: 'metrics', records });
      },
    });
    this.trainSeconds += (performance.now() - started) / 1000;
    this.trainedSteps += this.trainer!.step - before;
  }

  private async emitView(): Promise<void> {
    if (this.trainer!.model === 'transformer') {
      const trainer = this.trainer as unknown as { step: number; sampleAttention: Float32Array[][] | null; sampleLabels: string[] };
      if (trainer.sampleAttention) this.listener?.({ kind: 'view', view: transformerView(trainer.step, trainer.sampleAttention, trainer.sampleLabels, Number(this.config.nHeads)) });
      return;
    }
    const state = await this.trainer!.getState();
    const view = state.model === 'icl' ? iclView(state, this.config as IclConfig) : scanSnapView(state, this.config as unknown as ScanSnapDataSettings);
    this.listener?.({ kind: 'view', view });
  }

  private async analyze(): Promise<void> {
    const preset = findPreset(this.settings!.preset);
    if (!preset?.analyze) return;
    const tables = await preset.analyze(this.trainer!, this.ctx!, this.config);
    this.listener?.({ kind: 'analysis', tables });
  }

  private emitStatus(status: EngineStatus, message?: string): void {
    const stepsPerSecond = this.trainSeconds > 0 ? this.trainedSteps / this.trainSeconds : 0;
    const batch = Number(this.config.batch ?? this.config.batchSize ?? 0);
    const replicas = Number(this.config.replicas ?? 1);
    this.listener?.({
      kind: 'status', status, step: this.trainer?.step ?? 0, stepsPerSecond,
      promptsPerSecond: stepsPerSecond * batch * replicas, message,
    });
  }
}

export type EngineApi = Engine;

Comlink.expose(new Engine());
