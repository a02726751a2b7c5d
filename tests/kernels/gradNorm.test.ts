// gradNorm (shaders/gradNorm.wgsl): per-replica L2 norms and clip scales against the float64 reference,
// bit-identical across runs.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { clipScaleReference, gradNormReference } from '../../src/reference/gradNorm';
import { gradNorm, gradNormBlock, type GradNormShape } from '../../src/kernels/gradNorm';
import { bits } from '../slabCompare';

const PROBE = '/tests/probes/gradNorm.ts';

type Run = { results: { norm: Float32Array; scale: Float32Array | null }[]; blocks: number; block: number };

/** A slab [R][stride] with replica r's values scaled by 10^r, and NaN between size and stride (never to be read). */
function slab(s: GradNormShape, seed: number): Float32Array {
  const stride = s.stride ?? s.size;
  const rng = new Random(seed);
  const x = new Float32Array(s.replicas * stride).fill(NaN);
  for (let r = 0; r < s.replicas; r++) {
    for (let i = 0; i < s.size; i++) x[r * stride + i] = rng.range(-1, 1) * 10 ** r;
  }
  return x;
}

// One element; one block; blocks that do not divide the size, with a workgroup that does not divide the block;
// a slab stride with NaN gaps; a partial last block with the default 256 threads.
const CASES: GradNormShape[] = [
  { replicas: 1, size: 1 },
  { replicas: 3, size: 1000 },
  { replicas: 2, size: 10_001, block: 1000, wg: 64 },
  { replicas: 3, size: 300, stride: 320, block: 128, wg: 32 },
  { replicas: 2, size: 9000 },
];

describe('gradNorm (shaders/gradNorm.wgsl) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of CASES) {
    it(JSON.stringify(shape), async () => {
      const x = slab(shape, shape.size + shape.replicas);
      const got = await gpu().call<Run>(PROBE, 'runGradNorm', { shape, x, runs: 1 });
      expect(got.blocks).toBe(Math.ceil(shape.size / (shape.block ?? 4096)));
      expectClose(got.results[0].norm, gradNormReference(shape, x), 2e-6, 'norm');
    });
  }

  it('clip scales: clip 0 (no clipping) gives 1, a clip above the norm gives 1, below gives clip / (norm + 1e-6)', async () => {
    const shape = { replicas: 4, size: 500, stride: 512 };
    const x = slab(shape, 3);
    const norms = gradNormReference(shape, x);
    const clip = new Float32Array([0, norms[1] * 2, norms[2] * 0.25, 0.5]);
    const got = await gpu().call<Run>(PROBE, 'runGradNorm', { shape, x, clip, runs: 1 });
    expectClose(got.results[0].norm, norms, 2e-6, 'norm');
    const want = clipScaleReference(norms, clip);
    expect(want[0]).toBe(1);
    expect(want[1]).toBe(1);
    expect(want[2]).toBeLessThan(1);
    expectClose(got.results[0].scale!, want, 2e-6, 'scale');
    expect(got.results[0].scale![0]).toBe(1);
    expect(got.results[0].scale![1]).toBe(1);
  });

  it('gives bit-identical norms and scales on repeated runs', async () => {
    const shape = { replicas: 3, size: 70_000, block: 2048 };
    const rng = new Random(11);
    // Magnitudes over 12 orders, so that any change in summation order changes the rounded sums.
    const x = seededArray(rng, shape.replicas * shape.size).map((v, i) => v * 10 ** ((i % 13) - 6));
    const clip = new Float32Array([1e-3, 0, 1e9]);
    const got = await gpu().call<Run>(PROBE, 'runGradNorm', { shape, x, clip, runs: 2 });
    expectClose(got.results[0].norm, gradNormReference(shape, x), 1e-5, 'norm');
    expect(bits(got.results[1].norm)).toEqual(bits(got.results[0].norm));
    expect(bits(got.results[1].scale!)).toEqual(bits(got.results[0].scale!));
  });
});

describe('gradNorm shape checks', () => {
  it('grows the block so that a replica needs at most 65535 blocks', () => {
    expect(gradNormBlock({ replicas: 1, size: 7_000_000 })).toBe(4096);
    expect(gradNormBlock({ replicas: 1, size: 65535 * 4096 + 1 })).toBe(4097);
    expect(gradNormBlock({ replicas: 1, size: 100, block: 16 })).toBe(16);
  });
  it('names the field, value and what is allowed', async () => {
    const noGpu = {} as never;
    await expect(gradNorm(noGpu, { replicas: 0, size: 4 })).rejects.toThrow('gradNorm: replicas = 0; it must be a positive integer');
    await expect(gradNorm(noGpu, { replicas: 1, size: 4, stride: 3 })).rejects.toThrow('gradNorm: stride = 3; it must be an integer >= size (4)');
    await expect(gradNorm(noGpu, { replicas: 1, size: 4, wg: 48 })).rejects.toThrow('gradNorm: wg = 48; it must be a power of two, at most 256');
  });
});
