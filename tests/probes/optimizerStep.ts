// In-page probe for shaders/optimizerStep.wgsl: several training steps of [gradNorm clip scale, optimizer step,
// advanceStep] recorded once and replayed, a fresh gradient written before each. The slab buffers are longer than
// [R][P] with a NaN tail that the step must leave alone.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { readF32, readU32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { gradNorm } from '../../src/kernels/gradNorm';
import { optimizerStep, type OptimizerStepShape } from '../../src/kernels/optimizerStep';

export const TAIL = 64;

export interface OptimizerProbeArgs {
  shape: OptimizerStepShape;
  kind: 'sgd' | 'adamw';
  param: Float32Array;
  grads: Float32Array[];
  /** f32 [R] max_norm (0 = no clipping) */
  clip: Float32Array;
  lr: Float32Array;
  momentum?: Float32Array;
  beta1?: Float32Array;
  beta2?: Float32Array;
  weightDecay?: Float32Array;
  /** Initial value of the step counter. */
  step: number;
}

export async function runOptimizerSteps(args: OptimizerProbeArgs) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const n = s.replicas * s.size;
  const withTail = (a: Float32Array) => {
    const out = new Float32Array(n + TAIL).fill(NaN);
    out.set(a);
    return out;
  };
  const zeros = () => withTail(new Float32Array(n));
  const param = pool.upload(withTail(args.param), 'param');
  const grad = pool.upload(zeros(), 'grad');
  const states = args.kind === 'sgd' ? [pool.upload(zeros(), 'momentum buffer')] : [pool.upload(zeros(), 'exp_avg'), pool.upload(zeros(), 'exp_avg_sq')];
  const small = (a: Float32Array | undefined, label: string) => pool.upload(a ?? new Float32Array(s.replicas), label);
  const lr = small(args.lr, 'lr');
  const clip = small(args.clip, 'clip');
  const norm = pool.acquire(4 * s.replicas, 'norm');
  const gradScale = pool.acquire(4 * s.replicas, 'grad scale');
  const hyper = args.kind === 'sgd'
    ? [small(args.momentum, 'momentum')]
    : [small(args.beta1, 'beta1'), small(args.beta2, 'beta2'), small(args.weightDecay, 'weight decay')];
  const step = pool.upload(new Uint32Array([args.step]), 'step');
  const clipper = await gradNorm(ctx, { replicas: s.replicas, size: s.size });
  const op = await optimizerStep(ctx.kernels, s);
  const update = args.kind === 'sgd'
    ? op.sgd({ param, grad, gradScale, lr, momentumBuffer: states[0], momentum: hyper[0] })
    : op.adamw({ param, grad, gradScale, lr, expAvg: states[0], expAvgSq: states[1], beta1: hyper[0], beta2: hyper[1], weightDecay: hyper[2], step });
  const plan = new StepPlan(device, 'optimizerStep test').add(...clipper.clipScale({ x: grad, norm, clip, scale: gradScale }), update, op.advanceStep(step));
  for (const g of args.grads) {
    device.queue.writeBuffer(grad, 0, g.buffer, g.byteOffset, g.byteLength);
    plan.run();
  }
  const out = {
    param: await readF32(device, param, n + TAIL),
    states: await Promise.all(states.map((b) => readF32(device, b, n + TAIL))),
    step: (await readU32(device, step, 1))[0],
  };
  clipper.release();
  [param, grad, ...states, lr, clip, norm, gradScale, ...hyper, step].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}
