// In-page probes for shaders/attention.wgsl: upload qkv (and dO, seeds, step), NaN-poison every output, run the
// wrapper's forward then backward (the backward on the forward's own O and lse) through one StepPlan, read back.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { attention, attentionProbabilities, type AttentionProbabilitiesShape, type AttentionShape } from '../../src/kernels/attention';

export interface AttentionRun {
  o: Float32Array;
  lse: Float32Array;
  delta: Float32Array;
  dQKV: Float32Array;
}

/**
 * Runs forward and backward `runs` times, every output poisoned before each run, and returns each run's outputs,
 * the variants the wrapper used and the wall time of the GPU work (submission to readback, last run).
 */
export async function runAttention(args: { shape: AttentionShape; qkv: Float32Array; dO: Float32Array; seeds?: Uint32Array; step?: number; runs: number }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const Z = s.replicas * s.batch;
  const oFloats = Z * s.T * s.dModel;
  const statFloats = Z * s.nHeads * s.T;
  const qkv = pool.upload(args.qkv, 'qkv');
  const dO = pool.upload(args.dO, 'dO');
  const o = pool.acquire(4 * oFloats, 'o');
  const lse = pool.acquire(4 * statFloats, 'lse');
  const delta = pool.acquire(4 * statFloats, 'delta');
  const dQKV = pool.acquire(4 * args.qkv.length, 'dQKV');
  const seeds = args.seeds ? pool.upload(args.seeds, 'seeds') : undefined;
  const step = args.step !== undefined ? pool.upload(new Uint32Array([args.step]), 'step') : undefined;
  const op = await attention(ctx.kernels, s);
  const plan = new StepPlan(device, 'attention test').add(op.forward({ qkv, o, lse, seeds, step }), ...op.backward({ qkv, o, lse, dO, delta, dQKV, seeds, step }));
  const results: AttentionRun[] = [];
  let ms = 0;
  for (let run = 0; run < args.runs; run++) {
    [o, lse, delta, dQKV].forEach((b) => poison(device, b));
    await device.queue.onSubmittedWorkDone();
    const start = performance.now();
    plan.run();
    await device.queue.onSubmittedWorkDone();
    ms = performance.now() - start;
    results.push({
      o: await readF32(device, o, oFloats),
      lse: await readF32(device, lse, statFloats),
      delta: await readF32(device, delta, statFloats),
      dQKV: await readF32(device, dQKV, args.qkv.length),
    });
  }
  [qkv, dO, o, lse, delta, dQKV, ...(seeds ? [seeds] : []), ...(step ? [step] : [])].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return { results, tiles: op.tiles, ms };
}

export async function runAttentionProbabilities(args: { shape: AttentionProbabilitiesShape; qkv: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const count = s.replicas * s.batch * s.nHeads * s.T * s.T;
  const qkv = pool.upload(args.qkv, 'qkv');
  const probs = pool.acquire(4 * count, 'probs');
  poison(device, probs);
  const op = await attentionProbabilities(ctx.kernels, s);
  new StepPlan(device, 'attention probabilities test').add(op({ qkv, probs })).run();
  const out = await readF32(device, probs, count);
  [qkv, probs].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return { probs: out, tiles: op.tiles };
}

/**
 * Builds the wrapper for a shape (and, with `buildForward`, its forward dispatch on buffers without seeds and
 * step) and returns the error (name and message), or '' when nothing was refused.
 */
export async function attentionShapeError(args: { shape: AttentionShape; buildForward?: boolean }): Promise<string> {
  const ctx = await getContext();
  const { pool } = ctx;
  const s = args.shape;
  const buffers: GPUBuffer[] = [];
  try {
    const op = await attention(ctx.kernels, s);
    if (args.buildForward) {
      const Z = s.replicas * s.batch;
      const qkv = pool.acquire(4 * Z * s.T * 3 * s.dModel, 'qkv');
      const o = pool.acquire(4 * Z * s.T * s.dModel, 'o');
      const lse = pool.acquire(4 * Z * s.nHeads * s.T, 'lse');
      buffers.push(qkv, o, lse);
      op.forward({ qkv, o, lse });
    }
    return '';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  } finally {
    buffers.forEach((b) => pool.release(b));
  }
}
