import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { gemmReference } from '../../src/reference/gemm';
import { gemmSplitK, splitKCount, SPLIT_K_MIN_K, type GemmShape, type GemmSplitKShape } from '../../src/kernels/gemm';

const PROBE = '/tests/probes/kernels.ts';

// Awkward sizes: dimensions of 1, sizes that are not multiples of the 32-wide tile or the 16-deep K slab,
// broadcast operands, accumulation, and the largest the SwiftShader budget allows (ICL's backward shapes).
const CASES: GemmShape[] = [
  { batch: 1, M: 1, N: 1, K: 1 },
  { batch: 3, M: 7, N: 5, K: 3 },
  { batch: 2, M: 33, N: 31, K: 17, transA: true },
  { batch: 2, M: 40, N: 40, K: 64, transB: true },
  { batch: 4, M: 9, N: 65, K: 40, transA: true, transB: true },
  { batch: 3, M: 20, N: 6, K: 40, shareB: true },
  { batch: 2, M: 12, N: 10, K: 5, alpha: -0.5, beta: 1 },
  { batch: 1, M: 1, N: 40, K: 256, transA: true },
  { batch: 4, M: 256, N: 64, K: 40, transB: true },
  { batch: 2, M: 64, N: 40, K: 256, transA: true, wgSide: 4 },
  // Tensors inside a parameter slab: batch strides larger than one matrix; C's gaps must keep C0's values.
  { batch: 3, M: 5, N: 7, K: 6, transB: true, strideA: 40, strideB: 50, strideC: 64 },
  { batch: 2, M: 4, N: 3, K: 5, transA: true, strideA: 21, strideC: 13, alpha: 2, beta: 1 },
];

/** Floats C spans (batch strides included). */
function cLength(s: GemmShape): number {
  return (s.batch - 1) * (s.strideC ?? s.M * s.N) + s.M * s.N;
}
function aLength(s: GemmShape): number {
  return s.shareA ? s.M * s.K : (s.batch - 1) * (s.strideA ?? s.M * s.K) + s.M * s.K;
}
function bLength(s: GemmShape): number {
  return s.shareB ? s.K * s.N : (s.batch - 1) * (s.strideB ?? s.K * s.N) + s.K * s.N;
}

describe('gemm (shaders/gemm.wgsl) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of CASES) {
    it(JSON.stringify(shape), async () => {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K);
      const A = seededArray(rng, aLength(shape));
      const B = seededArray(rng, bLength(shape));
      const C0 = shape.beta || shape.strideC ? seededArray(rng, cLength(shape)) : undefined;
      const got = await gpu().call<Float32Array>(PROBE, 'runGemm', { shape, A, B, C0 });
      expectClose(got, gemmReference(shape, A, B, C0), 2e-6 * Math.sqrt(shape.K) + 1e-6, 'C');
    });
  }
});

// Split-K: K not a multiple of the splits, splits = 1 (gemm's own dispatch), M = N = 1, both transposes,
// beta = 1 accumulation, broadcast B, batch > 1, a request with a trailing empty range, and the automatic count.
const SPLIT_CASES: GemmSplitKShape[] = [
  { batch: 1, M: 1, N: 1, K: 7, splits: 3 },
  { batch: 3, M: 7, N: 5, K: 50, splits: 4, transA: true },
  { batch: 2, M: 33, N: 31, K: 100, splits: 7, transB: true },
  { batch: 2, M: 9, N: 40, K: 64, splits: 5, transA: true, transB: true },
  { batch: 2, M: 12, N: 10, K: 45, splits: 4, alpha: -0.5, beta: 1 },
  { batch: 3, M: 20, N: 6, K: 40, splits: 3, shareB: true },
  { batch: 2, M: 8, N: 8, K: 30, splits: 1 },
  { batch: 1, M: 3, N: 4, K: 9, splits: 4 },
  { batch: 4, M: 40, N: 40, K: 512, transA: true },
  { batch: 3, M: 6, N: 5, K: 80, splits: 4, transA: true, strideB: 450, strideC: 40 },
];

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe('gemmSplitK (shaders/gemm.wgsl split along K + reduceRows) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of SPLIT_CASES) {
    it(JSON.stringify(shape), async () => {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K + 7);
      const A = seededArray(rng, aLength(shape));
      const B = seededArray(rng, bLength(shape));
      const C0 = shape.beta || shape.strideC ? seededArray(rng, cLength(shape)) : undefined;
      const got = await gpu().call<{ results: Float32Array[]; splits: number; dispatches: number }>(PROBE, 'runGemmSplitK', { shape, A, B, C0, runs: 2 });
      const want = gemmReference(shape, A, B, C0);
      expectClose(got.results[0], want, 2e-6 * Math.sqrt(shape.K) + 1e-6, 'C');
      expect(bits(got.results[1]), 'second run, same bits').toEqual(bits(got.results[0]));
      const expectedSplits = shape.splits === undefined ? splitKCount(shape) : Math.ceil(shape.K / Math.ceil(shape.K / shape.splits));
      expect(got.splits).toBe(expectedSplits);
      expect(got.dispatches).toBe(got.splits === 1 ? 1 : 2);
    });
  }

  it('with one split is gemm itself, bit for bit', async () => {
    const shape: GemmShape = { batch: 2, M: 8, N: 8, K: 30 };
    const rng = new Random(31);
    const A = seededArray(rng, shape.batch * shape.M * shape.K);
    const B = seededArray(rng, shape.batch * shape.K * shape.N);
    const split = await gpu().call<{ results: Float32Array[] }>(PROBE, 'runGemmSplitK', { shape: { ...shape, splits: 1 }, A, B, runs: 1 });
    const plain = await gpu().call<Float32Array>(PROBE, 'runGemm', { shape, A, B });
    expect(bits(split.results[0])).toEqual(bits(plain));
  });
});

describe('gemmSplitK split count and input checks', () => {
  it('splits small outputs until 256 workgroups, in whole 16-deep slabs of at least SPLIT_K_MIN_K', () => {
    const icl = { batch: 4, M: 40, N: 40, K: 256 * 21 }; // 2 x 2 tiles x 4 replicas = 16 workgroups
    expect(splitKCount(icl)).toBe(16); // 336 per split
    expect(splitKCount({ ...icl, K: 256 })).toBe(16); // 16 per split
    expect(splitKCount({ ...icl, K: 100 })).toBe(4); // at most 6 of 16; 100 / 6 -> 17 -> 32 per split (the last 4)
    expect(splitKCount({ ...icl, K: 1000 })).toBe(16); // 1000 / 16 -> 62.5 -> 64 per split
    expect(splitKCount({ ...icl, batch: 1, K: 1000 })).toBe(32); // 62 allowed, 1000 / 62 -> 17 -> 32 per split
    expect(splitKCount({ ...icl, K: 2 * SPLIT_K_MIN_K - 1 })).toBe(1);
    expect(splitKCount({ batch: 1, M: 512, N: 512, K: 4096 })).toBe(1); // 256 tiles already
  });
  it('names the field, value and allowed range', async () => {
    const noGpu = {} as never;
    await expect(gemmSplitK(noGpu, { batch: 1, M: 2, N: 2, K: 8, splits: 9 })).rejects.toThrow('gemmSplitK: splits = 9; allowed 1..K (K = 8)');
    await expect(gemmSplitK(noGpu, { batch: 1, M: 2, N: 2, K: 8, splits: 1.5 })).rejects.toThrow(/splits = 1.5/);
    await expect(gemmSplitK(noGpu, { batch: 0, M: 2, N: 2, K: 8 })).rejects.toThrow('gemmSplitK: batch = 0; it must be a positive integer');
    await expect(gemmSplitK(noGpu, { batch: 40000, M: 1, N: 1, K: 8, splits: 2 })).rejects.toThrow(/batch x splits = 40000 x 2; allowed at most 65535/);
  });
});

describe('kernel loader checks', () => {
  const gpu = useGpu();
  it('names the shader, binding, and expected vs given size for a too-small buffer', async () => {
    const msg = await gpu().call<string>(PROBE, 'gemmBindingMismatch', { mismatch: 'small' });
    expect(msg).toMatch(/^BindingError: kernel 'gemm'.*binding 'C' \(@group\(0\) @binding\(2\).*expected at least 120 bytes, given 116 bytes/);
  });
  it('names a missing binding', async () => {
    const msg = await gpu().call<string>(PROBE, 'gemmBindingMismatch', { mismatch: 'missing' });
    expect(msg).toMatch(/kernel 'gemm'.*binding 'C'.*no buffer given/);
  });
  it('rejects a buffer with the wrong usage', async () => {
    const msg = await gpu().call<string>(PROBE, 'gemmBindingMismatch', { mismatch: 'usage' });
    expect(msg).toMatch(/binding 'A'|binding 'C'/);
    expect(msg).toMatch(/expected usage STORAGE/);
  });
  it('rejects a buffer for a binding the shader does not declare', async () => {
    const msg = await gpu().call<string>(PROBE, 'gemmBindingMismatch', { mismatch: 'unknown' });
    expect(msg).toMatch(/buffer given for 'D', which the shader does not declare; it declares A, B, C/);
  });
  it('reports WGSL compile errors with file, line and message', async () => {
    const source = ['@group(0) @binding(0) var<storage, read_write> x: array<f32>;', '@compute @workgroup_size(1)', 'fn main() {', '  x[0] = undefinedThing;', '}'].join('\n');
    const msg = await gpu().call<string>(PROBE, 'compileBroken', { source });
    expect(msg).toMatch(/^WgslCompileError: shaders\/broken\.wgsl:4:\d+: error: .*undefinedThing/);
  });
});
