// tokenEmbedding (shaders/tokenEmbedding.wgsl): the lookup and its gradient (sort, segments, fixed-order sums)
// against the float64 reference, at awkward sizes, with tokens >= vocab, and run twice for identical bits.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { tokenEmbeddingBackwardReference, tokenEmbeddingReference, tokenSortReference } from '../../src/reference/tokenEmbedding';
import { tokenEmbedding, type TokenEmbeddingShape } from '../../src/kernels/tokenEmbedding';

const PROBE = '/tests/probes/tokenEmbedding.ts';

interface Case {
  shape: TokenEmbeddingShape;
  /** Tokens drawn from 0..range − 1 (range > vocab puts some out of range). */
  range?: number;
}

// T = 1, dModel 1, 7 and 13, vocab 1 (one run holding every position), R = 3 with different tokens and tables
// per replica at a stride larger than the table (NaN between), tokens >= vocab (among them 2^32 − 1), position
// counts that are not multiples of any workgroup, vocabulary rows past the grid's 65535 limit or strided over
// 7 row groups, accumulation.
const CASES: Case[] = [
  { shape: { replicas: 1, batch: 1, T: 1, dModel: 1, vocab: 1 } },
  { shape: { replicas: 3, batch: 2, T: 5, dModel: 7, vocab: 11, embedStride: 100, scaleEmbed: true }, range: 13 },
  { shape: { replicas: 2, batch: 4, T: 35, dModel: 13, vocab: 3000, embedStride: 3000 * 13 + 5, accumulate: true, backwardRowGroups: 7 }, range: 3010 },
  { shape: { replicas: 1, batch: 20, T: 35, dModel: 20, vocab: 50, tokenStride: 40 } },
  { shape: { replicas: 1, batch: 3, T: 67, dModel: 5, vocab: 1, wg: 64, backwardWgCols: 2, backwardWgRows: 3 } },
  { shape: { replicas: 1, batch: 2, T: 3, dModel: 1, vocab: 70000, backwardWgCols: 1, backwardWgRows: 1 } },
];

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe('tokenEmbedding (shaders/tokenEmbedding.wgsl) against the float64 reference', () => {
  const gpu = useGpu();
  for (const { shape, range = shape.vocab } of CASES) {
    it(JSON.stringify(shape) + (range > shape.vocab ? `, tokens up to ${range - 1} and 2^32 − 1` : ''), async () => {
      const rng = new Random(shape.vocab * 7 + shape.T);
      const D = shape.dModel;
      const tokenStride = shape.tokenStride ?? shape.T + 1;
      // Inputs in 0..range − 1; the slots past T (targets, padding) hold junk the kernel must not read.
      const tokens = Uint32Array.from({ length: shape.replicas * shape.batch * tokenStride }, (_, i) =>
        i % tokenStride < shape.T ? rng.int(range) : 0xffffffff);
      if (range > shape.vocab) tokens[1] = 0xffffffff;
      const embedStride = shape.embedStride ?? shape.vocab * D;
      const span = (shape.replicas - 1) * embedStride + shape.vocab * D;
      const embed = new Float32Array(span).fill(NaN);
      for (let r = 0; r < shape.replicas; r++) embed.set(seededArray(rng, shape.vocab * D), r * embedStride);
      const dx = seededArray(rng, shape.replicas * shape.batch * shape.T * D);
      // Accumulating: every row holds a value; overwriting: NaN everywhere (rows must all be written).
      const dEmbed0 = shape.accumulate ? Float32Array.from(embed, (v) => (Number.isNaN(v) ? NaN : v * 0.5)) : new Float32Array(span).fill(NaN);
      const got = await gpu().call<{ x: Float32Array; dEmbed: Float32Array[]; sortedPairs: Uint32Array; segmentStarts: Uint32Array }>(
        PROBE, 'runTokenEmbedding', { shape, tokens, embed, dx, dEmbed0, runs: 2 });
      expectClose(got.x, tokenEmbeddingReference(shape, tokens, embed), 1e-7, 'x');
      expect(Array.from(got.sortedPairs)).toEqual(Array.from(tokenSortReference(shape, tokens)));
      const want = tokenEmbeddingBackwardReference(shape, tokens, dx, dEmbed0);
      const inside = Array.from(want.keys()).filter((i) => !Number.isNaN(want[i]));
      expect(Array.from(want.keys()).filter((i) => Number.isNaN(want[i]) && !Number.isNaN(got.dEmbed[0][i])), 'gap elements written').toEqual([]);
      expectClose(inside.map((i) => got.dEmbed[0][i]), inside.map((i) => want[i]), 2e-6, 'dEmbed');
      expect(bits(got.dEmbed[1]), 'second run, same bits').toEqual(bits(got.dEmbed[0]));
      if (range > shape.vocab) {
        // Out-of-range tokens: zero rows forward, and no gradient anywhere (the sums above already include none).
        const bad = Array.from({ length: shape.batch * shape.T }, (_, p) => p).filter((p) => tokens[Math.floor(p / shape.T) * tokenStride + (p % shape.T)] >= shape.vocab);
        expect(bad.length).toBeGreaterThan(0);
        for (const p of bad) expect(Array.from(got.x.subarray(p * D, (p + 1) * D))).toEqual(new Array(D).fill(0));
      }
    });
  }

  it('sums each row in increasing position: the bits of a sequential f32 sum in that order', async () => {
    // Values whose f32 sum depends on the order: 1, then many 2^-24 (each lost against 1 alone), then −1.
    const shape: TokenEmbeddingShape = { replicas: 1, batch: 4, T: 8, dModel: 1, vocab: 2 };
    const tokens = new Uint32Array(4 * 9); // every position holds token 0
    const dx = Float32Array.from({ length: 32 }, (_, p) => (p === 0 ? 1 : p === 31 ? -1 : 2 ** -24));
    const got = await gpu().call<{ dEmbed: Float32Array[] }>(PROBE, 'runTokenEmbedding', { shape, tokens, embed: new Float32Array(2), dx, dEmbed0: new Float32Array(2).fill(NaN), runs: 1 });
    let sequential = 0;
    for (const v of dx) sequential = Math.fround(sequential + v);
    expect(sequential).toBe(0); // in position order every 2^-24 is rounded away
    expect(Array.from(got.dEmbed[0])).toEqual([sequential, 0]);
  });
});

describe('tokenEmbedding input checks', () => {
  it('names the field, value and allowed range', async () => {
    const noGpu = {} as never;
    const ok = { replicas: 2, batch: 2, T: 3, dModel: 4, vocab: 5 };
    await expect(tokenEmbedding(noGpu, { ...ok, embedStride: 19 })).rejects.toThrow('tokenEmbedding: embedStride = 19; it must be an integer >= vocab·dModel (20)');
    await expect(tokenEmbedding(noGpu, { ...ok, tokenStride: 2 })).rejects.toThrow('tokenEmbedding: tokenStride = 2; it must be an integer >= T (3)');
    await expect(tokenEmbedding(noGpu, { ...ok, vocab: 0 })).rejects.toThrow('tokenEmbedding: vocab = 0; it must be a positive integer');
    await expect(tokenEmbedding(noGpu, { ...ok, backwardWgCols: 64, backwardWgRows: 8 })).rejects.toThrow(/allowed at most 256/);
  });
});
