// In-page probe for positionalEncoding: `add` on an uploaded x, and the backward `runs` times into a
// NaN-poisoned dpos (the gaps between replicas must stay NaN).
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { positionalEncoding, type PositionalEncodingShape } from '../../src/kernels/positionalEncoding';

export async function runPositionalAdd(args: { shape: PositionalEncodingShape; x: Float32Array; pe: Float32Array }): Promise<Float32Array> {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const x = pool.upload(args.x, 'x');
  const pe = pool.upload(args.pe, 'pe');
  const op = await positionalEncoding(ctx.kernels, args.shape);
  new StepPlan(device, 'positionalEncoding add test').add(op.add({ x, pe })).run();
  const out = await readF32(device, x, args.x.length);
  [x, pe].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

export async function runPositionalBackward(args: { shape: PositionalEncodingShape; dx: Float32Array; dposLength: number; runs: number }): Promise<Float32Array[]> {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const dx = pool.upload(args.dx, 'dx');
  const dpos = pool.acquire(4 * args.dposLength, 'dpos');
  const op = await positionalEncoding(ctx.kernels, args.shape);
  const plan = new StepPlan(device, 'positionalEncoding backward test').add(op.backward({ dx, dpos }));
  const results: Float32Array[] = [];
  for (let run = 0; run < args.runs; run++) {
    poison(device, dpos);
    plan.run();
    results.push(await readF32(device, dpos, args.dposLength));
  }
  [dx, dpos].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return results;
}
