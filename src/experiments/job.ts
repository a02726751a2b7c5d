// The GPU side of a CLI command, the same code in the harness page (runtime chrome) and in Node (runtime node):
// builds the trainer from an already validated config, trains in chunks, and streams what the driver must keep
// through io.report(): {kind:'progress', step}, {kind:'metrics', records}, {kind:'checkpoint', state} after every
// chunk whose losses and parameters are finite. The driver writes files; nothing here touches a file system.
// Each call gets its own JobIO (report channel and stop flag) from its driver: no state is shared between jobs.
import { getContext, type GpuContext } from '../runtime/context';
import { Tuner, withTuner, type TuneChoice, type TunerSetup } from '../runtime/tuner';
import { firstNonFiniteLoss, firstNonFiniteParam } from '../engine/trainer';
import { findModel, findPreset } from '../models/registry';
import type { LossGradsJson, MetricRecord, ModelName, ParamsJson, ResultTable, Trainer, TrainerState } from '../engine/types';

/** What a job's driver hands it: where events go, and a flag the driver sets to stop at the next chunk boundary. */
export interface JobIO {
  report(event: { kind: string; [key: string]: unknown }): void;
  control: { stop: boolean };
}

/** For calls without a driver listening (tests, scripts). */
export const SILENT_IO: JobIO = { report: () => {}, control: { stop: false } };

export interface TrainJobArgs {
  model: ModelName;
  preset?: string;
  config: Record<string, unknown>;
  /** Total steps of the run (a resumed run counts the steps already done). */
  steps: number;
  metricsEvery: number;
  /** A checkpoint is reported at every multiple of this step count; 0: none (the run cannot be resumed). */
  checkpointEvery: number;
  /** Continue from this state (a resume). */
  state?: TrainerState;
  /** Run the preset's analyze() after training. */
  analyze: boolean;
  /** How kernel variants are chosen (default: the adapter class's defaults, nothing timed). */
  tuning?: TunerSetup;
}

export interface Divergence {
  step: number;
  replica: number;
  name: string;
  value: number;
}

export interface TrainJobResult {
  status: 'complete' | 'stopped' | 'diverged';
  step: number;
  divergence?: Divergence;
  evaluation?: MetricRecord[];
  analysis?: Record<string, ResultTable>;
}

function modelOf(name: ModelName) {
  const model = findModel(name);
  if (!model) throw new Error(`unknown model ${JSON.stringify(name)}`);
  return model;
}

/**
 * Builds a trainer with the job's own tuner on the shared context, then reports the choices it made
 * ({kind: 'tuning', used, measured}): the driver records them with the run and caches what was timed.
 */
async function createTunedTrainer(ctx: GpuContext, args: { model: ModelName; config: Record<string, unknown>; tuning?: TunerSetup }, io: JobIO): Promise<Trainer> {
  const tuner = new Tuner(args.tuning?.mode ?? 'defaults', args.tuning?.cache, args.tuning?.fixed);
  const trainer = await withTuner(ctx, tuner, () => modelOf(args.model).createTrainer(ctx, args.config));
  io.report({ kind: 'tuning', used: tuner.used, measured: tuner.measured });
  return trainer;
}

export async function trainJob(args: TrainJobArgs, io: JobIO = SILENT_IO): Promise<TrainJobResult> {
  const ctx = await getContext();
  const trainer = await createTunedTrainer(ctx, args, io);
  try {
    if (args.state) await trainer.setState(args.state);
    while (trainer.step < args.steps && !io.control.stop) {
      const every = args.checkpointEvery;
      const boundary = every > 0 ? (Math.floor(trainer.step / every) + 1) * every : args.steps;
      const records = await trainer.train(Math.min(boundary, args.steps) - trainer.step, {
        metricsEvery: args.metricsEvery,
        onMetrics: (batch) => io.report({ kind: 'metrics', records: batch }),
        onArtifacts: (step, artifacts) => io.report({ kind: 'artifacts', step, artifacts }),
        onProgress: (step) => io.report({ kind: 'progress', step }),
        control: io.control,
      });
      const badLoss = firstNonFiniteLoss(records);
      if (badLoss) return { status: 'diverged', step: trainer.step, divergence: badLoss };
      if (every === 0) continue;
      const state = await trainer.getState();
      const badParam = firstNonFiniteParam(state);
      if (badParam) return { status: 'diverged', step: trainer.step, divergence: badParam };
      io.report({ kind: 'checkpoint', state });
    }
    if (trainer.step < args.steps) return { status: 'stopped', step: trainer.step };
    const evaluation = await trainer.evaluate();
    const preset = args.preset ? findPreset(args.preset) : undefined;
    const analysis = args.analyze && preset?.analyze ? await preset.analyze(trainer, ctx, args.config) : {};
    return { status: 'complete', step: trainer.step, evaluation, analysis };
  } finally {
    trainer.destroy();
  }
}

export interface EvalJobArgs {
  model: ModelName;
  preset?: string;
  config: Record<string, unknown>;
  state: TrainerState;
  analyze: boolean;
  tuning?: TunerSetup;
}

/** Evaluation (and the preset's analyses) of saved parameters under a possibly changed config. */
export async function evalJob(args: EvalJobArgs, io: JobIO = SILENT_IO): Promise<{ evaluation: MetricRecord[]; analysis: Record<string, ResultTable> }> {
  const ctx = await getContext();
  const trainer = await createTunedTrainer(ctx, args, io);
  try {
    await trainer.setState(args.state);
    const evaluation = await trainer.evaluate();
    const preset = args.preset ? findPreset(args.preset) : undefined;
    const analysis = args.analyze && preset?.analyze ? await preset.analyze(trainer, ctx, args.config) : {};
    return { evaluation, analysis };
  } finally {
    trainer.destroy();
  }
}

export interface GradJobArgs {
  model: ModelName;
  params: ParamsJson;
  batch: unknown;
}

export async function gradJob(args: GradJobArgs): Promise<LossGradsJson> {
  return modelOf(args.model).lossAndGrads(await getContext(), args.params, args.batch);
}

export interface TuneJobArgs {
  model: ModelName;
  config: Record<string, unknown>;
  tuning: TunerSetup;
}

/** Builds (and drops) a trainer with the tuner timing every call site it has no choice for: fills the cache. */
export async function tuneJob(args: TuneJobArgs, io: JobIO = SILENT_IO): Promise<{ used: TuneChoice[]; measured: TuneChoice[] }> {
  const ctx = await getContext();
  let result: { used: TuneChoice[]; measured: TuneChoice[] } = { used: [], measured: [] };
  const capture: JobIO = { control: io.control, report: (event) => { if (event.kind === 'tuning') result = event as never; io.report(event); } };
  (await createTunedTrainer(ctx, args, capture)).destroy();
  return { used: result.used, measured: result.measured };
}
