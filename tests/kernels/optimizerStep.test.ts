// optimizerStep (shaders/optimizerStep.wgsl): SGD with momentum and AdamW over a whole slab [R][P], several steps
// with per-replica, per-group learning rates, per-replica momentum / betas / weight decay and gradNorm's clip
// scale, against float64 references of torch.optim.SGD and torch.optim.AdamW.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { clipScaleReference, gradNormReference } from '../../src/reference/gradNorm';
import { adamwStepReference, sgdStepReference } from '../../src/reference/optimizerStep';
import { optimizerStep, type OptimizerStepShape } from '../../src/kernels/optimizerStep';
import { TAIL, type OptimizerProbeArgs } from '../probes/optimizerStep';

const PROBE = '/tests/probes/optimizerStep.ts';
const PADDING = { from: 40, to: 64 }; // slab positions kept zero in params and gradients (padding between tensors)

type Out = { param: Float32Array; states: Float32Array[]; step: number };

/** Params and per-step gradients of a slab whose positions PADDING.from..to are zero (padding), when P reaches them. */
function slabInputs(s: OptimizerStepShape, steps: number, seed: number) {
  const rng = new Random(seed);
  const zeroPadding = (a: Float32Array) => {
    for (let r = 0; r < s.replicas; r++) for (let i = PADDING.from; i < Math.min(PADDING.to, s.size); i++) a[r * s.size + i] = 0;
    return a;
  };
  const param = zeroPadding(seededArray(rng, s.replicas * s.size));
  const grads = Array.from({ length: steps }, () => zeroPadding(seededArray(rng, s.replicas * s.size, -2, 2)));
  return { param, grads };
}

function clipScale(s: OptimizerStepShape, grad: Float32Array, clip: Float32Array) {
  return clipScaleReference(gradNormReference({ replicas: s.replicas, size: s.size }, grad), clip);
}

function checkUntouched(s: OptimizerStepShape, got: Out) {
  const n = s.replicas * s.size;
  for (const a of [got.param, ...got.states]) {
    expect(Array.from(a.subarray(n)).every(Number.isNaN), 'the NaN past the slab was written').toBe(true);
    for (let r = 0; r < s.replicas; r++) {
      for (let i = PADDING.from; i < Math.min(PADDING.to, s.size); i++) expect(a[r * s.size + i], `padding ${r}/${i}`).toBe(0);
    }
  }
}

describe('optimizerStep sgd (torch.optim.SGD with momentum)', () => {
  const gpu = useGpu();
  const cases: { shape: OptimizerStepShape; momentum: number[] }[] = [
    { shape: { replicas: 1, size: 1, ffnEnd: 0 }, momentum: [0.9] },
    { shape: { replicas: 3, size: 1000, ffnEnd: 320 }, momentum: [0.9, 0, 0.5] },
    { shape: { replicas: 2, size: 333, ffnEnd: 333, wg: 64 }, momentum: [0.99, 0.1] },
  ];
  for (const { shape, momentum } of cases) {
    it(`${JSON.stringify(shape)}, momentum ${momentum}, 4 steps with clipping`, async () => {
      const { param, grads } = slabInputs(shape, 4, shape.size + shape.replicas);
      const R = shape.replicas;
      // lr[group·R + r]: ffn group first; every replica and group different.
      const lr = Float32Array.from({ length: 2 * R }, (_, i) => 0.05 * (i + 1));
      const clip = Float32Array.from({ length: R }, (_, r) => [0, 1.5, 1e6][r % 3]);
      const args: OptimizerProbeArgs = { shape, kind: 'sgd', param, grads, clip, lr, momentum: Float32Array.from(momentum), step: 0 };
      const got = await gpu().call<Out>(PROBE, 'runOptimizerSteps', args);
      let state: { param: ArrayLike<number>; momentumBuffer: ArrayLike<number> | null } = { param, momentumBuffer: null };
      for (const g of grads) {
        state = sgdStepReference(shape, state, g, { gradScale: clipScale(shape, g, clip), lr, momentum: args.momentum! });
      }
      const n = R * shape.size;
      expectClose(got.param.subarray(0, n), state.param, 2e-6, 'param');
      expectClose(got.states[0].subarray(0, n), state.momentumBuffer!, 2e-6, 'momentum buffer');
      expect(got.step).toBe(4);
      checkUntouched(shape, got);
    });
  }
});

describe('optimizerStep adamw (torch.optim.AdamW)', () => {
  const gpu = useGpu();
  const cases: { shape: OptimizerStepShape; step: number; steps: number }[] = [
    { shape: { replicas: 1, size: 1, ffnEnd: 1 }, step: 0, steps: 3 },
    { shape: { replicas: 3, size: 1000, ffnEnd: 320 }, step: 0, steps: 5 },
    // A counter far along: t = 1001.. (bias corrections near 1 for beta1, still far from 1 for some beta2).
    { shape: { replicas: 3, size: 300, ffnEnd: 100, wg: 32 }, step: 1000, steps: 3 },
  ];
  for (const { shape, step, steps } of cases) {
    it(`${JSON.stringify(shape)}, steps ${step + 1}..${step + steps}, clipping`, async () => {
      const { param, grads } = slabInputs(shape, steps, shape.size * 3 + step);
      const R = shape.replicas;
      const lr = Float32Array.from({ length: 2 * R }, (_, i) => 1e-3 * (i + 1));
      const beta1 = Float32Array.from({ length: R }, (_, r) => [0.9, 0.8, 0][r % 3]);
      const beta2 = Float32Array.from({ length: R }, (_, r) => [0.999, 0.95, 0.9999][r % 3]);
      const weightDecay = Float32Array.from({ length: R }, (_, r) => [0.01, 0, 0.1][r % 3]);
      const clip = Float32Array.from({ length: R }, (_, r) => [0.5, 0, 1e6][r % 3]);
      const args: OptimizerProbeArgs = { shape, kind: 'adamw', param, grads, clip, lr, beta1, beta2, weightDecay, step };
      const got = await gpu().call<Out>(PROBE, 'runOptimizerSteps', args);
      let state: { param: ArrayLike<number>; expAvg: ArrayLike<number>; expAvgSq: ArrayLike<number> } = {
        param, expAvg: new Float64Array(param.length), expAvgSq: new Float64Array(param.length),
      };
      grads.forEach((g, i) => {
        state = adamwStepReference(shape, state, g, { gradScale: clipScale(shape, g, clip), lr, beta1, beta2, weightDecay }, step + i + 1);
      });
      const n = R * shape.size;
      expectClose(got.param.subarray(0, n), state.param, 2e-6, 'param');
      expectClose(got.states[0].subarray(0, n), state.expAvg, 2e-6, 'exp_avg');
      expectClose(got.states[1].subarray(0, n), state.expAvgSq, 2e-6, 'exp_avg_sq');
      // The update itself (param − its start) must be right too, not only the parameters it is small against.
      const delta = (a: ArrayLike<number>) => Float64Array.from({ length: n }, (_, k) => a[k] - param[k]);
      expectClose(delta(got.param), delta(state.param), 2e-4, 'param change');
      expect(got.step).toBe(step + steps);
      checkUntouched(shape, got);
    });
  }
});

describe('optimizerStep shape checks', () => {
  it('names the field, value and what is allowed', async () => {
    const noGpu = {} as never;
    await expect(optimizerStep(noGpu, { replicas: 2, size: 10, ffnEnd: 11 })).rejects.toThrow('optimizerStep: ffnEnd = 11; it must be an integer in 0..size (10)');
    await expect(optimizerStep(noGpu, { replicas: 2, size: 0, ffnEnd: 0 })).rejects.toThrow('optimizerStep: size = 0; it must be a positive integer');
    await expect(optimizerStep(noGpu, { replicas: 2, size: 4, ffnEnd: 0, eps: 0 })).rejects.toThrow('optimizerStep: eps = 0; it must be a positive finite number');
  });
});
