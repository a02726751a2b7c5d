// positionalEncoding: the sinusoidal table against float64, `add` (shared table and learned per-replica
// positions at a slab stride) and the backward (batch sum into the slab, deterministic) against the reference.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { positionalAddReference, positionalBackwardReference, sinusoidalReference } from '../../src/reference/positionalEncoding';
import { positionalEncoding, positionalEncodingVariants, sinusoidalTable, type PositionalEncodingShape } from '../../src/kernels/positionalEncoding';

const PROBE = '/tests/probes/positionalEncoding.ts';

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe('sinusoidalTable against the float64 formula', () => {
  for (const [T, dModel] of [[1, 1], [1, 7], [35, 200], [64, 13], [1024, 768]]) {
    it(`T ${T}, dModel ${dModel}: within f32 rounding, the odd last column a sine`, () => {
      const got = sinusoidalTable(T, dModel);
      const want = sinusoidalReference(T, dModel);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThan(6e-8); // half an ulp of 1, plus float64's own error at t·ω ≈ 1e3
      expect(got[0]).toBe(0); // sin(0)
      if (dModel > 1) expect(got[1]).toBe(1); // cos(0)
      if (T > 1 && dModel % 2 === 1) expect(got[2 * dModel - 1]).toBe(Math.fround(Math.sin(10000 ** (-(dModel - 1) / dModel))));
    });
  }
});

interface Case {
  shape: PositionalEncodingShape;
  /** A learned table per replica (at peStride, NaN between), or one shared sinusoidal table. */
  learned: boolean;
}

const CASES: Case[] = [
  { shape: { replicas: 1, batch: 1, T: 1, dModel: 1 }, learned: false },
  { shape: { replicas: 3, batch: 2, T: 5, dModel: 7 }, learned: false },
  { shape: { replicas: 3, batch: 3, T: 1, dModel: 13, peStride: 64 }, learned: true },
  { shape: { replicas: 3, batch: 5, T: 9, dModel: 13, peStride: 192, wg: 64 }, learned: true },
  { shape: { replicas: 2, batch: 20, T: 35, dModel: 20, peStride: 704 }, learned: true },
  { shape: { replicas: 1, batch: 2, T: 33, dModel: 10 }, learned: true },
  { shape: { replicas: 2, batch: 7, T: 3, dModel: 13, peStride: 40, backwardWgBatch: 1, backwardWgCols: 64 }, learned: true },
  // CPU adapters' variant: `add` in one 64-thread workgroup per replica striding over 2 x 35 x 20 elements.
  { shape: { replicas: 2, batch: 2, T: 35, dModel: 20, peStride: 704, wg: 64, maxGroups: 1, backwardWgBatch: 1, backwardWgCols: 64 }, learned: true },
];

function peArray(rng: Random, c: Case): Float32Array {
  const { replicas, T, dModel } = c.shape;
  if (!c.learned) return sinusoidalTable(T, dModel);
  const stride = c.shape.peStride ?? T * dModel;
  const pe = new Float32Array((replicas - 1) * stride + T * dModel).fill(NaN);
  for (let r = 0; r < replicas; r++) pe.set(seededArray(rng, T * dModel), r * stride);
  return pe;
}

describe('positionalEncoding (shaders/positionalEncoding.wgsl, reduceRows backward) against the float64 reference', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    const { shape } = c;
    it(`${c.learned ? 'learned' : 'sinusoidal'} ${JSON.stringify(shape)}`, async () => {
      const rng = new Random(shape.T * 100 + shape.dModel);
      const n = shape.replicas * shape.batch * shape.T * shape.dModel;
      const x = seededArray(rng, n);
      const pe = peArray(rng, c);
      const got = await gpu().call<Float32Array>(PROBE, 'runPositionalAdd', { shape, x, pe });
      expectClose(got, positionalAddReference(shape, x, pe), 1e-7, 'x + PE');
      if (!c.learned) return;
      const dx = seededArray(rng, n);
      const table = shape.T * shape.dModel;
      const dposLength = (shape.replicas - 1) * (shape.peStride ?? table) + table;
      const runs = await gpu().call<Float32Array[]>(PROBE, 'runPositionalBackward', { shape, dx, dposLength, runs: 2 });
      const want = positionalBackwardReference(shape, dx);
      const inside = Array.from(want.keys()).filter((i) => !Number.isNaN(want[i]));
      expect(Array.from(want.keys()).filter((i) => Number.isNaN(want[i]) && !Number.isNaN(runs[0][i])), 'gap elements written').toEqual([]);
      expectClose(inside.map((i) => runs[0][i]), inside.map((i) => want[i]), 2e-7 * Math.sqrt(shape.batch), 'dpos');
      expect(bits(runs[1]), 'second run, same bits').toEqual(bits(runs[0]));
    });
  }

  it('names the field, value and allowed range', async () => {
    const noGpu = { kernel: () => Promise.resolve({}) } as never;
    await expect(positionalEncoding(noGpu, { replicas: 2, batch: 1, T: 4, dModel: 8, peStride: 31 })).rejects.toThrow(
      'positionalEncoding: peStride = 31; it must be 0 (one shared table) or an integer >= T·dModel (32)');
    await expect(positionalEncoding(noGpu, { replicas: 2, batch: 0, T: 4, dModel: 8 })).rejects.toThrow('positionalEncoding: batch = 0; it must be a positive integer');
    const shared = await positionalEncoding(noGpu, { replicas: 2, batch: 1, T: 4, dModel: 8 });
    expect(() => shared.backward({} as never)).toThrow('positionalEncoding: backward needs a learned table per replica; peStride = 0 shares one across 2 replicas');
  });
});

describe('positionalEncoding variants per adapter class', () => {
  it('CPU adapters: few workgroups for add and a thread per column for the backward; GPUs: a thread per element and the tree', () => {
    const shape = { replicas: 2, batch: 20, T: 35, dModel: 200 };
    expect(positionalEncodingVariants(shape, true)[0]).toEqual({ wg: 64, maxGroups: 32, backwardWgCols: 64, backwardWgBatch: 1 });
    expect(positionalEncodingVariants(shape, false)[0]).toEqual({ wg: 256, backwardWgCols: 16, backwardWgBatch: 16 });
  });
});
