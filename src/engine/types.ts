// The contract between models (src/models/*), their presets, and the drivers that run them (CLI in Node,
// harness page, Web Worker app). A model is a ModelDefinition (registered in src/models/registry.ts); a run of
// it is a Trainer living next to the GPU, usually the engine's ReplayTrainer (src/engine/trainer.ts).
import type { GpuContext } from '../runtime/context';
import type { ConfigError, Schema } from '../config/schema';

/** A registered model's name ('icl', 'scansnap', ...): the registry, not this type, knows which exist. */
export type ModelName = string;

/** One metrics row: `step` and `replica` tag it; the rest are named values (loss, error, entropy, ...). */
export interface MetricRecord {
  step: number;
  replica: number;
  [name: string]: number;
}

/**
 * Everything needed to continue a run bit for bit: parameters and optimizer state (each a flat Float32Array
 * laid out [replica][...shape]), and the step count. Batches are a pure function of (seed, replica, step), so
 * the step is the whole data-stream position.
 */
export interface TrainerState {
  model: ModelName;
  step: number;
  replicas: number;
  shapes: Record<string, number[]>; // per-replica shape of every tensor in params and optimizer
  params: Record<string, Float32Array>;
  optimizer: Record<string, Float32Array>;
}

export interface TrainOptions {
  /** Record metrics every this many steps (and after the last step). 0: only at the end. */
  metricsEvery?: number;
  /**
   * Record metrics after the last step (default true). false: none there (with metricsEvery 0, none at all): the
   * bench's timed runs, which measure the steps alone (a record reads back and analyses every replica on the host).
   */
  metricsAtEnd?: boolean;
  /** Called with each metrics record batch as soon as the GPU has produced it (no wait in the loop). */
  onMetrics?: (records: MetricRecord[]) => void;
  /** Called with a model's artifacts of a metrics point (data that is not a scalar per replica, e.g. attention maps). */
  onArtifacts?: (step: number, artifacts: Record<string, unknown>) => void;
  /** Called when a chunk of steps has finished on the GPU (in order), with the step it ended at. */
  onProgress?: (step: number) => void;
  /** Checked between chunks; set `stop = true` to end early at a chunk boundary. */
  control?: { stop: boolean };
}

export interface Trainer {
  readonly model: ModelName;
  readonly replicas: number;
  /** Steps completed. */
  readonly step: number;
  /** Trains `steps` more steps. Resolves once all their metrics have been delivered. */
  train(steps: number, options?: TrainOptions): Promise<MetricRecord[]>;
  /** Evaluation metrics for the current parameters (e.g. test error and hinge loss), one record per replica. */
  evaluate(): Promise<MetricRecord[]>;
  getState(): Promise<TrainerState>;
  setState(state: TrainerState): Promise<void>;
  /** What setLearningRates accepts, with the current values: config keys (learning rates, momentum), one value per replica. */
  learningRateValues(): Record<string, number[]>;
  /** Changes learning rates of a paused run (keys are config keys such as 'eta', 'etaY'; one value per replica). */
  setLearningRates(rates: Record<string, number[]>): void;
  destroy(): void;
}

/** SPEC §3 params format. */
export interface ParamsJson {
  model: ModelName;
  /** Settings the arrays cannot show (SPEC §4: nHeads, norm, activation, ...); absent for icl and scansnap. */
  config?: Record<string, unknown>;
  params?: Record<string, number[] | number[][]>;
  replicas?: Record<string, number[] | number[][]>[];
}

/** SPEC §3 loss-and-gradients format. */
export interface LossGradsJson {
  loss: number;
  grads: Record<string, number[] | number[][]>;
}

/** A table of results an analysis produces (rows of numbers, tagged by columns), e.g. OOD error per S1. */
export interface ResultTable {
  columns: string[];
  rows: number[][];
}

/** A run's artifacts (TrainOptions.onArtifacts) by the step they were taken at. */
export type ArtifactsByStep = Map<number, Record<string, unknown>>;

/** A line figure drawn (as SVG) from `metrics` records or from one of the analysis tables. */
export interface FigureSpec {
  file: string; // e.g. 'loss.svg'
  /**
   * A figure that is not a plain line chart (several panels, per-token curves): drawn by this function from the
   * run's records and tables (or, for a sweep, from its summary tables); `source`, `x` and `y` then only say
   * what it needs. Returns the SVG text, or null when what it needs is missing.
   */
  render?: (metrics: MetricRecord[], tables: Record<string, ResultTable>, artifacts: ArtifactsByStep) => string | null;
  title: string;
  source: 'metrics' | string; // 'metrics' or the name of a ResultTable
  x: string; // column / metric name on the x axis
  y: string[]; // one line per name (per replica for metrics, with a mean line and band when replicas > 1)
  yLabel?: string;
  logY?: boolean;
}

export interface Preset<Config extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  model: ModelName;
  description: string;
  /** Overrides of the model's schema defaults (steps, replicas, learning rates, ...). */
  config: Record<string, unknown>;
  /** Training steps and metrics interval when the user gives none. */
  steps: number;
  metricsEvery: number;
  /** Config rules the preset's analysis adds to the model's own (e.g. OOD needs M1 >= 4), checked before GPU work. */
  check?: (config: Config) => ConfigError[];
  /** Work after training, next to the GPU (e.g. OOD sweep over S1, pruning curves): named result tables. */
  analyze?: (trainer: Trainer, ctx: GpuContext, config: Config) => Promise<Record<string, ResultTable>>;
  figures: FigureSpec[];
  /**
   * A preset that is a sweep (`onelayer sweep NAME` with no --grid): the grid over config keys, seeds per point,
   * the replicas one trainer may pack, and tables and figures made from the per-run results.
   */
  sweep?: SweepSpec;
}

export interface SweepSpec {
  grid: Record<string, unknown[]>;
  seeds: number;
  maxReplicas?: number;
  /** Checkpoint interval of every pack; 0: none (for packs whose state is too big to be worth saving). */
  checkpointEvery?: number;
  /** Tables from the sweep's per-run rows (grid values, seed, final evaluation, last training metrics). */
  summarize?: (rows: Record<string, unknown>[]) => Record<string, ResultTable>;
  figures?: FigureSpec[];
}

export interface ModelDefinition<Config extends Record<string, unknown> = Record<string, unknown>> {
  name: ModelName;
  schema: Schema;
  /** Cross-field checks (shapes that must agree, adapter limits) beyond the schema's per-field ones. */
  check(config: Config, limits?: Record<string, number>): ConfigError[];
  /**
   * Loads what check() reads synchronously and must fetch first in a page or worker (a text corpus), from the raw
   * config; nothing to do where it is absent. The host reads on first use and needs no call.
   */
  prepare?(raw: Record<string, unknown>): Promise<void>;
  /** Per-replica shape of every trained tensor for this config (checkpoints are checked against it). */
  paramShapes(config: Config): Record<string, number[]>;
  createTrainer(ctx: GpuContext, config: Config): Promise<Trainer>;
  /**
   * Loss and gradients of one params set on one batch (SPEC §3/§4 JSON in and out), on the GPU. Every shape
   * comes from the two files; files that disagree throw an Error naming the tensor and both shapes.
   */
  lossAndGrads(ctx: GpuContext, params: ParamsJson, batch: unknown): Promise<LossGradsJson>;
  /** The same from the float64 CPU reference (also the check of the files, before any GPU work). */
  lossAndGradsReference(params: ParamsJson, batch: unknown): LossGradsJson;
  /** The model's named experiments (`onelayer train NAME`, the page's preset list); the first is its default. */
  presets: Preset<Config>[];
}
