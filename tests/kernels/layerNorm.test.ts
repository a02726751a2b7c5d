// layerNorm (shaders/layerNorm.wgsl) forward, backward and backwardParams against the float64 reference, in
// every variant (threads per row, rows per workgroup, row blocks and workgroup of the parameter gradients).
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, relativeError, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { layerNormBackwardReference, layerNormParamsReference, layerNormReference } from '../../src/reference/layerNorm';
import { layerNorm, type LayerNormShape } from '../../src/kernels/layerNorm';

const PROBE = '/tests/probes/layerNorm.ts';

interface Case {
  shape: LayerNormShape;
  /** Every x is offset by this (a large mean: the variance must not cancel). */
  offset?: number;
  tol?: number;
}

// Variants: rowThreads 1 (no barriers), 4 with 3 rows a workgroup, 32 (default), 256 (one row a workgroup);
// paramBlockRows 1, 7, the default 64 and more than the rows (one block); paramWg 5 and the default 64.
// Shapes: dModel 1 (y = b, dx = 0), 7 and 13 (not multiples of 4), R = 3 with different g and b per replica at
// strides larger than dModel (NaN between), rows not a multiple of any workgroup.
const CASES: Case[] = [
  { shape: { replicas: 1, rows: 1, dModel: 1, rowThreads: 1, rowsPerWorkgroup: 64 } },
  { shape: { replicas: 3, rows: 5, dModel: 7, gStride: 20, bStride: 12, rowThreads: 1, rowsPerWorkgroup: 64, paramBlockRows: 7 } },
  { shape: { replicas: 3, rows: 35, dModel: 13, gStride: 64, bStride: 64, rowThreads: 4, rowsPerWorkgroup: 3, paramBlockRows: 1, paramWg: 5 } },
  { shape: { replicas: 2, rows: 70, dModel: 200, eps: 1e-3 } },
  { shape: { replicas: 2, rows: 9, dModel: 300, rowThreads: 256, paramBlockRows: 100, gStride: 320 } },
  { shape: { replicas: 1, rows: 33, dModel: 96, rowThreads: 1, rowsPerWorkgroup: 64 }, offset: 1000, tol: 2e-3 },
  { shape: { replicas: 1, rows: 33, dModel: 96 }, offset: 1000, tol: 2e-3 },
];

/** [replicas] vectors of dModel at `stride`, NaN between them. */
function strided(rng: Random, replicas: number, stride: number, dModel: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array((replicas - 1) * stride + dModel).fill(NaN);
  for (let r = 0; r < replicas; r++) a.set(seededArray(rng, dModel, lo, hi), r * stride);
  return a;
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Inside the vectors close to the reference; between them (NaN in the reference) still NaN. */
function expectStridedClose(got: Float32Array, want: Float64Array, tol: number, what: string): void {
  const inside = Array.from(want.keys()).filter((i) => !Number.isNaN(want[i]));
  expect(Array.from(want.keys()).filter((i) => Number.isNaN(want[i]) && !Number.isNaN(got[i])), `${what}: gap elements written`).toEqual([]);
  expectClose(inside.map((i) => got[i]), inside.map((i) => want[i]), tol, what);
}

describe('layerNorm (shaders/layerNorm.wgsl) against the float64 reference', () => {
  const gpu = useGpu();
  for (const { shape, offset = 0, tol = 2e-6 } of CASES) {
    it(`${JSON.stringify(shape)}${offset ? `, x offset by ${offset}` : ''}`, async () => {
      const rng = new Random(shape.rows * 1000 + shape.dModel);
      const n = shape.replicas * shape.rows * shape.dModel;
      const x = Float32Array.from(seededArray(rng, n, -2, 2), (v) => v + offset);
      const g = strided(rng, shape.replicas, shape.gStride ?? shape.dModel, shape.dModel, 0.5, 1.5);
      const b = strided(rng, shape.replicas, shape.bStride ?? shape.dModel, shape.dModel, -1, 1);
      const dy = seededArray(rng, n);
      const want = layerNormReference(shape, x, g, b);
      const runs = await gpu().call<{ y: Float32Array; mean: Float32Array; rstd: Float32Array; dx: Float32Array; dg: Float32Array; db: Float32Array }[]>(
        PROBE, 'runLayerNorm', { shape, x, g, b, dy, mean: Float32Array.from(want.mean), rstd: Float32Array.from(want.rstd), runs: 2 });
      const got = runs[0];
      expectClose(got.y, want.y, tol, 'y');
      expectClose(got.mean, want.mean, offset ? 1e-6 : 1e-5, 'mean');
      expectClose(got.rstd, want.rstd, tol, 'rstd');
      const dx = layerNormBackwardReference(shape, x, g, dy);
      if (shape.dModel === 1) expect(Array.from(got.dx)).toEqual(Array.from(dx, () => 0));
      else expectClose(got.dx, dx, 10 * tol, 'dx');
      const params = layerNormParamsReference(shape, x, dy);
      expectStridedClose(got.dg, params.dg, 10 * tol, 'dg');
      expectStridedClose(got.db, params.db, 1e-6, 'db');
      for (const k of ['y', 'mean', 'rstd', 'dx', 'dg', 'db'] as const) expect(bits(runs[1][k]), `${k}: second run, same bits`).toEqual(bits(got[k]));
    });
  }

  it('eps comes from the shape: a constant row gives y = b and rstd = 1 / sqrt(eps)', async () => {
    const shape: LayerNormShape = { replicas: 1, rows: 2, dModel: 5, eps: 0.25, rowThreads: 2 };
    const x = new Float32Array(10).fill(3);
    const g = new Float32Array(5).fill(2);
    const b = Float32Array.from([1, 2, 3, 4, 5]);
    const runs = await gpu().call<{ y: Float32Array; rstd: Float32Array }[]>(PROBE, 'runLayerNorm',
      { shape, x, g, b, dy: new Float32Array(10), mean: new Float32Array(2).fill(3), rstd: new Float32Array(2).fill(2), runs: 1 });
    expect(Array.from(runs[0].rstd)).toEqual([2, 2]);
    expect(Array.from(runs[0].y)).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
  });
});

describe('layerNorm backward accumulating (pre-LN: the residual gradient is already in dx)', () => {
  const gpu = useGpu();
  for (const rowThreads of [1, 32]) {
    it(`dx = dx0 + the LayerNorm gradient, rowThreads ${rowThreads}`, async () => {
      const shape: LayerNormShape = { replicas: 3, rows: 7, dModel: 13, rowThreads, accumulate: true };
      const rng = new Random(41 + rowThreads);
      const n = 3 * 7 * 13;
      const x = seededArray(rng, n, -2, 2);
      const g = seededArray(rng, 3 * 13, 0.5, 1.5);
      const b = seededArray(rng, 3 * 13);
      const dy = seededArray(rng, n);
      const dx0 = seededArray(rng, n);
      const stats = layerNormReference(shape, x, g, b);
      const [got] = await gpu().call<{ dx: Float32Array }[]>(PROBE, 'runLayerNorm',
        { shape, x, g, b, dy, mean: Float32Array.from(stats.mean), rstd: Float32Array.from(stats.rstd), runs: 1, dx0 });
      expectClose(got.dx, layerNormBackwardReference(shape, x, g, dy).map((v, i) => v + dx0[i]), 2e-6, 'dx');
    });
  }
});

describe('layerNorm reference gradients', () => {
  it('match central finite differences of the reference forward', () => {
    const shape: LayerNormShape = { replicas: 2, rows: 3, dModel: 5, gStride: 7, bStride: 6, eps: 1e-3 };
    const rng = new Random(9);
    const x = Float64Array.from(seededArray(rng, 30, -2, 2));
    const g = Float64Array.from(seededArray(rng, 12, 0.5, 1.5));
    const b = Float64Array.from(seededArray(rng, 11));
    const dy = Float64Array.from(seededArray(rng, 30));
    const loss = (xv: Float64Array, gv: Float64Array, bv: Float64Array) =>
      layerNormReference(shape, xv, gv, bv).y.reduce((acc, yi, i) => acc + yi * dy[i], 0);
    const h = 1e-6;
    const numeric = (v: Float64Array, f: (changed: Float64Array) => number, skip: (i: number) => boolean) =>
      Array.from(v, (_, i) => {
        if (skip(i)) return NaN;
        const plus = Float64Array.from(v);
        const minus = Float64Array.from(v);
        plus[i] += h;
        minus[i] -= h;
        return (f(plus) - f(minus)) / (2 * h);
      });
    const dx = numeric(x, (xv) => loss(xv, g, b), () => false);
    expect(relativeError(layerNormBackwardReference(shape, x, g, dy), dx)).toBeLessThan(1e-7);
    const params = layerNormParamsReference(shape, x, dy);
    const inside = (stride: number) => (i: number) => i % stride >= shape.dModel;
    const dg = numeric(g, (gv) => loss(x, gv, b), inside(7));
    const db = numeric(b, (bv) => loss(x, g, bv), inside(6));
    const pick = (a: ArrayLike<number>, skip: (i: number) => boolean) => Array.from(a).filter((_, i) => !skip(i));
    expect(relativeError(pick(params.dg, inside(7)), pick(dg, inside(7)))).toBeLessThan(1e-7);
    expect(relativeError(pick(params.db, inside(6)), pick(db, inside(6)))).toBeLessThan(1e-7);
  });
});

describe('layerNorm input checks', () => {
  it('names the field, value and allowed range', async () => {
    const noGpu = {} as never;
    const ok = { replicas: 2, rows: 4, dModel: 8 };
    await expect(layerNorm(noGpu, { ...ok, rowThreads: 3 })).rejects.toThrow('layerNorm: rowThreads = 3; it must be a power of two up to 256');
    await expect(layerNorm(noGpu, { ...ok, rowThreads: 32, rowsPerWorkgroup: 16 })).rejects.toThrow('layerNorm: rowsPerWorkgroup = 16; it must be a positive integer with rowThreads·rowsPerWorkgroup <= 256');
    await expect(layerNorm(noGpu, { ...ok, gStride: 7 })).rejects.toThrow('layerNorm: gStride = 7; it must be an integer >= dModel (8)');
    await expect(layerNorm(noGpu, { ...ok, eps: 0 })).rejects.toThrow('layerNorm: eps = 0; it must be a positive finite number');
    await expect(layerNorm(noGpu, { ...ok, dModel: 2.5 })).rejects.toThrow('layerNorm: dModel = 2.5; it must be a positive integer');
  });
});
