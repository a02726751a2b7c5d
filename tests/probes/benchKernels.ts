// In-page probes for the bench's own kernels (shaders/benchCopy.wgsl, shaders/benchFma.wgsl): run each through its
// host wrapper with given sizes and read the output back, so tests can check that the limits the bench reports
// come from kernels that do the work they claim.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32, STORAGE } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { benchCopy } from '../../src/kernels/benchCopy';
import { benchFma } from '../../src/kernels/benchFma';

export async function runBenchCopy(args: { src: Float32Array; groups: number }): Promise<Float32Array> {
  const ctx = await getContext();
  const src = ctx.pool.upload(args.src, 'benchCopy src');
  const dst = ctx.pool.acquire(args.src.byteLength, 'benchCopy dst', STORAGE);
  poison(ctx.device, dst);
  const copy = await benchCopy(ctx.kernels, { vecs: args.src.length / 4, groups: args.groups });
  new StepPlan(ctx.device, 'benchCopy test').add(copy({ src, dst })).run();
  const out = await readF32(ctx.device, dst, args.src.length);
  [src, dst].forEach((b) => ctx.pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

export async function runBenchFma(args: { iterations: number; groups: number }): Promise<Float32Array> {
  const ctx = await getContext();
  const fma = await benchFma(ctx.kernels, { iterations: args.iterations, groups: args.groups });
  const out = ctx.pool.acquire(16 * fma.threads, 'benchFma out', STORAGE);
  poison(ctx.device, out);
  new StepPlan(ctx.device, 'benchFma test').add(fma.dispatch({ out })).run();
  const values = await readF32(ctx.device, out, 4 * fma.threads);
  ctx.pool.release(out);
  assertNoDeviceErrors(ctx);
  return values;
}
