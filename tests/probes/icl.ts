// In-page probes for the ICL model: GPU loss and gradients of given params and prompts, short training runs
// from the trainer, and the post-training analyses the presets run. Node-side tests compare with the float64
// reference (src/reference/icl.ts) or with the paper's claims.
import { assertNoDeviceErrors, getContext } from '../../src/runtime/context';
import type { DenseBatch, IclParams64, IclShapes } from '../../src/reference/icl';
import { iclLossAndGradsGpu } from '../../src/models/icl/lossAndGrads';
import { IclTrainer } from '../../src/models/icl/model';
import { iclShapes, parseIclConfig, type IclConfig } from '../../src/models/icl/config';
import { inDomainTestSet, replicaDrawWords, trainingTasks } from '../../src/models/icl/data';
import { IclEvaluator } from '../../src/models/icl/evaluate';
import { zeroRows } from '../../src/models/icl/metrics';
import { iclBatchGenerate } from '../../src/kernels/iclBatchGenerate';
import { poison, readU32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { iclModel } from '../../src/models/icl/index';
import type { ParamsJson } from '../../src/engine/types';
import { oodSweep, pruningCurves, neuronNorms } from '../../src/models/icl/analysis';

export async function lossAndGrads(args: { shapes: IclShapes; params: IclParams64[]; batches: DenseBatch[] }) {
  const ctx = await getContext();
  const out = await iclLossAndGradsGpu(ctx, args.shapes, args.params, args.batches);
  assertNoDeviceErrors(ctx);
  return out;
}

export async function lossAndGradsJson(args: { params: ParamsJson; batch: unknown }) {
  const ctx = await getContext();
  return iclModel.lossAndGrads(ctx, args.params, args.batch);
}

/** Trains `steps` steps in chunks of `chunks` (to exercise resumption) and returns params and metrics. */
export async function train(args: { config: Partial<IclConfig>; steps: number[]; metricsEvery?: number; metricsAtEnd?: boolean }) {
  const ctx = await getContext();
  const trainer = await IclTrainer.create(ctx, args.config);
  try {
    const metrics = [];
    for (const steps of args.steps) metrics.push(...(await trainer.train(steps, { metricsEvery: args.metricsEvery, metricsAtEnd: args.metricsAtEnd })));
    const params = await trainer.readParams();
    assertNoDeviceErrors(ctx);
    return { params, metrics, step: trainer.step };
  } finally {
    trainer.destroy();
  }
}

/** Trains, then runs the analyses behind the paper's claims (OOD sweep, pruning curves, neuron norms). */
export async function trainAndAnalyze(args: { config: Partial<IclConfig>; steps: number; S1: number[]; ratios: number[]; draws: number }) {
  const ctx = await getContext();
  const t0 = performance.now();
  const trainer = await IclTrainer.create(ctx, args.config);
  try {
    const metrics = await trainer.train(args.steps);
    const ood = await oodSweep(trainer, args.S1);
    const pruning = await pruningCurves(trainer, args.ratios, args.draws);
    const norms = await neuronNorms(trainer);
    assertNoDeviceErrors(ctx);
    return { metrics, ood, pruning, norms, seconds: (performance.now() - t0) / 1000 };
  } finally {
    trainer.destroy();
  }
}

/** The message a bad config gets from the trainer (before any GPU work). */
export async function createError(args: { config: Record<string, unknown> }): Promise<string> {
  const ctx = await getContext();
  try {
    (await IclTrainer.create(ctx, args.config as Partial<IclConfig>)).destroy();
    return '';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** Runs shaders/iclBatchGenerate.wgsl alone for `step` and returns the compact batch [R][batch][N + 1][4]. */
export async function generateBatch(args: { config: Partial<IclConfig>; step: number }): Promise<Uint32Array> {
  const ctx = await getContext();
  const c = parseIclConfig(args.config);
  const tasks = trainingTasks(c.M1);
  const words = c.replicas * c.batch * (c.N + 1) * 4;
  const op = await iclBatchGenerate(ctx.kernels, { replicas: c.replicas, prompts: c.batch, N: c.N, relCount: c.M1, irrCount: c.M2, tasks: tasks.length, kappaMax: c.kappaMax });
  const step = ctx.pool.upload(new Uint32Array([args.step]), 'step');
  const replicaDraws = ctx.pool.upload(replicaDrawWords(c), 'replica draws');
  const taskTable = ctx.pool.upload(Uint32Array.from(tasks.flat()), 'tasks');
  const columns = ctx.pool.acquire(4 * words, 'columns');
  poison(ctx.device, columns);
  new StepPlan(ctx.device, 'generate test').add(op.generate({ step, replicaDraws, tasks: taskTable, columns }), op.advanceStep(step)).run();
  const out = await readU32(ctx.device, columns, words);
  const nextStep = (await readU32(ctx.device, step, 1))[0];
  [step, replicaDraws, taskTable, columns].forEach((b) => ctx.pool.release(b));
  assertNoDeviceErrors(ctx);
  if (nextStep !== args.step + 1) throw new Error(`advanceStep left the counter at ${nextStep}, expected ${args.step + 1}`);
  return out;
}

/**
 * Trains a few steps, then evaluates the unseen-task test set in chunks of `chunk` prompts (the last one padded),
 * with the live W_O and with `prunedRows` of every replica's W_O zeroed; returns the results and the params.
 */
export async function evaluateInChunks(args: { config: Partial<IclConfig>; steps: number; chunk: number; prunedRows: number[] }) {
  const ctx = await getContext();
  const trainer = await IclTrainer.create(ctx, { ...args.config, evalTest: false });
  try {
    await trainer.train(args.steps, { metricsEvery: 0 });
    const c = trainer.config;
    const sets = Array.from({ length: c.replicas }, (_, r) => inDomainTestSet(c, r));
    const evaluator = await IclEvaluator.create(ctx, c, trainer.params, sets, trainer.patterns, args.chunk);
    try {
      const live = await evaluator.evaluate();
      const params = await trainer.readParams();
      const { m, dV } = iclShapes(c);
      const pruned = zeroRows(params.W_O, c.replicas, m, dV, Array.from({ length: c.replicas }, () => args.prunedRows));
      const [withPruned] = await evaluator.evaluateOutputWeights([pruned]);
      assertNoDeviceErrors(ctx);
      return { live, pruned: withPruned, params, chunks: evaluator.chunks };
    } finally {
      evaluator.destroy();
    }
  } finally {
    trainer.destroy();
  }
}

/** Trains, then runs the context-length and pruning-against-alpha' sweeps behind Li et al.'s alpha' claims. */
export async function alphaSweeps(args: { config: Partial<IclConfig>; steps: number; alphaTests: number[]; NTests: number[]; ratios: number[]; draws: number }) {
  const { contextLengthSweep, pruningByAlpha } = await import('../../src/models/icl/analysis');
  const ctx = await getContext();
  const trainer = await IclTrainer.create(ctx, { ...args.config, evalTest: false });
  try {
    await trainer.train(args.steps, { metricsEvery: 0 });
    const context = await contextLengthSweep(trainer, args.alphaTests, args.NTests);
    const pruning = await pruningByAlpha(trainer, args.alphaTests, args.ratios, args.draws);
    assertNoDeviceErrors(ctx);
    return { context, pruning };
  } finally {
    trainer.destroy();
  }
}
