// The first-crossing record of the steps-against-alpha sweep (icl-alpha-steps): the kernel alone for a sweep-sized
// replica count, and what one evaluation point adds to training (the unseen-task evaluation and the record, in the
// same submission as the steps), beside the plain training step, for the preset's shapes.
import type { GpuContext } from '../../src/runtime/context';
import { iclFirstCrossing, NOT_CROSSED } from '../../src/kernels/iclFirstCrossing';
import { IclTrainer } from '../../src/models/icl/model';
import type { BenchEntry, BenchEntryOptions } from '../types';

export async function benchEntries(ctx: GpuContext, { quick }: BenchEntryOptions): Promise<BenchEntry[]> {
  const replicas = quick ? 3 : 64;
  const record = await iclFirstCrossing(ctx.kernels, { replicas, threshold: 0.05 });
  const stats = new Float32Array(4 * replicas);
  for (let r = 0; r < replicas; r++) stats.set([10, r % 2 === 0 ? 3 : 300, 500, 1000], 4 * r);
  const buffers = {
    step: ctx.pool.upload(new Uint32Array([40]), 'bench crossing step'),
    evalStats: ctx.pool.upload(stats, 'bench crossing evalStats'),
    firstStep: ctx.pool.upload(new Float32Array(replicas).fill(NOT_CROSSED), 'bench crossing firstStep'),
  };
  const small = quick ? { dX: 8, dY: 2, N: 4, m: 8, batch: 16, M1: 3, M2: 4, testSize: 64 } : { testSize: 1000 };
  const stepsPerRun = quick ? 2 : 4;
  const trainer = (crossingEvery: number) => IclTrainer.create(ctx, { ...small, replicas: 1, evalTest: false, metricsEvery: 0, crossingEvery });
  const [plain, crossing] = await Promise.all([trainer(0), trainer(stepsPerRun)]);
  const training = (t: IclTrainer, what: string): BenchEntry => ({
    name: `iclFirstCrossing training ${what} R=1`,
    shape: `batch ${t.config.batch}, N ${t.config.N}, ${t.config.testSize} test prompts; host work: ${stepsPerRun} steps`,
    dispatches: [],
    hostWork: { unit: 'steps', amount: stepsPerRun, run: async () => void (await t.train(stepsPerRun, { metricsEvery: 0, metricsAtEnd: false })) },
  });
  return [
    { name: `iclFirstCrossing record R=${replicas}`, shape: `${replicas} replicas, threshold 0.05`, dispatches: [record(buffers)] },
    training(plain, 'steps without evaluation'),
    training(crossing, `steps with an evaluation and record every ${stepsPerRun}`),
  ];
}
