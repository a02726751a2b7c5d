// In-page probe for shaders/dropout.wgsl: runs `apply` (y NaN-poisoned first) or `applyInPlace` once per step
// value, writing the step counter buffer between runs as the model's advanceStep would.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { dropout, type DropoutShape } from '../../src/kernels/dropout';

export async function runDropout(args: { shape: DropoutShape; x: Float32Array<ArrayBuffer>; seeds: Uint32Array; steps: number[]; inPlace?: boolean }): Promise<Float32Array[]> {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const n = args.shape.replicas * args.shape.size;
  const x = pool.upload(args.x, 'x');
  const y = pool.acquire(4 * n, 'y');
  const seeds = pool.upload(args.seeds, 'seeds');
  const step = pool.acquire(4, 'step');
  const op = await dropout(ctx.kernels, args.shape);
  const plan = new StepPlan(device, 'dropout test').add(args.inPlace ? op.applyInPlace({ x, seeds, step }) : op.apply({ x, y, seeds, step }));
  const results: Float32Array[] = [];
  for (const s of args.steps) {
    device.queue.writeBuffer(step, 0, new Uint32Array([s]));
    if (args.inPlace) device.queue.writeBuffer(x, 0, args.x);
    else poison(device, y);
    plan.run();
    results.push(await readF32(device, args.inPlace ? x : y, n));
  }
  [x, y, seeds, step].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return results;
}

/** applyResidual once: y (poisoned first) = residual + dropout(x). */
export async function runDropoutResidual(args: { shape: DropoutShape; x: Float32Array<ArrayBuffer>; residual: Float32Array<ArrayBuffer>; seeds: Uint32Array; step: number }): Promise<Float32Array> {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const n = args.shape.replicas * args.shape.size;
  const buffers = {
    x: pool.upload(args.x, 'x'), residual: pool.upload(args.residual, 'residual'), y: pool.acquire(4 * n, 'y'),
    seeds: pool.upload(args.seeds, 'seeds'), step: pool.upload(Uint32Array.of(args.step), 'step'),
  };
  poison(device, buffers.y);
  const op = await dropout(ctx.kernels, args.shape);
  new StepPlan(device, 'dropout residual test').add(op.applyResidual(buffers)).run();
  const out = await readF32(device, buffers.y, n);
  Object.values(buffers).forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}
