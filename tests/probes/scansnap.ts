// In-page probes for the Scan & Snap model: GPU loss and gradients, short training runs, state round trips.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { scansnapLossAndGradsGpu, type GpuLossGradsArgs } from '../../src/models/scansnap/model';
import { scansnapModel, type ScanSnapConfig } from '../../src/models/scansnap/index';
import type { MetricRecord, ParamsJson, TrainerState } from '../../src/experiments/types';
import { runScanSnapGrid, type GridOptions } from '../../src/models/scansnap/grid';

export async function lossAndGrads(args: GpuLossGradsArgs) {
  const ctx = await getContext();
  const out = await scansnapLossAndGradsGpu(ctx, args);
  assertNoDeviceErrors(ctx);
  return out;
}

export async function lossAndGradsJson(args: { config: Partial<ScanSnapConfig>; params: ParamsJson; batch: unknown }) {
  const ctx = await getContext();
  const out = await scansnapModel.lossAndGrads(ctx, args.config as ScanSnapConfig, args.params, args.batch);
  assertNoDeviceErrors(ctx);
  return out;
}

/** Trains `steps` (optionally in two halves through getState/setState on a fresh trainer) and returns the state. */
export async function train(args: { config: Partial<ScanSnapConfig>; steps: number; resumeAt?: number; metricsEvery?: number }) {
  const ctx = await getContext();
  let trainer = await scansnapModel.createTrainer(ctx, args.config as ScanSnapConfig);
  const records: MetricRecord[] = [];
  const opts = { metricsEvery: args.metricsEvery };
  if (args.resumeAt !== undefined) {
    records.push(...(await trainer.train(args.resumeAt, opts)));
    const state = await trainer.getState();
    trainer.destroy();
    trainer = await scansnapModel.createTrainer(ctx, args.config as ScanSnapConfig);
    await trainer.setState(state);
    records.push(...(await trainer.train(args.steps - args.resumeAt, opts)));
  } else {
    records.push(...(await trainer.train(args.steps, opts)));
  }
  const state: TrainerState = await trainer.getState();
  const evaluation = await trainer.evaluate();
  trainer.destroy();
  assertNoDeviceErrors(ctx);
  return { state, records, evaluation };
}

/** The error message createTrainer gives for a config (or '' if it accepts it). */
export async function configError(args: { config: Record<string, unknown> }): Promise<string> {
  const ctx = await getContext();
  try {
    const t = await scansnapModel.createTrainer(ctx, args.config as ScanSnapConfig);
    t.destroy();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

export async function grid(args: { options: Partial<GridOptions> }) {
  const ctx = await getContext();
  const out = await runScanSnapGrid(ctx, args.options);
  assertNoDeviceErrors(ctx);
  return out;
}

/** Per-kernel GPU times of one training step's loss-and-gradient dispatches (for bench/ and profiling). */
export async function timeKernels(args: { replicas: number; batch: number; L: number; M: number; distinct: number; repeats?: number }) {
  const ctx = await getContext();
  const { acquireWorkBuffers, lossAndGradsDispatches } = await import('../../src/models/scansnap/model');
  const { timeDispatches } = await import('../../src/runtime/timing');
  const shape = { replicas: args.replicas, batch: args.batch, L: args.L, M: args.M };
  const work = acquireWorkBuffers(ctx, shape);
  const { paddedRow } = await import('../../src/kernels/scansnapAttention');
  const n = args.replicas * args.M * paddedRow(args.M);
  const Y = ctx.pool.upload(new Float32Array(n).map((_, i) => Math.sin(i) * 0.1), 'Y');
  const Z = ctx.pool.upload(new Float32Array(n).map((_, i) => Math.cos(i) * 0.1), 'Z');
  const ids = new Uint32Array(args.replicas * args.batch * (args.L + 1));
  for (let s = 0; s < args.replicas * args.batch; s++) {
    for (let t = 0; t < args.L - 1; t++) ids[s * (args.L + 1) + t] = (s * 7 + t * 13) % args.distinct;
    ids[s * (args.L + 1) + args.L - 1] = args.M - 1;
    ids[s * (args.L + 1) + args.L] = s % args.M;
  }
  ctx.device.queue.writeBuffer(work.tokens, 0, ids);
  const dispatches = await lossAndGradsDispatches(ctx, shape, { Y, Z }, work, { rowBase: args.M - 1, rows: 1 }, args.distinct);
  const timing = await timeDispatches(ctx.device, dispatches, { repeats: args.repeats ?? 3, warmup: 1 });
  for (const b of [Y, Z, ...Object.values(work)]) ctx.pool.release(b);
  return timing.kernels.map((k) => ({ label: k.label, ms: k.ms }));
}
