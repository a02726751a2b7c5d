// In-page probe for shaders/gradNorm.wgsl: the norm (and, given clip, the clip scale) of a slab, run `runs` times
// into freshly NaN-poisoned outputs and scratch.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { gradNorm, type GradNormShape } from '../../src/kernels/gradNorm';

export async function runGradNorm(args: { shape: GradNormShape; x: Float32Array; clip?: Float32Array; runs: number }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const x = pool.upload(args.x, 'x');
  const norm = pool.acquire(4 * s.replicas, 'norm');
  const scale = pool.acquire(4 * s.replicas, 'scale');
  const clip = args.clip ? pool.upload(args.clip, 'clip') : null;
  const op = await gradNorm(ctx, s);
  const plan = new StepPlan(device, 'gradNorm test').add(...(clip ? op.clipScale({ x, norm, clip, scale }) : op.norm({ x, norm })));
  const results: { norm: Float32Array; scale: Float32Array | null }[] = [];
  for (let run = 0; run < args.runs; run++) {
    [norm, scale, op.blockSums].forEach((b) => poison(device, b));
    plan.run();
    results.push({ norm: await readF32(device, norm, s.replicas), scale: clip ? await readF32(device, scale, s.replicas) : null });
  }
  op.release();
  [x, norm, scale, ...(clip ? [clip] : [])].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return { results, blocks: op.blocks, block: op.block };
}
