import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { gemmActivationGradReference, gemmBiasReference, gemmReference } from '../../src/reference/gemm';
import {
  gemm, gemmActivationGrad, gemmBias, gemmSplitK, runnableVariant, gemmSplitKVariants, gemmVariants, splitKCount, SPLIT_K_MIN_K,
  type GemmActivationGradShape, type GemmBiasShape, type GemmShape, type GemmSplitKShape,
} from '../../src/kernels/gemm';
import { gelu, geluGrad } from '../../src/util/special';

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
    await expect(gemmSplitK(noGpu, { batch: 1, M: 2, N: 2, K: 8, threadRows: 8, wgSide: 16 })).rejects.toThrow('gemmSplitK: threadRows = 8 with wgSide 16 makes tiles of 128; with workgroupTiles at most 64 (wgSide <= 8)');
    await expect(gemmSplitK(noGpu, { batch: 1, M: 2, N: 2, K: 8, workgroupTiles: false, threadRows: 6 as never })).rejects.toThrow('gemmSplitK: threadRows = 6; allowed 4 or 8');
    await expect(gemm(noGpu, { batch: 1, M: 2, N: 2, K: 8, threadCols: 8, wgSide: 9 })).rejects.toThrow('gemm: threadCols = 8 with wgSide 9 makes tiles of 72; with workgroupTiles at most 64 (wgSide <= 8)');
    await expect(gemmSplitK(noGpu, { batch: 1, M: 2, N: 2, K: 8, workgroupTiles: false, threadCols: 2 as never })).rejects.toThrow('gemmSplitK: threadCols = 2; allowed 4 or 8');
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

// Epilogues. Operands inside a slab: the gaps between their batch entries hold NaN, which must never be read
// (it would reach C); C's and pre's gaps start NaN and must stay NaN.
const BIAS_CASES: GemmBiasShape[] = [
  { batch: 1, M: 1, N: 1, K: 1, activation: 'relu' },
  { batch: 3, M: 7, N: 13, K: 5, transB: true, activation: 'gelu', strideB: 80, strideBias: 20, strideC: 100 },
  { batch: 2, M: 35, N: 33, K: 17, strideBias: 0 },
  { batch: 2, M: 12, N: 10, K: 5, alpha: -0.5, beta: 1, activation: 'relu' },
  { batch: 3, M: 20, N: 40, K: 9, transA: true, activation: 'gelu', strideA: 200, strideBias: 64, wgSide: 4 },
  { batch: 2, M: 70, N: 7, K: 33, activation: 'gelu', alpha: 2, beta: 0.5, strideC: 500 },
];

const GRAD_CASES: GemmActivationGradShape[] = [
  { batch: 1, M: 1, N: 1, K: 1, alpha: 2, activation: 'relu' },
  { batch: 2, M: 9, N: 7, K: 6, activation: 'relu' },
  { batch: 3, M: 33, N: 13, K: 40, transA: true, activation: 'gelu', strideC: 450, strideB: 600 },
  { batch: 2, M: 35, N: 65, K: 3, transB: true, activation: 'gelu', wgSide: 16 },
];

/** Values spaced by the operand's batch stride, NaN between the matrices. */
function slabArray(rng: Random, batch: number, stride: number, size: number, lo = -1, hi = 1): Float32Array {
  const length = stride === 0 ? size : (batch - 1) * stride + size;
  const a = new Float32Array(length).fill(NaN);
  for (let b = 0; b < (stride === 0 ? 1 : batch); b++) a.set(seededArray(rng, size, lo, hi), b * stride);
  return a;
}

describe('gemmBias (bias and activation epilogue) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of BIAS_CASES) {
    it(JSON.stringify(shape), async () => {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K + 3);
      const A = slabArray(rng, shape.batch, shape.strideA ?? shape.M * shape.K, shape.M * shape.K);
      const B = slabArray(rng, shape.batch, shape.strideB ?? shape.K * shape.N, shape.K * shape.N);
      const bias = slabArray(rng, shape.batch, shape.strideBias ?? shape.N, shape.N);
      const C0 = shape.beta ? slabArray(rng, shape.batch, shape.strideC ?? shape.M * shape.N, shape.M * shape.N) : undefined;
      const got = await gpu().call<{ C: Float32Array; pre: Float32Array | null }>(PROBE, 'runGemmBias', { shape, A, B, bias, C0 });
      const want = gemmBiasReference(shape, A, B, bias, C0);
      const tol = 2e-6 * Math.sqrt(shape.K) + 1e-6;
      expectSlabClose(got.C, want.C, tol, 'C');
      if ((shape.activation ?? 'none') === 'none') expect(got.pre).toBeNull();
      else expectSlabClose(got.pre!, want.pre, tol, 'pre');
    });
  }

  it('without activation and with a zero bias is gemm itself, bit for bit (the same tiled product)', async () => {
    const shape: GemmShape = { batch: 2, M: 37, N: 21, K: 45, transB: true };
    const rng = new Random(77);
    const A = seededArray(rng, shape.batch * shape.M * shape.K);
    const B = seededArray(rng, shape.batch * shape.K * shape.N);
    const withBias = await gpu().call<{ C: Float32Array }>(PROBE, 'runGemmBias', { shape, A, B, bias: new Float32Array(2 * shape.N) });
    const plain = await gpu().call<Float32Array>(PROBE, 'runGemm', { shape, A, B });
    expect(bits(withBias.C)).toEqual(bits(plain));
  });

  it('GELU over [-8, 8] (K = 1, so C = gelu(x) exactly up to the epilogue): within 3e-7 max(1, |x|) of float64', async () => {
    const M = 4001;
    const x = Float32Array.from({ length: M }, (_, i) => -8 + (16 * i) / (M - 1));
    const shape: GemmBiasShape = { batch: 1, M, N: 1, K: 1, activation: 'gelu' };
    const got = await gpu().call<{ C: Float32Array; pre: Float32Array }>(PROBE, 'runGemmBias', { shape, A: x, B: new Float32Array([1]), bias: new Float32Array([0]) });
    expect(bits(got.pre)).toEqual(bits(x));
    let worst = 0;
    for (let i = 0; i < M; i++) worst = Math.max(worst, Math.abs(got.C[i] - gelu(x[i])) / Math.max(1, Math.abs(x[i])));
    expect(worst).toBeLessThan(3e-7);
  });
});

describe('gemmActivationGrad (activation-gradient epilogue) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of GRAD_CASES) {
    it(JSON.stringify(shape), async () => {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K + 5);
      const strideC = shape.strideC ?? shape.M * shape.N;
      const A = slabArray(rng, shape.batch, shape.strideA ?? shape.M * shape.K, shape.M * shape.K);
      const B = slabArray(rng, shape.batch, shape.strideB ?? shape.K * shape.N, shape.K * shape.N);
      const pre = slabArray(rng, shape.batch, strideC, shape.M * shape.N, -3, 3);
      // Exact zeros: ReLU'(0) = 0.
      for (let i = 0; i < pre.length; i += 5) if (!Number.isNaN(pre[i])) pre[i] = 0;
      const C0 = new Float32Array(pre.length).fill(NaN);
      const got = await gpu().call<Float32Array>(PROBE, 'runGemmActivationGrad', { shape, A, B, pre, C0 });
      expectSlabClose(got, gemmActivationGradReference(shape, A, B, pre, C0), 2e-6 * Math.sqrt(shape.K) + 1e-6, 'C');
    });
  }

  it('with the dropout that followed the activation: the mask is redrawn (FFN hidden, site 3), R = 3 with their own seeds', async () => {
    const shape: GemmActivationGradShape = { batch: 3, M: 7, N: 13, K: 6, transB: true, activation: 'gelu', dropout: { p: 0.3, layer: 2, site: 3 } };
    const rng = new Random(99);
    const A = seededArray(rng, 3 * 7 * 6);
    const B = seededArray(rng, 3 * 13 * 6);
    const pre = seededArray(rng, 3 * 7 * 13, -3, 3);
    const seeds = Uint32Array.of(4, 5, 0xffffffff);
    const got = await gpu().call<Float32Array>(PROBE, 'runGemmActivationGrad', { shape, A, B, pre, seeds, step: 12 });
    const want = gemmActivationGradReference(shape, A, B, pre, undefined, seeds, 12);
    expectClose(got, want, 2e-6, 'C');
    const dropped = Array.from(want).filter((v) => v === 0).length;
    expect(dropped / want.length).toBeGreaterThan(0.15); // about p of the elements
    expect(Array.from(got).filter((v) => v === 0).length).toBe(dropped);
  });

  it("GELU' over [-8, 8] (A = B = 1, K = 1): within 3e-7 of float64; ReLU' is 0 at 0 and -0", async () => {
    const M = 4001;
    const x = Float32Array.from({ length: M }, (_, i) => -8 + (16 * i) / (M - 1));
    const ones = new Float32Array(M).fill(1);
    const gelu = await gpu().call<Float32Array>(PROBE, 'runGemmActivationGrad', { shape: { batch: 1, M, N: 1, K: 1, activation: 'gelu' }, A: ones, B: new Float32Array([1]), pre: x });
    let worst = 0;
    for (let i = 0; i < M; i++) worst = Math.max(worst, Math.abs(gelu[i] - geluGrad(x[i])));
    expect(worst).toBeLessThan(3e-7);
    const pre = new Float32Array([0, -0, 1e-30, -1e-30, 2]);
    const relu = await gpu().call<Float32Array>(PROBE, 'runGemmActivationGrad', { shape: { batch: 1, M: 5, N: 1, K: 1, activation: 'relu' }, A: new Float32Array(5).fill(3), B: new Float32Array([1]), pre });
    expect(Array.from(relu)).toEqual([0, 0, 3, 0, 3]);
  });
});

describe('gemm epilogue input checks', () => {
  const noGpu = {} as never;
  it('names the field, value and allowed values', async () => {
    await expect(gemmBias(noGpu, { batch: 1, M: 2, N: 2, K: 2, activation: 'tanh' as never })).rejects.toThrow('gemmBias: activation = tanh; allowed none, relu, gelu');
    await expect(gemmBias(noGpu, { batch: 2, M: 2, N: 5, K: 2, strideBias: 4 })).rejects.toThrow('gemmBias: strideBias = 4; it must be an integer >= N (5), or 0 to share one bias');
    await expect(gemmActivationGrad(noGpu, { batch: 1, M: 2, N: 2, K: 2, activation: 'none' as never })).rejects.toThrow('gemmActivationGrad: activation = none; allowed relu, gelu');
    await expect(gemmActivationGrad(noGpu, { batch: 1, M: 2, N: 2, K: 2, activation: 'relu', beta: 1 })).rejects.toThrow('gemmActivationGrad: beta = 1; allowed only 0');
  });
});

/** Inside the matrices close to the reference; between them (NaN in the reference) still NaN. */
function expectSlabClose(got: Float32Array, want: Float64Array, tol: number, what: string): void {
  const inside = Array.from(want.keys()).filter((i) => !Number.isNaN(want[i]));
  const gaps = Array.from(want.keys()).filter((i) => Number.isNaN(want[i]));
  expect(gaps.filter((i) => !Number.isNaN(got[i])), `${what}: gap elements written`).toEqual([]);
  expectClose(inside.map((i) => got[i]), inside.map((i) => want[i]), tol, what);
}

// The product without workgroup memory (workgroupTiles false, CPU adapters' default) and the tiled product with 8-row
// or 8-column blocks, at every entry point: each must give the default tiled product's bits (all fma-accumulate
// each output over k in increasing order), and so the reference's values. Awkward shapes of each entry, with 4 x 4,
// 8 x 4, 4 x 8 and 8 x 8 thread blocks in workgroups of 1 x 1 to 8 x 8 threads; in main every shape runs two
// variants, so that each variant runs.
describe('gemm variants: the tiled bits at every entry point', () => {
  const gpu = useGpu();
  // With quads (the subgroups feature; every adapter these tests run on has it): 2 x 2 quads swapping halves of A
  // and B, and quads along a row of blocks sharing A, with 4 and 8 rows and columns a thread.
  const VARIANTS = [
    { workgroupTiles: false, wgSide: 2, threadRows: 8, threadCols: 8, quads: true },
    { workgroupTiles: false, wgSide: 2, threadRows: 4 },
    { workgroupTiles: false, wgSide: 4, threadRows: 4, threadCols: 8, quads: true },
    { workgroupTiles: false, wgSide: 1, threadRows: 4, threadCols: 8 },
    { workgroupTiles: false, wgSide: 2, threadRows: 8, threadCols: 8 },
    { workgroupTiles: false, wgSide: 2, threadRows: 4, threadCols: 8, quads: true },
    { workgroupTiles: false, wgSide: 4, threadRows: 8, quads: true },
    { workgroupTiles: true, wgSide: 2, threadRows: 8, threadCols: 4 },
    { workgroupTiles: true, wgSide: 8, threadRows: 8, threadCols: 8 },
    { workgroupTiles: false, wgSide: 4, threadRows: 8 },
    { workgroupTiles: false, wgSide: 2, threadRows: 4, quads: true },
    { workgroupTiles: false, wgSide: 8, threadRows: 4 },
    { workgroupTiles: false, wgSide: 2, threadRows: 8, quads: true },
    { workgroupTiles: false, wgSide: 1, threadRows: 8 },
    { workgroupTiles: false, wgSide: 8, threadRows: 4, quads: true },
  ] as const;
  const registers = (i: number) => VARIANTS[i % VARIANTS.length];

  it('main (plain, transposes, broadcast B, beta = 1, slab strides)', async () => {
    // The last shape spans several 64 x 64 tiles (the tiled 8 x 8 blocks' turn, variant 8).
    const shapes: GemmShape[] = [CASES[0], CASES[2], CASES[4], CASES[5], CASES[6], CASES[10], CASES[1], CASES[3], { batch: 2, M: 130, N: 70, K: 40, transA: true }];
    for (const [i, shape] of shapes.entries()) {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K);
      const A = seededArray(rng, aLength(shape));
      const B = seededArray(rng, bLength(shape));
      const C0 = shape.beta || shape.strideC ? seededArray(rng, cLength(shape)) : undefined;
      const tiled = await gpu().call<Float32Array>(PROBE, 'runGemm', { shape, A, B, C0 });
      for (const variant of [registers(i), registers(i + shapes.length)]) {
        const direct = await gpu().call<Float32Array>(PROBE, 'runGemm', { shape: { ...shape, ...variant }, A, B, C0 });
        expect(bits(direct), `${JSON.stringify(shape)} ${JSON.stringify(variant)}`).toEqual(bits(tiled));
        expectClose(direct, gemmReference(shape, A, B, C0), 2e-6 * Math.sqrt(shape.K) + 1e-6, 'C');
      }
    }
  });

  it('split-K partials (K not a multiple of the splits, slab strides)', async () => {
    for (const [i, shape] of [SPLIT_CASES[1], SPLIT_CASES[9]].entries()) {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K + 7);
      const A = seededArray(rng, aLength(shape));
      const B = seededArray(rng, bLength(shape));
      const C0 = shape.beta || shape.strideC ? seededArray(rng, cLength(shape)) : undefined;
      const tiled = await gpu().call<{ results: Float32Array[] }>(PROBE, 'runGemmSplitK', { shape, A, B, C0, runs: 1 });
      const direct = await gpu().call<{ results: Float32Array[] }>(PROBE, 'runGemmSplitK', { shape: { ...shape, ...registers(i) }, A, B, C0, runs: 1 });
      expect(bits(direct.results[0]), JSON.stringify(shape)).toEqual(bits(tiled.results[0]));
      expectClose(direct.results[0], gemmReference(shape, A, B, C0), 2e-6 * Math.sqrt(shape.K) + 1e-6, 'C');
    }
  });

  it('withBias and withBiasActivation (GELU in a slab, ReLU with beta = 1)', async () => {
    for (const [i, shape] of [BIAS_CASES[1], BIAS_CASES[3], BIAS_CASES[2]].entries()) {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K + 3);
      const A = slabArray(rng, shape.batch, shape.strideA ?? shape.M * shape.K, shape.M * shape.K);
      const B = slabArray(rng, shape.batch, shape.strideB ?? shape.K * shape.N, shape.K * shape.N);
      const bias = slabArray(rng, shape.batch, shape.strideBias ?? shape.N, shape.N);
      const C0 = shape.beta ? slabArray(rng, shape.batch, shape.strideC ?? shape.M * shape.N, shape.M * shape.N) : undefined;
      type Out = { C: Float32Array; pre: Float32Array | null };
      const tiled = await gpu().call<Out>(PROBE, 'runGemmBias', { shape, A, B, bias, C0 });
      const direct = await gpu().call<Out>(PROBE, 'runGemmBias', { shape: { ...shape, ...registers(i) }, A, B, bias, C0 });
      expect(bits(direct.C), `${JSON.stringify(shape)} C`).toEqual(bits(tiled.C));
      if (tiled.pre) expect(bits(direct.pre!), `${JSON.stringify(shape)} pre`).toEqual(bits(tiled.pre));
      expectSlabClose(direct.C, gemmBiasReference(shape, A, B, bias, C0).C, 2e-6 * Math.sqrt(shape.K) + 1e-6, 'C');
    }
  });

  it('activationGrad and activationGradDropout', async () => {
    const dropout: GemmActivationGradShape = { batch: 3, M: 7, N: 13, K: 6, transB: true, activation: 'gelu', dropout: { p: 0.3, layer: 2, site: 3 } };
    for (const [i, shape] of [GRAD_CASES[2], dropout].entries()) {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K + 5);
      const strideC = shape.strideC ?? shape.M * shape.N;
      const A = slabArray(rng, shape.batch, shape.strideA ?? shape.M * shape.K, shape.M * shape.K);
      const B = slabArray(rng, shape.batch, shape.strideB ?? shape.K * shape.N, shape.K * shape.N);
      const pre = slabArray(rng, shape.batch, strideC, shape.M * shape.N, -3, 3);
      const seeds = shape.dropout ? Uint32Array.of(4, 5, 0xffffffff) : undefined;
      const args = { A, B, pre, seeds, step: 12 };
      const tiled = await gpu().call<Float32Array>(PROBE, 'runGemmActivationGrad', { shape, ...args });
      const direct = await gpu().call<Float32Array>(PROBE, 'runGemmActivationGrad', { shape: { ...shape, ...registers(i) }, ...args });
      expect(bits(direct), JSON.stringify(shape)).toEqual(bits(tiled));
      expectSlabClose(direct, gemmActivationGradReference(shape, A, B, pre, undefined, seeds, 12), 2e-6 * Math.sqrt(shape.K) + 1e-6, 'C');
    }
  });
});

describe('gemm variants per adapter class', () => {
  const icl = { batch: 1, M: 40, N: 40, K: 256, transA: true };
  it('CPU adapters get the product without workgroup memory (8 x 8 blocks first, no tiles), GPUs the tiled one first', () => {
    const block8 = { workgroupTiles: false, wgSide: 2, threadRows: 8, threadCols: 8 };
    for (const s of [icl, { ...icl, M: 64, N: 64 }]) {
      expect(gemmVariants(s, true)).toEqual([block8, { workgroupTiles: false, wgSide: 4, threadRows: 8 }, { workgroupTiles: false, wgSide: 2, threadRows: 4 }]);
    }
    expect(gemmVariants(icl, false)[0]).toEqual({ workgroupTiles: true, wgSide: 8 });
    expect(gemmVariants({ ...icl, M: 64, N: 64 }, false)).toContainEqual({ workgroupTiles: true, wgSide: 16 });
    expect(gemmVariants({ ...icl, M: 64, N: 64 }, false)).toContainEqual({ workgroupTiles: true, wgSide: 8, threadRows: 8, threadCols: 8 });
    expect(gemmVariants(icl, false).some((v) => v.threadRows === 8)).toBe(false); // 64 x 64 tiles only where they fill
    // With subgroups, CPU adapters get the products with quads first, and the 8 x 8 blocks without; GPUs no quads.
    expect(gemmVariants(icl, true, true)).toEqual([
      { ...block8, quads: true }, { workgroupTiles: false, wgSide: 4, threadRows: 8, quads: true },
      { workgroupTiles: false, wgSide: 2, threadRows: 4, quads: true }, block8,
    ]);
    expect(gemmVariants({ ...icl, M: 64, N: 64 }, false, true).some((v) => v.quads)).toBe(false);
  });
  it("a recorded variant no longer offered still resumes when the shader runs it (runnableVariant)", () => {
    const large = { workgroupTiles: false, wgSide: 4, threadRows: 8 }; // offered with subgroups before 8 x 8 blocks
    expect(gemmVariants(icl, true, true)).not.toContainEqual(large);
    expect(runnableVariant(icl, large, true)).toBe(true);
    expect(runnableVariant(icl, { workgroupTiles: true, wgSide: 8 }, true)).toBe(true); // the tiled product
    expect(runnableVariant(icl, { splits: 4, workgroupTiles: false, wgSide: 2, threadRows: 4 }, true)).toBe(true);
    expect(runnableVariant(icl, { ...large, quads: true }, false)).toBe(false); // quads need subgroups
    expect(runnableVariant(icl, { ...large, threadRows: 6 }, true)).toBe(false);
    expect(runnableVariant(icl, { workgroupTiles: true, wgSide: 16, threadRows: 8 }, true)).toBe(false); // tile of 128
    expect(runnableVariant(icl, { splits: 0 }, true)).toBe(false);
    expect(runnableVariant(icl, { rows: 4 }, true)).toBe(false); // not a gemm field
  });
  it('split-K: CPU adapters the whole product first, GPUs the automatic split; a shape that cannot split offers only whole products', () => {
    expect(gemmSplitKVariants(icl, true)[0]).toEqual({ splits: 1, workgroupTiles: false, wgSide: 2, threadRows: 8, threadCols: 8 });
    expect(gemmSplitKVariants(icl, false)[0]).toEqual({ splits: splitKCount(icl), workgroupTiles: true, wgSide: 8 });
    expect(gemmSplitKVariants({ ...icl, K: 16 }, false).every((v) => v.splits === 1)).toBe(true);
  });
});
