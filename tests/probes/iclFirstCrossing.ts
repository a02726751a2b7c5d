// In-page probe for shaders/iclFirstCrossing.wgsl: a sequence of evaluations (step, evalStats) recorded into one
// firstStep state, read back after each; the state's tail past the replicas is NaN-poisoned and must stay so.
import { assertNoDeviceErrors, getContext } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { iclFirstCrossing, type IclFirstCrossingShape } from '../../src/kernels/iclFirstCrossing';

export async function runIclFirstCrossing(args: {
  shape: IclFirstCrossingShape; initial: Float32Array; padding: number; evaluations: { step: number; evalStats: Float32Array }[];
}): Promise<Float32Array[]> {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const R = args.shape.replicas;
  const firstStep = pool.acquire(4 * (R + args.padding), 'firstStep');
  poison(device, firstStep);
  device.queue.writeBuffer(firstStep, 0, new Float32Array(args.initial));
  const step = pool.acquire(4, 'step');
  const evalStats = pool.acquire(16 * R, 'evalStats');
  const plan = new StepPlan(device, 'iclFirstCrossing test').add((await iclFirstCrossing(ctx.kernels, args.shape))({ step, evalStats, firstStep }));
  const states: Float32Array[] = [];
  for (const evaluation of args.evaluations) {
    device.queue.writeBuffer(step, 0, new Uint32Array([evaluation.step]));
    device.queue.writeBuffer(evalStats, 0, new Float32Array(evaluation.evalStats));
    plan.run();
    states.push(await readF32(device, firstStep, R + args.padding));
  }
  [firstStep, step, evalStats].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return states;
}

/** The wrapper's message for a bad shape ('' when it accepts it). */
export async function wrapperError(args: { shape: IclFirstCrossingShape }): Promise<string> {
  const ctx = await getContext();
  try {
    await iclFirstCrossing(ctx.kernels, args.shape);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}
