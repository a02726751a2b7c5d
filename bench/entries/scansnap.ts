// Scan & Snap training throughput, end to end (sequences generated in the recorded step, GPU step), in run-steps
// per second (steps × replicas): R = 1 at the Syn-Small shapes, and the grid job's largest shape group (numQuery
// 10, M = 240; 160 replicas on a real GPU, fewer on a CPU adapter), each step's kernels timed one by one; the
// same group with batchSource 'cpu' (host generation and upload every step); the CPU sequence generator alone;
// and the float64 reference's step (loss, gradients, momentum update) at R = 1.
import type { GpuContext } from '../../src/runtime/context';
import { ScanSnapTrainer } from '../../src/models/scansnap/model';
import { parseScanSnapConfig } from '../../src/models/scansnap/index';
import { initialParams, SequenceSampler, sequenceStride } from '../../src/models/scansnap/data';
import { scansnapLossAndGradsReference } from '../../src/reference/scansnap';
import { sgdMomentumReference } from '../../src/reference/optim';
import type { BenchEntry, BenchEntryOptions } from '../types';

async function trainingEntry(ctx: GpuContext, name: string, raw: Record<string, unknown>, stepsPerRun: number): Promise<BenchEntry> {
  const config = parseScanSnapConfig({ ...raw, metricsEvery: 0, trackNext: 0 }, ctx.adapter.limits);
  const trainer = await ScanSnapTrainer.create(ctx, config);
  return {
    name,
    shape: `replicas ${config.replicas}, batch ${config.batch}, L ${config.L}, M ${trainer.layout.M}; host work: ${stepsPerRun} steps`,
    dispatches: trainer.stepDispatches,
    hostWork: { unit: 'run-steps', amount: stepsPerRun * config.replicas, run: async () => void (await trainer.train(stepsPerRun, { metricsEvery: 0 })) },
  };
}

export async function benchEntries(ctx: GpuContext, { quick }: BenchEntryOptions): Promise<BenchEntry[]> {
  const small = quick ? { batch: 8, L: 16 } : {};
  const gridReplicas = quick ? 2 : ctx.adapter.isSoftware ? 16 : 160;
  const steps = quick ? 2 : ctx.adapter.isSoftware ? 3 : 20;
  const smallConfig = parseScanSnapConfig({ ...small, init: 'uniform' });
  const sampler = new SequenceSampler(smallConfig);
  const M = sampler.layout.M;
  const ids = new Uint32Array(smallConfig.batch * sequenceStride(smallConfig.L));
  const init = initialParams(smallConfig, M);
  type Optimized = { param: Float64Array; velocity: Float64Array | null };
  let Y: Optimized = { param: Float64Array.from(init.Y), velocity: null };
  let Z: Optimized = { param: Float64Array.from(init.Z), velocity: null };
  const one = Float64Array.of(1);
  const mu = Float64Array.of(0.9);
  let step = 0;
  const gridGroup = { ...(quick ? small : { batch: 128, L: 128 }), numQuery: quick ? 2 : 10, nextPerQuery: 2, replicas: gridReplicas, init: 'uniform' };
  return [
    await trainingEntry(ctx, 'scansnap train step R=1', { ...small }, steps),
    await trainingEntry(ctx, `scansnap train step grid group R=${gridReplicas}`, gridGroup, steps),
    await trainingEntry(ctx, `scansnap train step grid group R=${gridReplicas} (batchSource cpu)`, { ...gridGroup, batchSource: 'cpu' }, steps),
    {
      name: 'scansnap sequence generation (CPU)',
      shape: `batch ${smallConfig.batch}, L ${smallConfig.L}: one replica's step`,
      dispatches: [],
      hostWork: { unit: 'run-steps', amount: 1, run: () => void sampler.step(ids, 1, smallConfig.batch, 0, step++) },
    },
    {
      name: 'scansnap reference step (CPU float64)',
      shape: `batch ${smallConfig.batch}, L ${smallConfig.L}, M ${M}: loss, gradients, momentum update`,
      dispatches: [],
      hostWork: {
        unit: 'run-steps',
        amount: 1,
        run: () => {
          sampler.step(ids, 1, smallConfig.batch, 0, step++);
          const g = scansnapLossAndGradsReference(M, Y.param, Z.param, ids, smallConfig.batch, smallConfig.L);
          Y = sgdMomentumReference(M * M, Y.param, g.dY, Y.velocity, one, mu);
          Z = sgdMomentumReference(M * M, Z.param, g.dZ, Z.velocity, one, mu);
        },
      },
    },
  ];
}
