// In-page probes for the bench's own kernels (shaders/benchCopy.wgsl, shaders/benchFma.wgsl): run each with
// given sizes and read the output back, so tests can check that the limits the bench reports come from kernels
// that do the work they claim.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32, STORAGE } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';

export async function runBenchCopy(args: { src: Float32Array; groups: number }): Promise<Float32Array> {
  const ctx = await getContext();
  const vecs = args.src.length / 4;
  const src = ctx.pool.upload(args.src, 'benchCopy src');
  const dst = ctx.pool.acquire(args.src.byteLength, 'benchCopy dst', STORAGE);
  poison(ctx.device, dst);
  const kernel = await ctx.kernels.kernel('benchCopy', { constants: { VECS: vecs } });
  new StepPlan(ctx.device, 'benchCopy test').add(kernel.dispatch({ src, dst }, [args.groups], { minBytes: { src: 16 * vecs, dst: 16 * vecs } })).run();
  const out = await readF32(ctx.device, dst, args.src.length);
  [src, dst].forEach((b) => ctx.pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

export async function runBenchFma(args: { iterations: number; groups: number }): Promise<Float32Array> {
  const ctx = await getContext();
  const kernel = await ctx.kernels.kernel('benchFma', { constants: { ITERATIONS: args.iterations } });
  const threads = kernel.workgroupSize[0] * args.groups;
  const out = ctx.pool.acquire(16 * threads, 'benchFma out', STORAGE);
  poison(ctx.device, out);
  new StepPlan(ctx.device, 'benchFma test').add(kernel.dispatch({ out }, [args.groups])).run();
  const values = await readF32(ctx.device, out, 4 * threads);
  ctx.pool.release(out);
  assertNoDeviceErrors(ctx);
  return values;
}
