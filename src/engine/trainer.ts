// The one training loop every model uses. A model supplies a StepProgram — its recorded step (a StepPlan), how
// its inputs reach the GPU, what its metrics snapshot holds — plus its evaluation and its state layout; the
// engine does the rest: chunked replay of the step with a bounded number of submissions in flight, metrics
// through a MetricsRing (never a wait per step), progress, stop control, non-finite loss detection, and
// state save/restore with one set of checks and messages for every model.
import type { FieldSpec } from '../config/schema';
import { allowedText, checkFieldValue } from '../config/schema';
import type { GpuContext } from '../runtime/context';
import { MetricsRing, type StepPlan } from '../runtime/plan';
import type { MetricRecord, ModelName, Trainer, TrainerState, TrainOptions } from './types';

/** Submissions allowed in flight before the host waits: bounds queued work (and host-made inputs) when the GPU is slower. */
export const MAX_IN_FLIGHT = 3;

/** What a model's metrics snapshot holds and how its records are read from it. */
export interface SnapshotLayout {
  /** Bytes of the snapshot (one MetricsRing slot). */
  bytes: number;
  /** Whether train() starting at step 0 records the initial parameters (e.g. their test error) at step 0. */
  initial: boolean;
  /** Encodes into `encoder` the copies (and any evaluation dispatches) that fill `target` with the snapshot. */
  encode(encoder: GPUCommandEncoder, target: GPUBuffer, trained: boolean): void;
  /**
   * The records of one snapshot; `trained` is false for the initial one (no training batch yet). A model may also
   * return artifacts: named data that is not a scalar per replica (e.g. attention maps at chosen steps).
   */
  parse(values: Float32Array, step: number, trained: boolean): MetricRecord[] | { records: MetricRecord[]; artifacts?: Record<string, unknown> };
}

/** Copies a model's host-made inputs need inside a chunk: encoded before step `index` (0-based in the chunk). */
export type BeforeStep = (encoder: GPUCommandEncoder, index: number) => void;

export interface StepProgram {
  /** One training step, recorded once. */
  plan: StepPlan;
  /** Steps one submission holds at most. */
  maxChunkSteps: number;
  /** The GPU's step counter, when the step reads its step from the GPU (batches generated there, dropout, Adam). */
  stepCounter?: GPUBuffer;
  /**
   * Inputs made on the host for steps first .. first + count − 1, written with queue.writeBuffer (ordered after
   * the work already submitted, so no buffer is overwritten while in use); returns copies to encode per step.
   */
  hostInputs?(first: number, count: number): BeforeStep | void;
  /**
   * Work recorded once that runs inside the chunk after every step that ends at a multiple of `every` steps, and
   * before training from step 0, with the GPU's step counter holding that step; a metrics point at the same step
   * sees what it wrote. For measurements that must not wait for the host or stop other replicas (ICL's first
   * crossing of the unseen-task error). Nothing is read back.
   */
  periodic?: { every: number; encode(encoder: GPUCommandEncoder): void };
  metrics: SnapshotLayout;
}

/** A tensor of the trainer state: its per-replica shape. */
export type StateShapes = { params: Record<string, number[]>; optimizer: Record<string, number[]> };

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The first loss that is not finite, if any (the loop stops there; the CLI keeps the last good checkpoint). */
export function firstNonFiniteLoss(records: readonly MetricRecord[]): { step: number; replica: number; name: string; value: number } | undefined {
  for (const record of records) {
    for (const [name, value] of Object.entries(record)) {
      if (/loss/i.test(name) && !Number.isFinite(value)) return { step: record.step, replica: record.replica, name, value };
    }
  }
  return undefined;
}

/** The first parameter that is not finite, if any. */
export function firstNonFiniteParam(state: TrainerState): { step: number; replica: number; name: string; value: number } | undefined {
  for (const [name, flat] of Object.entries(state.params)) {
    const perReplica = flat.length / state.replicas;
    const i = flat.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return { step: state.step, replica: Math.floor(i / perReplica), name, value: flat[i] };
  }
  return undefined;
}

/**
 * The engine's Trainer. A model's trainer extends it and provides `program` (built in its async factory before
 * first use), `stateShapes`, `readState`, `writeState`, `learningRates`, `initialLearningRates` and `writeLearningRate`, `evaluate`
 * and `release`.
 */
export abstract class ReplayTrainer implements Trainer {
  abstract readonly model: ModelName;
  protected currentStep = 0;
  protected abstract readonly program: StepProgram;
  private ring: MetricsRing | null = null;
  private snapshot: GPUBuffer | null = null;

  protected constructor(
    readonly ctx: GpuContext,
    readonly replicas: number,
    /** The config's metricsEvery, used when train() is given none. */
    private readonly defaultMetricsEvery: number,
  ) {}

  get step(): number {
    return this.currentStep;
  }

  /** The dispatches of one training step, in order (the bench times them one by one). */
  get stepDispatches() {
    return this.program.plan.dispatches;
  }

  async train(steps: number, options: TrainOptions = {}): Promise<MetricRecord[]> {
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`${this.model}: train(steps = ${steps}); steps must be an integer >= 0`);
    const every = options.metricsEvery ?? this.defaultMetricsEvery;
    if (!Number.isInteger(every) || every < 0) throw new RangeError(`${this.model}: metricsEvery = ${every}; it must be an integer >= 0`);
    const atEnd = options.metricsAtEnd ?? true;
    const { device } = this.ctx;
    const program = this.program;
    const records: MetricRecord[] = [];
    const delivered: Promise<void>[] = [];
    const inFlight: Promise<unknown>[] = [];
    let diverged = false;
    const capture = async (encoder: GPUCommandEncoder, step: number, trained: boolean) => {
      const ring = this.metricsRing();
      const slot = await ring.reserve();
      program.metrics.encode(encoder, this.snapshot!, trained);
      ring.record(encoder, slot, this.snapshot!);
      device.queue.submit([encoder.finish()]);
      delivered.push(
        ring.collect(slot).then((values) => {
          const parsed = program.metrics.parse(values, step, trained);
          const batch = Array.isArray(parsed) ? parsed : parsed.records;
          if (firstNonFiniteLoss(batch)) diverged = true;
          records.push(...batch);
          options.onMetrics?.(batch);
          if (!Array.isArray(parsed) && parsed.artifacts) options.onArtifacts?.(step, parsed.artifacts);
        }),
      );
    };

    if (program.stepCounter) device.queue.writeBuffer(program.stepCounter, 0, new Uint32Array([this.currentStep]));
    const periodic = program.periodic;
    if (this.currentStep === 0 && steps > 0 && (periodic || (program.metrics.initial && every > 0))) {
      const encoder = device.createCommandEncoder({ label: `${this.model} step 0` });
      periodic?.encode(encoder);
      if (program.metrics.initial && every > 0) await capture(encoder, 0, false);
      else device.queue.submit([encoder.finish()]);
    }
    const end = this.currentStep + steps;
    while (this.currentStep < end) {
      const nextMetric = every > 0 ? (Math.floor(this.currentStep / every) + 1) * every : end;
      const chunkEnd = Math.min(end, nextMetric, this.currentStep + program.maxChunkSteps);
      const count = chunkEnd - this.currentStep;
      const beforeStep = program.hostInputs?.(this.currentStep, count);
      const encoder = device.createCommandEncoder({ label: `${this.model} train` });
      for (let s = 0; s < count; s++) {
        if (beforeStep) beforeStep(encoder, s);
        program.plan.encode(encoder);
        if (periodic && (this.currentStep + s + 1) % periodic.every === 0) periodic.encode(encoder);
      }
      this.currentStep = chunkEnd;
      if ((chunkEnd === end && atEnd) || (every > 0 && chunkEnd % every === 0)) await capture(encoder, chunkEnd, true);
      else device.queue.submit([encoder.finish()]);
      // Progress counts finished steps, not submitted ones (up to MAX_IN_FLIGHT chunks may still be queued).
      inFlight.push(device.queue.onSubmittedWorkDone().then(() => options.onProgress?.(chunkEnd)));
      if (inFlight.length > MAX_IN_FLIGHT) await inFlight.shift();
      if (options.control?.stop || diverged) break;
    }
    await Promise.all([...inFlight, ...delivered]);
    return records.sort((a, b) => a.step - b.step || a.replica - b.replica);
  }

  private metricsRing(): MetricsRing {
    if (!this.ring) {
      const bytes = this.program.metrics.bytes;
      this.snapshot = this.ctx.pool.acquire(bytes, `${this.model} metrics snapshot`);
      this.ring = new MetricsRing(this.ctx.device, bytes);
    }
    return this.ring;
  }

  abstract evaluate(): Promise<MetricRecord[]>;

  /** Per-replica shapes of the state's tensors (what getState returns and setState accepts). */
  protected abstract stateShapes(): StateShapes;
  /** The parameters and optimizer state, each flat [R][...shape]. */
  protected abstract readState(): Promise<Pick<TrainerState, 'params' | 'optimizer'>>;
  /** Writes a state whose tensors have already been checked against stateShapes(). */
  protected abstract writeState(state: TrainerState): Promise<void>;

  async getState(): Promise<TrainerState> {
    const shapes = this.stateShapes();
    const { params, optimizer } = await this.readState();
    return { model: this.model, step: this.currentStep, replicas: this.replicas, shapes: { ...shapes.optimizer, ...shapes.params }, params, optimizer };
  }

  async setState(state: TrainerState): Promise<void> {
    const where = `${this.model}: setState`;
    if (state.model !== this.model) throw new TypeError(`${where}: the state is of model '${state.model}'; this trainer is '${this.model}'`);
    if (state.replicas !== this.replicas) throw new RangeError(`${where}: the state has ${state.replicas} replicas; this trainer has ${this.replicas}`);
    if (!Number.isInteger(state.step) || state.step < 0) throw new RangeError(`${where}: step = ${state.step}; expected an integer >= 0`);
    const shapes = this.stateShapes();
    for (const part of ['params', 'optimizer'] as const) {
      for (const [name, shape] of Object.entries(shapes[part])) {
        const want = this.replicas * sizeOf(shape);
        const got = state[part][name];
        if (!(got instanceof Float32Array) || got.length !== want) {
          throw new RangeError(
            `${where}: ${part}.${name} has ${got?.length ?? 'no'} values; expected a Float32Array of ${want} (${this.replicas} replicas × ${shape.join(' × ')})`,
          );
        }
      }
      const unknown = Object.keys(state[part]).filter((n) => !(n in shapes[part]));
      if (unknown.length > 0) throw new RangeError(`${where}: ${part}.${unknown[0]} is not a tensor of this model (${part}: ${Object.keys(shapes[part]).join(', ') || 'none'})`);
    }
    await this.writeState(state);
    this.currentStep = state.step;
  }

  /** The config keys a paused run may change (learning rates, momentum), with their schema fields. */
  protected abstract learningRates(): Record<string, FieldSpec>;
  /** Writes one checked learning-rate key, one value per replica. */
  protected abstract writeLearningRate(key: string, values: Float32Array<ArrayBuffer>): void;

  /** The learning-rate keys' values the trainer was built with (per replica; etaY as derived from etaYRatio). */
  protected abstract initialLearningRates(): Record<string, number[]>;
  private rateValues?: Record<string, number[]>;

  learningRateValues(): Record<string, number[]> {
    this.rateValues ??= this.initialLearningRates();
    return Object.fromEntries(Object.entries(this.rateValues).map(([k, v]) => [k, [...v]]));
  }

  setLearningRates(rates: Record<string, number[]>): void {
    const fields = this.learningRates();
    const checked: [string, Float32Array<ArrayBuffer>][] = [];
    for (const [key, values] of Object.entries(rates)) {
      const spec = fields[key];
      if (!spec) throw new RangeError(`${this.model}: setLearningRates: '${key}' is not a learning rate here; allowed: ${Object.keys(fields).join(', ')}`);
      if (!Array.isArray(values) || values.length !== this.replicas || values.some((v) => checkFieldValue(spec, v) !== null)) {
        throw new RangeError(`${this.model}: setLearningRates: ${key} = ${JSON.stringify(values)}; expected ${this.replicas} values (one per replica), each ${allowedText(spec)}`);
      }
      checked.push([key, Float32Array.from(values)]);
    }
    for (const [key, values] of checked) this.writeLearningRate(key, values);
    this.rateValues = { ...this.learningRateValues(), ...Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, [...v]])) };
  }

  /** Returns the model's buffers to the pool. */
  protected abstract release(): void;

  destroy(): void {
    this.release();
    if (this.snapshot) this.ctx.pool.release(this.snapshot);
    this.ring?.destroy();
    this.ring = null;
    this.snapshot = null;
  }
}
