// In-page probes for the foundation kernels: upload inputs, run the host wrapper's dispatch through a StepPlan,
// read outputs back. Output buffers are poisoned with NaN first so that an unwritten element fails the test.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32, readU32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { KernelLibrary } from '../../src/runtime/kernels';
import {
  gemm, gemmActivationGrad, gemmBias, gemmSplitK, gemmStrides,
  type GemmActivationGradShape, type GemmBiasShape, type GemmShape, type GemmSplitKShape,
} from '../../src/kernels/gemm';
import { sgdUpdate } from '../../src/kernels/sgdUpdate';
import { sgdMomentum } from '../../src/kernels/sgdMomentum';
import { softmaxRows, type SoftmaxRowsShape } from '../../src/kernels/softmaxRows';
import { reduceRows, type ReduceRowsShape } from '../../src/kernels/reduceRows';
import { counterHash, type CounterHashShape } from '../../src/kernels/counterHash';

export async function runGemm(args: { shape: GemmShape; A: Float32Array; B: Float32Array; C0?: Float32Array }): Promise<Float32Array> {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const A = pool.upload(args.A, 'A');
  const B = pool.upload(args.B, 'B');
  const count = args.C0?.length ?? s.batch * s.M * s.N;
  const C = args.C0 ? pool.upload(args.C0, 'C') : pool.acquire(4 * count, 'C');
  if (!args.C0) poison(device, C);
  const op = await gemm(ctx.kernels, s);
  new StepPlan(device, 'gemm test').add(op({ A, B, C })).run();
  const out = await readF32(device, C, count);
  [A, B, C].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

/**
 * gemmBias: C from C0 (or NaN-poisoned), and with an activation `pre` NaN-poisoned over C's span, so that its
 * gaps must stay NaN.
 */
export async function runGemmBias(args: { shape: GemmBiasShape; A: Float32Array; B: Float32Array; bias: Float32Array; C0?: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const count = (s.batch - 1) * gemmStrides(s).C + s.M * s.N;
  const A = pool.upload(args.A, 'A');
  const B = pool.upload(args.B, 'B');
  const bias = pool.upload(args.bias, 'bias');
  const C = args.C0 ? pool.upload(args.C0, 'C') : pool.acquire(4 * count, 'C');
  if (!args.C0) poison(device, C);
  const withPre = (s.activation ?? 'none') !== 'none';
  const pre = withPre ? pool.acquire(4 * count, 'pre') : undefined;
  if (pre) poison(device, pre);
  const op = await gemmBias(ctx.kernels, s);
  new StepPlan(device, 'gemmBias test').add(op({ A, B, C, bias, ...(pre && { pre }) })).run();
  const out = { C: await readF32(device, C, count), pre: pre ? await readF32(device, pre, count) : null };
  [A, B, bias, C, ...(pre ? [pre] : [])].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

/** gemmActivationGrad into a C that holds C0 (its gaps must keep their values) or NaN. */
export async function runGemmActivationGrad(args: {
  shape: GemmActivationGradShape; A: Float32Array; B: Float32Array; pre: Float32Array; C0?: Float32Array; seeds?: Uint32Array; step?: number;
}) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const count = args.pre.length;
  const A = pool.upload(args.A, 'A');
  const B = pool.upload(args.B, 'B');
  const pre = pool.upload(args.pre, 'pre');
  const C = args.C0 ? pool.upload(args.C0, 'C') : pool.acquire(4 * count, 'C');
  if (!args.C0) poison(device, C);
  const drop = args.seeds ? { seeds: pool.upload(args.seeds, 'seeds'), step: pool.upload(Uint32Array.of(args.step ?? 0), 'step') } : {};
  const op = await gemmActivationGrad(ctx.kernels, s);
  new StepPlan(device, 'gemmActivationGrad test').add(op({ A, B, C, pre, ...drop })).run();
  const out = await readF32(device, C, count);
  [A, B, pre, C, ...Object.values(drop)].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

/**
 * Runs a split-K gemm `runs` times, each time from a fresh C (C0 re-uploaded, or NaN-poisoned when there is
 * none), and returns every result with the split count the wrapper chose. The scratch is poisoned too, so a
 * partial that the gemm failed to write would reach the sum.
 */
export async function runGemmSplitK(args: { shape: GemmSplitKShape; A: Float32Array; B: Float32Array; C0?: Float32Array<ArrayBuffer>; runs: number }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const A = pool.upload(args.A, 'A');
  const B = pool.upload(args.B, 'B');
  const count = args.C0?.length ?? s.batch * s.M * s.N;
  const C = pool.acquire(4 * count, 'C');
  const op = await gemmSplitK(ctx, s);
  const plan = new StepPlan(device, 'gemmSplitK test').add(...op({ A, B, C }));
  const results: Float32Array[] = [];
  for (let run = 0; run < args.runs; run++) {
    if (args.C0) device.queue.writeBuffer(C, 0, args.C0);
    else poison(device, C);
    if (op.scratch) poison(device, op.scratch);
    plan.run();
    results.push(await readF32(device, C, count));
  }
  op.release();
  [A, B, C].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return { results, splits: op.splits, dispatches: plan.dispatches.length };
}

export async function runSgdUpdate(args: { replicas: number; size: number; param: Float32Array; grad: Float32Array; lr: Float32Array; steps: number }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const param = pool.upload(args.param, 'param');
  const grad = pool.upload(args.grad, 'grad');
  const lr = pool.upload(args.lr, 'lr');
  const op = await sgdUpdate(ctx.kernels, { replicas: args.replicas, size: args.size });
  new StepPlan(device, 'sgd test').add(op({ param, grad, lr })).run(args.steps);
  const out = await readF32(device, param, args.replicas * args.size);
  [param, grad, lr].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

export async function runSgdMomentum(args: {
  replicas: number; size: number; param: Float32Array; grads: Float32Array<ArrayBuffer>[]; lr: Float32Array; momentum: Float32Array;
  variant?: { fourPerThread?: boolean; maxGroups?: number };
}) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const n = args.replicas * args.size;
  const param = pool.upload(args.param, 'param');
  const grad = pool.acquire(4 * n, 'grad');
  const velocity = pool.upload(new Float32Array(n), 'velocity');
  const lr = pool.upload(args.lr, 'lr');
  const momentum = pool.upload(args.momentum, 'momentum');
  const op = await sgdMomentum(ctx.kernels, { replicas: args.replicas, size: args.size, ...args.variant });
  const plan = new StepPlan(device, 'momentum test').add(op({ param, grad, velocity, lr, momentum }));
  for (const g of args.grads) {
    device.queue.writeBuffer(grad, 0, g); // ordered before the submission that follows
    plan.run();
  }
  const out = { param: await readF32(device, param, n), velocity: await readF32(device, velocity, n) };
  [param, grad, velocity, lr, momentum].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

/** Forward on x and, separately, backward on the given (y, dy): each output poisoned before its kernel runs. */
export async function runSoftmaxRows(args: { shape: SoftmaxRowsShape; x: Float32Array; y: Float32Array; dy: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const n = s.batch * s.rows * s.cols;
  const x = pool.upload(args.x, 'x');
  const yForward = pool.acquire(4 * n, 'y forward');
  const y = pool.upload(args.y, 'y');
  const dy = pool.upload(args.dy, 'dy');
  const dx = pool.acquire(4 * n, 'dx');
  poison(device, yForward);
  poison(device, dx);
  const op = await softmaxRows(ctx.kernels, s);
  new StepPlan(device, 'softmaxRows test').add(op.forward({ x, y: yForward }), op.backward({ y, dy, dx })).run();
  const out = { y: await readF32(device, yForward, n), dx: await readF32(device, dx, n) };
  [x, yForward, y, dy, dx].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

/** Runs the reduction `runs` times, each into a freshly poisoned output, and returns every result. */
export async function runReduceRows(args: { shape: ReduceRowsShape; x: Float32Array; runs: number }): Promise<Float32Array[]> {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const x = pool.upload(args.x, 'x');
  const count = (s.rows - 1) * (s.outStride ?? s.cols) + s.cols;
  const out = pool.acquire(4 * count, 'out');
  const plan = new StepPlan(device, 'reduceRows test').add((await reduceRows(ctx.kernels, s))({ x, out }));
  const results: Float32Array[] = [];
  for (let run = 0; run < args.runs; run++) {
    poison(device, out);
    plan.run();
    results.push(await readF32(device, out, count));
  }
  [x, out].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return results;
}

/** Binds deliberately wrong buffers to gemm and returns the error message (or '' if none was thrown). */
export async function gemmBindingMismatch(args: { mismatch: 'small' | 'missing' | 'usage' | 'unknown' }): Promise<string> {
  const ctx = await getContext();
  const { device } = ctx;
  const shape = { batch: 2, M: 5, N: 3, K: 4 };
  const op = await gemm(ctx.kernels, shape);
  const mk = (floats: number, usage = GPUBufferUsage.STORAGE) => device.createBuffer({ label: `buf${floats}`, size: 4 * floats, usage });
  const A = mk(40), B = mk(24), C = mk(30);
  try {
    if (args.mismatch === 'small') op({ A, B, C: mk(29) });
    if (args.mismatch === 'missing') op({ A, B } as never);
    if (args.mismatch === 'usage') op({ A, B, C: mk(30, GPUBufferUsage.UNIFORM) });
    if (args.mismatch === 'unknown') op({ A, B, C, D: C } as never);
    return '';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** Compiles a broken shader through the kernel library and returns the error message. */
export async function compileBroken(args: { source: string }): Promise<string> {
  const ctx = await getContext();
  const lib = new KernelLibrary(ctx.device, { broken: args.source });
  try {
    await lib.kernel('broken');
    return '';
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** counterHash's two entries on the given keys and (seed, step, layer, site) tuples; outputs poisoned first. */
export async function runCounterHash(args: { shape: Omit<CounterHashShape, 'count'>; keys: Uint32Array; tuples: Uint32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const slots = args.shape.slots ?? 1;
  const keys = pool.upload(args.keys, 'keys');
  const tuples = pool.upload(args.tuples, 'tuples');
  const draws = pool.acquire(4 * args.keys.length * slots, 'draws');
  const dropoutKeys = pool.acquire(4 * args.keys.length, 'dropout keys');
  poison(device, draws);
  poison(device, dropoutKeys);
  const op = await counterHash(ctx.kernels, { ...args.shape, count: args.keys.length });
  new StepPlan(device, 'counterHash test').add(op.draws({ keys, out: draws }), op.dropoutKeys({ tuples, out: dropoutKeys })).run();
  const out = { draws: await readU32(device, draws, args.keys.length * slots), dropoutKeys: await readU32(device, dropoutKeys, args.keys.length) };
  [keys, tuples, draws, dropoutKeys].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}
