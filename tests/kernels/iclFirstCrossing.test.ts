// iclFirstCrossing (shaders/iclFirstCrossing.wgsl) against the float64 reference: sequences of evaluations where
// replicas cross at different steps, some never, some start crossed; replicas past one workgroup; errors just
// above and below the threshold; no prompts counted; the state's tail past the replicas untouched.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { Random } from '../../src/util/random';
import { iclFirstCrossingReference } from '../../src/reference/iclFirstCrossing';
import { NOT_CROSSED, type IclFirstCrossingShape } from '../../src/kernels/iclFirstCrossing';

const PROBE = '/tests/probes/iclFirstCrossing.ts';

/** Evaluations at steps 0, every, 2·every, ...: each replica's error falls from about 0.5 at its own pace. */
function evaluations(replicas: number, count: number, every: number, seed: number, prompts = 997) {
  const rng = new Random(seed);
  const pace = Array.from({ length: replicas }, () => rng.range(0.5, 3));
  return Array.from({ length: count }, (_, k) => {
    const stats = new Float32Array(4 * replicas);
    for (let r = 0; r < replicas; r++) {
      // Whole error counts over a prime number of prompts: no error lands on a threshold, where the shader's f32
      // quotient and the reference's float64 one could fall on different sides.
      const errors = Math.round(prompts * 0.5 * Math.exp(-pace[r] * k / 4) + rng.range(0, 5));
      stats.set([rng.range(0, prompts), errors, rng.range(0, prompts), prompts], 4 * r);
    }
    return { step: k * every, evalStats: stats };
  });
}

async function check(gpu: () => { call<T>(m: string, f: string, a: unknown): Promise<T> }, shape: IclFirstCrossingShape, initial: Float32Array, evals: { step: number; evalStats: Float32Array }[], padding = 3) {
  const states = await gpu().call<Float32Array[]>(PROBE, 'runIclFirstCrossing', { shape, initial, padding, evaluations: evals });
  let want: Float64Array = Float64Array.from(initial);
  states.forEach((got, i) => {
    want = iclFirstCrossingReference(shape, evals[i].step, evals[i].evalStats, want);
    expect(Array.from(got.subarray(0, shape.replicas)), `after evaluation ${i} (step ${evals[i].step})`).toEqual(Array.from(want));
    expect(Array.from(got.subarray(shape.replicas)).every(Number.isNaN), 'the tail past the replicas stays NaN').toBe(true);
  });
  return { states, want };
}

describe('iclFirstCrossing (shaders/iclFirstCrossing.wgsl) against the float64 reference', () => {
  const gpu = useGpu();

  for (const replicas of [1, 3, 65, 130]) {
    it(`R = ${replicas}: each replica's first step below 0.05, never overwritten, replicas independent`, async () => {
      const shape = { replicas, threshold: 0.05 };
      const evals = evaluations(replicas, 12, 5, replicas);
      const { want } = await check(gpu, shape, new Float32Array(replicas).fill(NOT_CROSSED), evals);
      // The sequence is meant to hold both kinds: replicas that crossed at different steps and ones that did not.
      if (replicas >= 65) {
        expect(new Set(Array.from(want).filter((s) => s >= 0)).size).toBeGreaterThan(1);
        expect(Array.from(want).some((s) => s < 0)).toBe(true);
      }
    });
  }

  it('keeps a step already recorded (a resumed run), and does not count an evaluation of no prompts', async () => {
    const shape = { replicas: 4, threshold: 0.05 };
    const zero = new Float32Array(16);
    zero.set([0, 0, 0, 1000], 0); // replica 0: no errors, but it crossed at step 7 already
    zero.set([0, 0, 0, 0], 4); // replica 1: no prompts: 0 / 0 is not below anything
    zero.set([0, 49, 0, 1000], 8); // replica 2: 0.049 < 0.05
    zero.set([0, 51, 0, 1000], 12); // replica 3: 0.051
    const { want } = await check(gpu, shape, Float32Array.from([7, NOT_CROSSED, NOT_CROSSED, NOT_CROSSED]), [{ step: 40, evalStats: zero }]);
    expect(Array.from(want)).toEqual([7, NOT_CROSSED, 40, NOT_CROSSED]);
  });

  it('the same evaluations give the same bits, and a larger threshold crosses no later', async () => {
    const evals = evaluations(9, 10, 3, 11);
    const initial = new Float32Array(9).fill(NOT_CROSSED);
    const a = await check(gpu, { replicas: 9, threshold: 0.02 }, initial, evals);
    const b = await check(gpu, { replicas: 9, threshold: 0.02 }, initial, evals);
    expect(a.states.map((s) => Array.from(s.subarray(0, 9)))).toEqual(b.states.map((s) => Array.from(s.subarray(0, 9))));
    const loose = await check(gpu, { replicas: 9, threshold: 0.2 }, initial, evals);
    a.want.forEach((step, r) => {
      if (step >= 0) expect(loose.want[r]).toBeLessThanOrEqual(step);
    });
  });

  it('rejects a threshold outside (0, 1] and a replica count below 1', async () => {
    const message = (shape: IclFirstCrossingShape) => gpu().call<string>(PROBE, 'wrapperError', { shape });
    expect(await message({ replicas: 2, threshold: 0 })).toMatch(/threshold = 0; it must be an error in \(0, 1\]/);
    expect(await message({ replicas: 2, threshold: 1.5 })).toMatch(/threshold = 1.5/);
    expect(await message({ replicas: 0, threshold: 0.1 })).toMatch(/replicas = 0/);
  });
});
