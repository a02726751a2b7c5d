// The GPU side of a CLI command, the same code in the harness page (runtime chrome) and in Node (runtime node):
// builds the trainer from an already validated config, trains in chunks, and streams what the driver must keep
// through report(): {kind:'progress', step}, {kind:'metrics', records}, {kind:'checkpoint', state} after every
// chunk whose losses and parameters are finite. The driver writes files; nothing here touches a file system.
import { getContext } from '../runtime/context';
import { report } from '../harness/report';
import { findModel, findPreset } from './registry';
import type { LossGradsJson, MetricRecord, ModelName, ParamsJson, ResultTable, Trainer, TrainerState } from './types';

const control = { stop: false };

/** Makes a running trainJob stop at its next chunk boundary (the driver calls it on Ctrl-C). */
export function requestStop(): void {
  control.stop = true;
}

export interface TrainJobArgs {
  model: ModelName;
  preset?: string;
  config: Record<string, unknown>;
  /** Total steps of the run (a resumed run counts the steps already done). */
  steps: number;
  metricsEvery: number;
  /** A checkpoint is reported at every multiple of this step count. */
  checkpointEvery: number;
  /** Continue from this state (a resume). */
  state?: TrainerState;
  /** Run the preset's analyze() after training. */
  analyze: boolean;
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

function firstBadLoss(records: readonly MetricRecord[]): Divergence | undefined {
  for (const record of records) {
    for (const [name, value] of Object.entries(record)) {
      if (/loss/i.test(name) && !Number.isFinite(value)) return { step: record.step, replica: record.replica, name, value };
    }
  }
  return undefined;
}

function firstBadParam(state: TrainerState): Divergence | undefined {
  for (const [name, flat] of Object.entries(state.params)) {
    const perReplica = flat.length / state.replicas;
    const i = flat.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return { step: state.step, replica: Math.floor(i / perReplica), name, value: flat[i] };
  }
  return undefined;
}

export async function trainJob(args: TrainJobArgs): Promise<TrainJobResult> {
  control.stop = false;
  const ctx = await getContext();
  const model = modelOf(args.model);
  const trainer: Trainer = await model.createTrainer(ctx, args.config);
  try {
    if (args.state) await trainer.setState(args.state);
    while (trainer.step < args.steps && !control.stop) {
      const boundary = (Math.floor(trainer.step / args.checkpointEvery) + 1) * args.checkpointEvery;
      const records = await trainer.train(Math.min(boundary, args.steps) - trainer.step, {
        metricsEvery: args.metricsEvery,
        onMetrics: (batch) => report({ kind: 'metrics', records: batch }),
        onProgress: (step) => report({ kind: 'progress', step }),
        control,
      });
      const state = await trainer.getState();
      const divergence = firstBadLoss(records) ?? firstBadParam(state);
      if (divergence) return { status: 'diverged', step: trainer.step, divergence };
      report({ kind: 'checkpoint', state });
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
}

/** Evaluation (and the preset's analyses) of saved parameters under a possibly changed config. */
export async function evalJob(args: EvalJobArgs): Promise<{ evaluation: MetricRecord[]; analysis: Record<string, ResultTable> }> {
  const ctx = await getContext();
  const trainer = await modelOf(args.model).createTrainer(ctx, args.config);
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
  config: Record<string, unknown>;
  params: ParamsJson;
  batch: unknown;
}

export async function gradJob(args: GradJobArgs): Promise<LossGradsJson> {
  return modelOf(args.model).lossAndGrads(await getContext(), args.config, args.params, args.batch);
}
