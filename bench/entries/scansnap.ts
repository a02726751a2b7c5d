// Scan & Snap training throughput, end to end (sequences generated in the recorded step, GPU step), in run-steps
// per second (steps × replicas): R = 1 at the Syn-Small shapes, and the grid job's largest shape group (numQuery
// 10, M = 240; 160 replicas on a real GPU, fewer on a CPU adapter), each step's kernels timed one by one; the
// same group with batchSource 'cpu' (host generation and upload every step); a row per Scan & Snap kernel (its
// dispatches in the R = 1 step); the CPU sequence generator alone; and the float64 reference's step (loss,
// gradients, momentum update) at R = 1.
import type { GpuContext } from '../../src/runtime/context';
import { ScanSnapTrainer } from '../../src/models/scansnap/model';
import { parseScanSnapConfig } from '../../src/models/scansnap/index';
import { initialParams, SequenceSampler, sequenceStride } from '../../src/models/scansnap/data';
import { scansnapLossAndGradsReference } from '../../src/reference/scansnap';
import { sgdMomentumReference } from '../../src/reference/sgdMomentum';
import { stepKernelRow } from '../stepKernels';
import type { BenchEntry, BenchEntryOptions } from '../types';

function createTrainer(ctx: GpuContext, raw: Record<string, unknown>): Promise<ScanSnapTrainer> {
  return ScanSnapTrainer.create(ctx, parseScanSnapConfig({ ...raw, metricsEvery: 0, trackNext: 0 }, ctx.adapter.limits));
}

async function oneStepTaken(trainer: ScanSnapTrainer): Promise<ScanSnapTrainer> {
  await trainer.train(1, { metricsEvery: 0 });
  return trainer;
}

function trainingEntry(trainer: ScanSnapTrainer, name: string, stepsPerRun: number): BenchEntry {
  const { config } = trainer;
  return {
    name,
    shape: `replicas ${config.replicas}, batch ${config.batch}, L ${config.L}, M ${trainer.layout.M}; host work: ${stepsPerRun} steps`,
    dispatches: trainer.stepDispatches,
    hostWork: { unit: 'run-steps', amount: stepsPerRun * config.replicas, run: async () => void (await trainer.train(stepsPerRun, { metricsEvery: 0, metricsAtEnd: false })) },
  };
}

export async function benchEntries(ctx: GpuContext, { quick, wants }: BenchEntryOptions): Promise<BenchEntry[]> {
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
  // One step first, so that the kernel rows read a real batch (their work depends on its distinct tokens) and
  // gradients whichever rows the filter keeps.
  const tag = `${quick ? 'quick' : 'SPEC defaults'} R=1`;
  const kernelShape = `replicas 1, batch ${smallConfig.batch}, L ${smallConfig.L}, M ${M}: its dispatches in the training step`;
  const kernelRows: [string, string][] = [
    [`scansnapBatchGenerate ${tag}`, kernelShape],
    [`scansnapAttention ${tag}`, kernelShape],
    [`scansnapCrossEntropy ${tag}`, kernelShape],
    [`scansnapAttentionBackward ${tag}`, kernelShape],
    [`scansnapGradY ${tag}`, kernelShape],
    [`scansnapGradZ ${tag}`, kernelShape],
    [`sgdMomentum scansnap step ${tag}`, `${kernelShape}: Y, then Z's query rows`],
  ];
  const gridName = `scansnap train step grid group R=${gridReplicas}`;
  // Trainers are built only for rows the run times (the grid group's take a while on a CPU adapter).
  const single = wants('scansnap train step R=1') || kernelRows.some(([name]) => wants(name)) ? await oneStepTaken(await createTrainer(ctx, { ...small })) : null;
  return [
    ...(single ? [trainingEntry(single, 'scansnap train step R=1', steps)] : []),
    ...(wants(gridName) ? [trainingEntry(await createTrainer(ctx, gridGroup), gridName, steps)] : []),
    // One step first: with host-made sequences the timed dispatches read whatever the token buffer holds, and
    // an empty buffer (every token 0, one distinct token per sequence) made this row's GPU time 25 ms against 72.
    ...(wants(`${gridName} (batchSource cpu)`) ? [trainingEntry(await oneStepTaken(await createTrainer(ctx, { ...gridGroup, batchSource: 'cpu' })), `${gridName} (batchSource cpu)`, steps)] : []),
    ...(single ? kernelRows.map(([name, shape]) => stepKernelRow(single.stepDispatches, name, shape)) : []),
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
