// attention (shaders/attention.wgsl): forward, backward and probabilities against the float64 reference
// (src/reference/attention.ts), the reference's backward against finite differences, the variants, the tile
// chooser, the wrapper's errors, and the acceptance size (T = 1024, dHead 64).
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, relativeError, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import {
  attentionBackwardReference,
  attentionForwardReference,
  attentionKeepMask,
  attentionProbabilitiesReference,
  type AttentionDropout,
  type AttentionReferenceShape,
} from '../../src/reference/attention';
import {
  attentionTiles,
  attentionWorkgroupBytes,
  type AttentionLimits,
  type AttentionProbabilitiesShape,
  type AttentionShape,
  type ChosenTiles,
} from '../../src/kernels/attention';
import type { AttentionRun } from '../probes/attention';

const PROBE = '/tests/probes/attention.ts';
const STEP = 7;

function limits(storage: number): AttentionLimits {
  return { maxComputeWorkgroupStorageSize: storage, maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupSizeY: 256 };
}

/** qkv uniform in ±spread (larger: sharper softmax rows), dO in ±1, a different dropout seed per replica. */
function inputs(s: AttentionReferenceShape, spread: number, seed: number) {
  const rng = new Random(seed);
  return {
    qkv: seededArray(rng, s.replicas * s.batch * s.T * 3 * s.dModel, -spread, spread),
    dO: seededArray(rng, s.replicas * s.batch * s.T * s.dModel),
    seeds: Uint32Array.from({ length: s.replicas }, (_, r) => 1000 + 17 * r),
  };
}

function referenceDropout(s: AttentionShape, seeds: Uint32Array): AttentionDropout | undefined {
  const p = s.dropout ?? 0;
  return p > 0 ? { keep: attentionKeepMask(s, seeds, STEP, s.layer ?? 0, p), p } : undefined;
}

type Gpu = ReturnType<typeof useGpu>;

async function runAttention(gpu: Gpu, shape: AttentionShape, qkv: Float32Array, dO: Float32Array, seeds: Uint32Array, runs: number) {
  return gpu().call<{ results: AttentionRun[]; tiles: Record<string, ChosenTiles>; ms: number }>(PROBE, 'runAttention', {
    shape, qkv, dO, runs, ...((shape.dropout ?? 0) > 0 && { seeds, step: STEP }),
  });
}

function expectSameBits(a: AttentionRun, b: AttentionRun) {
  for (const k of ['o', 'lse', 'delta', 'dQKV'] as const) {
    expect(Buffer.from(a[k].buffer).equals(Buffer.from(b[k].buffer)), `${k}: two runs differ`).toBe(true);
  }
}

/** Tiles for dHead 128 on an adapter with the WebGPU minimum of 16 KiB of workgroup memory (at T = 1024). */
const TILES_16K_DHEAD_128 = attentionTiles({ replicas: 1, batch: 1, T: 1024, dModel: 256, nHeads: 2, causal: true, dropout: 0.1 }, limits(16384));

interface Case {
  name: string;
  shape: AttentionShape;
  spread: number;
}

const CASES: Case[] = [
  { name: 'T 1, 3 heads of dHead 3, R 3, B 2, causal', spread: 1, shape: { replicas: 3, batch: 2, T: 1, dModel: 9, nHeads: 3, causal: true } },
  {
    name: 'T 13, 3 heads of dHead 3, R 3, B 2, causal, dropout 0.25 (layer 2)', spread: 2,
    shape: { replicas: 3, batch: 2, T: 13, dModel: 9, nHeads: 3, causal: true, dropout: 0.25, layer: 2 },
  },
  {
    name: 'T 37, 2 heads of dHead 5, R 2, full, dropout 0.1, odd tiles and lanes in every entry', spread: 2,
    shape: {
      replicas: 2, batch: 1, T: 37, dModel: 10, nHeads: 2, causal: false, dropout: 0.1,
      forwardTiles: { rows: 5, tile: 7, lanes: 2 }, queryGradTiles: { rows: 3, tile: 8, lanes: 3 }, keyValueGradTiles: { rows: 6, tile: 5, lanes: 2 },
    },
  },
  {
    name: 'T 29, 2 heads of dHead 6, B 2, causal, one-row tiles and lanes with no chunk to own', spread: 2,
    shape: {
      replicas: 1, batch: 2, T: 29, dModel: 12, nHeads: 2, causal: true,
      forwardTiles: { rows: 1, tile: 1, lanes: 1 }, queryGradTiles: { rows: 4, tile: 3, lanes: 8 }, keyValueGradTiles: { rows: 1, tile: 2, lanes: 8 },
    },
  },
  {
    name: 'T 19, 2 heads of dHead 128, full, dropout 0.1, the tiles chosen for a 16 KiB adapter', spread: 0.5,
    shape: {
      replicas: 1, batch: 1, T: 19, dModel: 256, nHeads: 2, causal: false, dropout: 0.1,
      forwardTiles: TILES_16K_DHEAD_128.forward, queryGradTiles: TILES_16K_DHEAD_128.backwardQuery, keyValueGradTiles: TILES_16K_DHEAD_128.backwardKeyValue,
    },
  },
  // The thread-per-row entries (a CPU adapter's default).
  { name: 'thread per row: T 1, 3 heads of dHead 3, R 3, B 2, causal', spread: 1, shape: { replicas: 3, batch: 2, T: 1, dModel: 9, nHeads: 3, causal: true, threadPerRow: true } },
  {
    name: 'thread per row: T 13, 3 heads of dHead 3, R 3, B 2, causal, dropout 0.25 (layer 2), workgroups of 7', spread: 2,
    shape: { replicas: 3, batch: 2, T: 13, dModel: 9, nHeads: 3, causal: true, dropout: 0.25, layer: 2, threadPerRow: true, rowWorkgroup: 7 },
  },
  {
    name: 'thread per row: T 37, 2 heads of dHead 5, R 2, full, dropout 0.1', spread: 2,
    shape: { replicas: 2, batch: 1, T: 37, dModel: 10, nHeads: 2, causal: false, dropout: 0.1, threadPerRow: true },
  },
  {
    name: 'thread per row: T 19, 2 heads of dHead 128, full, dropout 0.1', spread: 0.5,
    shape: { replicas: 1, batch: 1, T: 19, dModel: 256, nHeads: 2, causal: false, dropout: 0.1, threadPerRow: true },
  },
];

describe('attention forward and backward against the float64 reference', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(`${c.name}: O, lse, delta, dQKV; two runs give the same bits`, async () => {
      const { qkv, dO, seeds } = inputs(c.shape, c.spread, c.shape.T * 31 + c.shape.dModel);
      const got = await runAttention(gpu, c.shape, qkv, dO, seeds, 2);
      const dropout = referenceDropout(c.shape, seeds);
      const forward = attentionForwardReference(c.shape, qkv, dropout);
      const backward = attentionBackwardReference(c.shape, qkv, dO, dropout);
      const run = got.results[0];
      expectClose(run.o, forward.o, 2e-6, 'O');
      expectClose(run.lse, forward.lse, 1e-6, 'lse');
      expectClose(run.delta, backward.delta, 2e-6, 'delta = rowsum(dO∘O)');
      expectClose(run.dQKV, backward.dQKV, 1e-5, 'dQKV');
      expectSameBits(run, got.results[1]);
      if (dropout) {
        // The mask matters: without it the reference is far from what the kernel matched.
        expect(relativeError(attentionForwardReference(c.shape, qkv).o, forward.o)).toBeGreaterThan(0.05);
      }
    });
  }

  it('T 1024, 2 heads of dHead 64, causal, dropout 0.1 (the issue\'s acceptance size): every row matches float64', async () => {
    const shape: AttentionShape = { replicas: 1, batch: 1, T: 1024, dModel: 128, nHeads: 2, causal: true, dropout: 0.1 };
    const { qkv, dO, seeds } = inputs(shape, 1.5, 1024);
    const started = performance.now();
    const got = await runAttention(gpu, shape, qkv, dO, seeds, 1);
    const gpuSeconds = (performance.now() - started) / 1000;
    const dropout = referenceDropout(shape, seeds);
    const forward = attentionForwardReference(shape, qkv, dropout);
    const backward = attentionBackwardReference(shape, qkv, dO, dropout);
    const run = got.results[0];
    expectClose(run.o, forward.o, 2e-6, 'O');
    expectClose(run.lse, forward.lse, 1e-6, 'lse');
    expectClose(run.delta, backward.delta, 2e-6, 'delta');
    expectClose(run.dQKV, backward.dQKV, 1e-5, 'dQKV');
    console.log(
      `attention T 1024, dHead 64, 2 heads: GPU forward + backward ${got.ms.toFixed(0)} ms, page call (compile included) ${gpuSeconds.toFixed(1)} s, ` +
        `errors O ${relativeError(run.o, forward.o).toExponential(1)}, dQKV ${relativeError(run.dQKV, backward.dQKV).toExponential(1)}; tiles ${JSON.stringify(got.tiles)}`,
    );
  });
});

describe('attention probabilities against the float64 reference', () => {
  const gpu = useGpu();
  const cases: AttentionProbabilitiesShape[] = [
    { replicas: 2, batch: 2, T: 13, dModel: 9, nHeads: 3, causal: true },
    { replicas: 1, batch: 1, T: 37, dModel: 10, nHeads: 2, causal: false, tiles: { rows: 5, tile: 7, lanes: 3 } },
    { replicas: 3, batch: 1, T: 1, dModel: 4, nHeads: 1, causal: true },
    { replicas: 2, batch: 2, T: 13, dModel: 9, nHeads: 3, causal: true, threadPerRow: true },
    { replicas: 1, batch: 1, T: 37, dModel: 10, nHeads: 2, causal: false, threadPerRow: true, rowWorkgroup: 5 },
  ];
  for (const shape of cases) {
    it(JSON.stringify(shape), async () => {
      const { qkv } = inputs(shape, 2, shape.T);
      const got = await gpu().call<{ probs: Float32Array }>(PROBE, 'runAttentionProbabilities', { shape, qkv });
      expectClose(got.probs, attentionProbabilitiesReference(shape, qkv), 2e-6, 'A');
      if (shape.causal) {
        const { T } = shape;
        const above = Array.from(got.probs).filter((_, i) => i % T > Math.floor(i / T) % T);
        expect(above.every((p) => p === 0), 'causal: entries above the diagonal are exactly 0').toBe(true);
      }
    });
  }
});

describe('attention reference', () => {
  const loss = (s: AttentionReferenceShape, qkv: Float64Array, dO: Float32Array, dropout?: AttentionDropout) =>
    attentionForwardReference(s, qkv, dropout).o.reduce((acc, v, i) => acc + v * dO[i], 0);

  for (const causal of [true, false]) {
    it(`backward matches central finite differences of the forward (${causal ? 'causal, dropout 0.3' : 'full, no dropout'})`, () => {
      const shape: AttentionReferenceShape = { replicas: 2, batch: 1, T: 4, dModel: 6, nHeads: 2, causal };
      const { qkv, dO, seeds } = inputs(shape, 1.5, 5);
      const dropout = causal ? { keep: attentionKeepMask(shape, seeds, STEP, 1, 0.3), p: 0.3 } : undefined;
      if (dropout) expect(dropout.keep.includes(0) && dropout.keep.includes(1)).toBe(true);
      const x = Float64Array.from(qkv);
      const h = 1e-6;
      const numeric = Array.from(x, (_, i) => {
        const plus = Float64Array.from(x);
        const minus = Float64Array.from(x);
        plus[i] += h;
        minus[i] -= h;
        return (loss(shape, plus, dO, dropout) - loss(shape, minus, dO, dropout)) / (2 * h);
      });
      const analytic = attentionBackwardReference(shape, x, dO, dropout).dQKV;
      expect(relativeError(analytic, numeric)).toBeLessThan(1e-7);
    });
  }

  it('delta = rowsum(dO ∘ O) equals Σ_s A·dA with dropout (the identity the kernel\'s backward relies on)', () => {
    const shape: AttentionReferenceShape = { replicas: 1, batch: 2, T: 6, dModel: 4, nHeads: 2, causal: true };
    const { qkv, dO, seeds } = inputs(shape, 1.5, 9);
    const p = 0.4;
    const dropout = { keep: attentionKeepMask(shape, seeds, STEP, 0, p), p };
    const A = attentionProbabilitiesReference(shape, qkv);
    const { delta } = attentionBackwardReference(shape, qkv, dO, dropout);
    const { T, dModel, nHeads } = shape;
    const dHead = dModel / nHeads;
    const viaProbabilities = Array.from(delta, (_, row) => {
      const t = row % T;
      const h = Math.floor(row / T) % nHeads;
      const b = Math.floor(row / (T * nHeads));
      let sum = 0;
      for (let u = 0; u < T; u++) {
        let dDropped = 0;
        for (let d = 0; d < dHead; d++) dDropped += dO[(b * T + t) * dModel + h * dHead + d] * qkv[(b * T + u) * 3 * dModel + 2 * dModel + h * dHead + d];
        sum += A[row * T + u] * dDropped * dropout.keep[row * T + u] / (1 - p);
      }
      return sum;
    });
    expect(relativeError(delta, viaProbabilities)).toBeLessThan(1e-12);
  });
});

describe('attention tile chooser', () => {
  it('fits every entry into 16 KiB and 32 KiB for dHead 3..128, with the defaults where they fit', () => {
    for (const storage of [16384, 32768]) {
      for (const dHead of [3, 8, 64, 100, 128]) {
        for (const dropout of [0, 0.1]) {
          const shape: AttentionShape = { replicas: 1, batch: 1, T: 1024, dModel: 2 * dHead, nHeads: 2, causal: true, dropout };
          const tiles = attentionTiles(shape, limits(storage));
          for (const [entry, t] of Object.entries(tiles)) {
            const bytes = attentionWorkgroupBytes(entry as keyof typeof tiles, dHead, t);
            expect(bytes, `${entry} dHead ${dHead} at ${storage}`).toBeLessThanOrEqual(storage);
            expect(t.rows * t.lanes).toBeLessThanOrEqual(256);
            expect(Math.ceil(Math.ceil(dHead / 4) / t.lanes)).toBeLessThanOrEqual(32);
          }
        }
      }
    }
    const gpt2 = attentionTiles({ replicas: 1, batch: 1, T: 1024, dModel: 768, nHeads: 12, causal: true }, limits(32768));
    expect(gpt2.forward).toEqual({ rows: 32, tile: 32, lanes: 4 });
    // Short sequences are split evenly: T = 35 is two blocks of 18.
    expect(attentionTiles({ replicas: 1, batch: 20, T: 35, dModel: 200, nHeads: 1, causal: true }, limits(32768)).forward.rows).toBe(18);
  });

  it('refuses variants that cannot fit, naming field, value and limit', () => {
    const shape: AttentionShape = { replicas: 1, batch: 1, T: 64, dModel: 128, nHeads: 1, causal: true };
    expect(() => attentionTiles({ ...shape, forwardTiles: { rows: 64, tile: 64, lanes: 4 } }, limits(16384))).toThrow(/forward.*dHead = 128 with rows 64, tile 64 needs \d+ bytes.*allows 16384/);
    expect(() => attentionTiles({ ...shape, dModel: 1024, forwardTiles: { lanes: 1 } }, limits(1 << 20))).toThrow(/lanes = 1 with dHead = 1024.*lanes must be >= 8/);
    expect(() => attentionTiles({ ...shape, keyValueGradTiles: { rows: 64, lanes: 8 } }, limits(1 << 20))).toThrow(/rows x lanes = 64 x 8.*256 threads/);
    expect(() => attentionTiles({ ...shape, queryGradTiles: { tile: 0 } }, limits(32768))).toThrow(RangeError);
  });
});

describe('attention wrapper errors', () => {
  const gpu = useGpu();
  const base: AttentionShape = { replicas: 1, batch: 1, T: 8, dModel: 8, nHeads: 2, causal: true };
  const cases: [string, AttentionShape, boolean | undefined, RegExp][] = [
    ['dModel not a multiple of nHeads', { ...base, dModel: 9 }, false, /RangeError: attention: dModel = 9 is not a multiple of nHeads = 2/],
    ['dropout 1', { ...base, dropout: 1 }, false, /RangeError: attention: dropout = 1; it must be in \[0, 1\)/],
    ['T 0', { ...base, T: 0 }, false, /RangeError: attention: T = 0; it must be a positive integer/],
    ['dropout without seeds and step', { ...base, dropout: 0.5 }, true, /RangeError: attention: dropout = 0.5 needs the buffers seeds/],
    ['a thread-per-row workgroup larger than the adapter allows', { ...base, threadPerRow: true, rowWorkgroup: 100000 }, false, /RangeError: attention: rowWorkgroup = 100000; this adapter allows at most \d+ threads/],
  ];
  for (const [name, shape, buildForward, message] of cases) {
    it(name, async () => {
      expect(await gpu().call<string>(PROBE, 'attentionShapeError', { shape, buildForward })).toMatch(message);
    });
  }
});
