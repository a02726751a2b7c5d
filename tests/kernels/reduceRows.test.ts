// reduceRows (shaders/reduceRows.wgsl) against the float64 reference, and bit-identical across runs.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { reduceRowsReference } from '../../src/reference/reduceRows';
import { reduceRows, type ReduceRowsShape } from '../../src/kernels/reduceRows';
import type { KernelLibrary } from '../../src/runtime/kernels';

const PROBE = '/tests/probes/kernels.ts';

// Sizes of 1, batches shorter and longer than the 16 batch lanes and not multiples of them, column counts that
// leave a partial workgroup, other workgroup shapes, and the largest the budget allows (ICL's 40 x 40 gradient
// per prompt, batch 256, 4 replicas, averaged).
const CASES: ReduceRowsShape[] = [
  { rows: 1, batch: 1, cols: 1 },
  { rows: 1, batch: 5, cols: 3 },
  { rows: 3, batch: 17, cols: 33 },
  { rows: 2, batch: 100, cols: 1, scale: 0.01 },
  { rows: 5, batch: 7, cols: 40, wgCols: 64, wgBatch: 4 },
  { rows: 2, batch: 37, cols: 9, wgCols: 1, wgBatch: 256 },
  { rows: 4, batch: 256, cols: 1600, scale: 1 / 256 },
];

describe('reduceRows (shaders/reduceRows.wgsl) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of CASES) {
    it(JSON.stringify(shape), async () => {
      const rng = new Random(shape.rows * 100 + shape.batch + shape.cols);
      const x = seededArray(rng, shape.rows * shape.batch * shape.cols);
      const [got] = await gpu().call<Float32Array[]>(PROBE, 'runReduceRows', { shape, x, runs: 1 });
      expectClose(got, reduceRowsReference(shape, x), 1e-6 * Math.sqrt(shape.batch) + 1e-6, 'out');
    });
  }

  it('writes rows outStride apart (a bias gradient inside a parameter slab) and leaves the gaps alone', async () => {
    const shape = { rows: 3, batch: 6, cols: 5, outStride: 64 };
    const x = seededArray(new Random(5), shape.rows * shape.batch * shape.cols);
    const [got] = await gpu().call<Float32Array[]>(PROBE, 'runReduceRows', { shape, x, runs: 1 });
    const want = reduceRowsReference(shape, x);
    expect(got.length).toBe(want.length);
    const rows = Array.from({ length: shape.rows }, (_, r) => r * shape.outStride);
    const pick = (a: ArrayLike<number>) => rows.flatMap((o) => Array.from(a).slice(o, o + shape.cols));
    expectClose(pick(got), pick(want), 1e-6, 'rows');
    const gaps = Array.from(got).filter((_, i) => Number.isNaN(want[i]));
    expect(gaps.length).toBe(want.length - shape.rows * shape.cols);
    expect(gaps.every(Number.isNaN), 'a gap between rows was written').toBe(true);
  });

  it('gives bit-identical results on repeated runs', async () => {
    const shape = { rows: 3, batch: 1000, cols: 50, scale: 1e-3 };
    const rng = new Random(77);
    // Magnitudes spread over 12 orders, so that any change in summation order changes the rounded sums.
    const x = seededArray(rng, shape.rows * shape.batch * shape.cols).map((v, i) => v * 10 ** ((i % 13) - 6));
    const runs = await gpu().call<Float32Array[]>(PROBE, 'runReduceRows', { shape, x, runs: 2 });
    expectClose(runs[0], reduceRowsReference(shape, x), 1e-5, 'out');
    expect(new Uint32Array(runs[1].buffer)).toEqual(new Uint32Array(runs[0].buffer));
  });
});

describe('reduceRows input checks (before any GPU work)', () => {
  const noKernels = {} as KernelLibrary;
  it('names the field, the value and what is allowed', async () => {
    await expect(reduceRows(noKernels, { rows: 1, batch: 4, cols: 4, wgBatch: 12 })).rejects.toThrow(/reduceRows: wgBatch = 12; it must be a power of two/);
    await expect(reduceRows(noKernels, { rows: 1, batch: 0, cols: 4 })).rejects.toThrow(/reduceRows: batch = 0; it must be a positive integer/);
    await expect(reduceRows(noKernels, { rows: 1, batch: 4, cols: 4, wgCols: 32, wgBatch: 16 })).rejects.toThrow(/wgCols \* wgBatch = 512; allowed at most 256/);
  });
});
