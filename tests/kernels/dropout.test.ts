// dropout (shaders/dropout.wgsl): its mask is src/util/random.ts's dropoutKeep bit for bit, it keeps about
// 1 − p of the elements, scales them by 1 / (1 − p), and p = 0 is the identity.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { dropoutMaskReference, dropoutReference, dropoutResidualReference } from '../../src/reference/dropout';
import { dropout, type DropoutShape } from '../../src/kernels/dropout';

const PROBE = '/tests/probes/dropout.ts';

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Values away from zero, so that y = 0 exactly where the element was dropped. */
function nonzero(rng: Random, n: number): Float32Array {
  return Float32Array.from(seededArray(rng, n, 0.5, 2), (v, i) => (i % 2 ? -v : v));
}

describe('dropout (shaders/dropout.wgsl) against src/util/random.ts and the float64 reference', () => {
  const gpu = useGpu();
  // R = 3 with different seeds (one near 2^32), 1000 elements (not a multiple of the 256-thread workgroup),
  // steps up to 2^32 − 1, and several layers and sites; one workgroup per replica striding over all of them (CPU
  // adapters' grid).
  const seeds = new Uint32Array([7, 8, 0xfffffffe]);
  const steps = [0, 1, 977, 0xffffffff];
  const cases: DropoutShape[] = [
    { replicas: 3, size: 1000, p: 0.3, layer: 0, site: 0 },
    { replicas: 3, size: 1000, p: 0.1, layer: 2, site: 3 },
    { replicas: 3, size: 1000, p: 0.5, layer: 11, site: 4, wg: 64 },
    { replicas: 3, size: 1000, p: 0.3, layer: 1, site: 2, wg: 64, maxGroups: 1 },
  ];
  for (const shape of cases) {
    it(`mask is dropoutKeep bit for bit: ${JSON.stringify(shape)}, steps ${steps.join(', ')}`, async () => {
      const x = nonzero(new Random(shape.layer), shape.replicas * shape.size);
      const got = await gpu().call<Float32Array[]>(PROBE, 'runDropout', { shape, x, seeds, steps });
      steps.forEach((step, k) => {
        const mask = dropoutMaskReference(shape, seeds, step);
        expect(Array.from(got[k], (v) => (v !== 0 ? 1 : 0)), `step ${step}`).toEqual(Array.from(mask));
        expectClose(got[k], dropoutReference(shape, x, seeds, step), 1e-7, `y at step ${step}`);
      });
      // Different steps draw different masks.
      expect(bits(got[0])).not.toEqual(bits(got[1]));
    });
  }

  for (const p of [0.1, 0.5, 0.9]) {
    it(`keeps a fraction within 4 standard errors of 1 − p = ${1 - p}`, async () => {
      const shape = { replicas: 2, size: 30000, p, layer: 1, site: 2 };
      const n = shape.replicas * shape.size;
      const got = await gpu().call<Float32Array[]>(PROBE, 'runDropout', { shape, x: new Float32Array(n).fill(1), seeds: new Uint32Array([1, 2]), steps: [5] });
      const kept = got[0].filter((v) => v !== 0).length / n;
      expect(Math.abs(kept - (1 - p))).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
      expect(got[0].every((v) => v === 0 || v === Math.fround(1 / (1 - p)))).toBe(true);
    });
  }

  it('p = 0 is the identity, bit for bit (signed zeros and huge values included)', async () => {
    const x = Float32Array.from(seededArray(new Random(3), 300, -1e30, 1e30));
    x[0] = -0;
    x[1] = 0;
    x[2] = 3.4e38;
    const shape = { replicas: 3, size: 100, p: 0, layer: 0, site: 1 };
    const got = await gpu().call<Float32Array[]>(PROBE, 'runDropout', { shape, x, seeds, steps: [4] });
    expect(bits(got[0])).toEqual(bits(x));
  });

  it('p = 1 drops everything; in place gives the same bits as out of place', async () => {
    const x = nonzero(new Random(4), 2 * 77);
    const all = await gpu().call<Float32Array[]>(PROBE, 'runDropout', { shape: { replicas: 2, size: 77, p: 1, layer: 0, site: 0 }, x, seeds, steps: [1] });
    expect(all[0].every((v) => v === 0)).toBe(true);
    const shape = { replicas: 2, size: 77, p: 0.25, layer: 3, site: 1 };
    const out = await gpu().call<Float32Array[]>(PROBE, 'runDropout', { shape, x, seeds, steps: [9, 10] });
    const inPlace = await gpu().call<Float32Array[]>(PROBE, 'runDropout', { shape, x, seeds, steps: [9, 10], inPlace: true });
    expect(bits(inPlace[0])).toEqual(bits(out[0]));
    expect(bits(inPlace[1])).toEqual(bits(out[1]));
  });

  it('applyResidual adds the dropped block output to the residual stream (p = 0.4 and p = 0)', async () => {
    for (const p of [0.4, 0]) {
      const shape = { replicas: 3, size: 333, p, layer: 1, site: 2 };
      const rng = new Random(11);
      const x = nonzero(rng, 3 * 333);
      const residual = seededArray(rng, 3 * 333);
      const got = await gpu().call<Float32Array>(PROBE, 'runDropoutResidual', { shape, x, residual, seeds, step: 6 });
      expectClose(got, dropoutResidualReference(shape, x, residual, seeds, 6), 1e-7, `p = ${p}`);
      if (p === 0) expect(bits(got)).toEqual(bits(Float32Array.from(x, (v, i) => v + residual[i])));
    }
  });

  it('names the field, value and allowed range', async () => {
    const noGpu = {} as never;
    const ok = { replicas: 1, size: 4, p: 0.5, layer: 0, site: 0 };
    await expect(dropout(noGpu, { ...ok, p: 1.5 })).rejects.toThrow('dropout: p = 1.5; allowed 0 <= p <= 1');
    await expect(dropout(noGpu, { ...ok, p: NaN })).rejects.toThrow('dropout: p = NaN');
    await expect(dropout(noGpu, { ...ok, site: -1 })).rejects.toThrow('dropout: site = -1; it must be an integer in 0..2^32 − 1');
    await expect(dropout(noGpu, { ...ok, size: 0 })).rejects.toThrow('dropout: size = 0; it must be a positive integer');
  });
});
