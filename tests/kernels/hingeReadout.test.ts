// hingeReadout (shaders/hingeReadout.wgsl): the ICL head F = w_out·x[query] + b_out, hinge loss and gradients,
// and the test-set evaluation, against the float64 reference; parameters and gradients live in slabs whose
// other floats are NaN (never read, never written).
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { hingeEvaluateReference, hingeReadoutReference } from '../../src/reference/hingeReadout';
import { hingeReadout, type HingeReadoutShape } from '../../src/kernels/hingeReadout';
import { bits, expectSlab } from '../slabCompare';

const PROBE = '/tests/probes/hingeReadout.ts';

type TrainRun = { F: Float32Array; dx: Float32Array; grads: Float32Array; loss: Float32Array };

/** A parameter slab with w_out and b_out random (b_out per replica as given), NaN everywhere else. */
function paramSlab(s: HingeReadoutShape, rng: Random, bOut?: number[]): Float32Array {
  const p = new Float32Array(s.replicas * s.slabSize).fill(NaN);
  for (let r = 0; r < s.replicas; r++) {
    for (let c = 0; c < s.dModel; c++) p[r * s.slabSize + s.wOutOffset + c] = rng.range(-1, 1) * (r + 1);
    p[r * s.slabSize + s.bOutOffset] = bOut?.[r] ?? rng.range(-0.5, 0.5);
  }
  return p;
}

function labels(n: number, rng: Random): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1));
}

// T = 1 (the query is the only position), dModel = 1, a batch that is not a multiple of the 64-thread workgroup
// with b_out before w_out in the slab, a workgroup of 16 with dModel + 2 columns spanning two workgroups, and
// the ICL size (N = 20 contexts + query, batch 256).
const CASES: HingeReadoutShape[] = [
  { replicas: 1, batch: 1, T: 1, dModel: 1, slabSize: 128, wOutOffset: 0, bOutOffset: 64 },
  { replicas: 3, batch: 70, T: 5, dModel: 7, slabSize: 192, wOutOffset: 128, bOutOffset: 0 },
  { replicas: 2, batch: 33, T: 3, dModel: 20, slabSize: 128, wOutOffset: 64, bOutOffset: 0, wg: 16 },
  { replicas: 2, batch: 256, T: 21, dModel: 64, slabSize: 256, wOutOffset: 64, bOutOffset: 192 },
];

describe('hingeReadout training (shaders/hingeReadout.wgsl) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of CASES) {
    it(JSON.stringify(shape), async () => {
      const rng = new Random(shape.batch * 7 + shape.dModel);
      const prompts = shape.replicas * shape.batch;
      const x = seededArray(rng, prompts * shape.T * shape.dModel);
      const z = labels(prompts, rng);
      const params = paramSlab(shape, rng);
      const [got] = await gpu().call<TrainRun[]>(PROBE, 'runHingeReadoutTrain', { shape, x, z, params, runs: 1 });
      const want = hingeReadoutReference(shape, x, z, params);
      // Some prompts inside the margin and some outside, so both branches of the hinge are exercised.
      const inside = Array.from(want.F).filter((f, p) => 1 - z[p] * f > 0).length;
      if (prompts > 4) expect(inside > 0 && inside < prompts).toBe(true);
      expectClose(got.F, want.F, 1e-6, 'F');
      expectClose(got.loss, want.loss, 1e-6, 'loss');
      expectClose(got.dx, want.dx, 1e-6, 'dx');
      expectSlab(got.grads, want.grads, 2e-6, 'gradient slab');
    });
  }

  it('hinge derivative 0 at exactly 1 − zF = 0; gradients bit-identical on a second run', async () => {
    const shape: HingeReadoutShape = { replicas: 2, batch: 5, T: 3, dModel: 4, slabSize: 64, wOutOffset: 0, bOutOffset: 8 };
    const rng = new Random(8);
    const x = seededArray(rng, 2 * 5 * 3 * 4);
    const z = labels(10, rng);
    // Replica 0, prompt 0: a zero query row and b_out = 1 give F = 1 exactly; with z = +1 the margin is 0.
    x.fill(0, 2 * 4, 3 * 4);
    z[0] = 1;
    const params = paramSlab(shape, rng, [1, 0.25]);
    const runs = await gpu().call<TrainRun[]>(PROBE, 'runHingeReadoutTrain', { shape, x, z, params, runs: 2 });
    const want = hingeReadoutReference(shape, x, z, params);
    expect(runs[0].F[0]).toBe(1);
    expect(Array.from(runs[0].dx.subarray(2 * 4, 3 * 4)).every((v) => v === 0), 'dx at the margin-0 query').toBe(true);
    expectSlab(runs[0].grads, want.grads, 2e-6, 'gradient slab');
    for (const k of ['F', 'dx', 'grads', 'loss'] as const) expect(bits(runs[1][k]), `${k}: second run, same bits`).toEqual(bits(runs[0][k]));
  });
});

describe('hingeReadout evaluate', () => {
  const gpu = useGpu();
  it('sign errors (F = 0 wrong) and hinge sums over two accumulated test batches, z = 0 padding skipped', async () => {
    const shape: HingeReadoutShape = { replicas: 3, batch: 100, T: 4, dModel: 6, slabSize: 128, wOutOffset: 64, bOutOffset: 0, wg: 32 };
    const rng = new Random(21);
    const prompts = shape.replicas * shape.batch;
    const params = paramSlab(shape, rng, [0.1, 0, -0.2]);
    const batches = [0, 1].map(() => ({ x: seededArray(rng, prompts * shape.T * shape.dModel), z: labels(prompts, rng) }));
    // Replica 1 (b_out = 0), prompt 3 of the first batch: a zero query row gives F = 0, which counts as an error.
    batches[0].x.fill(0, ((shape.batch + 3) * shape.T + shape.T - 1) * shape.dModel, ((shape.batch + 4) * shape.T) * shape.dModel);
    // Padding: the last 7 prompts of every replica in the second batch.
    for (let r = 0; r < shape.replicas; r++) batches[1].z.fill(0, r * shape.batch + shape.batch - 7, (r + 1) * shape.batch);
    const got = await gpu().call<{ F: Float32Array; evalStats: Float32Array }>(PROBE, 'runHingeReadoutEvaluate', { shape, batches, params });
    const want = batches.map((b) => hingeEvaluateReference(shape, b.x, b.z, params));
    expect(want[0].F[shape.batch + 3]).toBe(0);
    const errors = Array.from({ length: 3 }, (_, r) => want[0].errors[r] + want[1].errors[r]);
    const hinge = Array.from({ length: 3 }, (_, r) => want[0].hingeSum[r] + want[1].hingeSum[r]);
    expect(Array.from(got.evalStats).filter((_, i) => i % 2 === 0)).toEqual(errors);
    expectClose(Array.from(got.evalStats).filter((_, i) => i % 2 === 1), hinge, 1e-6, 'hinge sum');
    expectClose(got.F, want[1].F, 1e-6, 'F of the last batch');
  });
});

describe('hingeReadout shape checks', () => {
  it('names the field, value and what is allowed', async () => {
    const noGpu = {} as never;
    const base = { replicas: 1, batch: 2, T: 3, dModel: 8, slabSize: 64, wOutOffset: 0, bOutOffset: 8 };
    await expect(hingeReadout(noGpu, { ...base, T: 0 })).rejects.toThrow('hingeReadout: T = 0; it must be a positive integer');
    await expect(hingeReadout(noGpu, { ...base, wOutOffset: 60 })).rejects.toThrow('hingeReadout: wOutOffset = 60; w_out (8 floats) must lie inside the slab of 64');
    await expect(hingeReadout(noGpu, { ...base, bOutOffset: 7 })).rejects.toThrow('hingeReadout: bOutOffset = 7; b_out must lie inside the slab of 64, outside w_out [0, 8)');
    await expect(hingeReadout(noGpu, { ...base, wg: 100 })).rejects.toThrow('hingeReadout: wg = 100; it must be a power of two, at most 256');
  });
});
