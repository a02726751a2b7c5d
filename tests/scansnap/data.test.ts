// Scan & Snap data (SPEC §2): the token layout of the paper's code, P(l|n), sampled sequences (their documented
// counter-based draws, src/reference/scansnapBatchGenerate.ts, and their distribution), and the GPU generator
// against that reference and its CPU twin SequenceSampler.
import { describe, expect, it } from 'vitest';
import { replicaSeedWords, SequenceSampler, tokenLayout, tokenThresholds, type ScanSnapDataSettings } from '../../src/models/scansnap/data';
import { scansnapBatchGenerateReference } from '../../src/reference/scansnapBatchGenerate';
import { scansnapBatchGenerate } from '../../src/kernels/scansnapBatchGenerate';
import { useGpu } from '../gpu';

/** scansnapBatchGenerate's reference output at `step`: ids [R][batch][L + 1]. */
function referenceSequences(settings: ScanSnapDataSettings, replicas: number, batch: number, seed: number, step: number): Uint32Array {
  const layout = tokenLayout(settings);
  const shape = { replicas, batch, L: settings.L, nextPerQuery: settings.nextPerQuery, layout };
  return scansnapBatchGenerateReference(shape, step, replicaSeedWords(seed, replicas), tokenThresholds(layout));
}

describe('scansnap data', () => {
  it('token layout: common, distinct per next token, queries, next tokens (Syn-Small M = 34)', () => {
    const l = tokenLayout({ numCommon: 10, numQuery: 2, nextPerQuery: 1, distinctPerNext: 10 });
    expect([l.M, l.K, l.distinctBase, l.queryBase, l.nextBase]).toEqual([34, 2, 10, 30, 32]);
    expect(l.allowed(1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    const p = l.probabilities(0);
    expect(p[0]).toBeCloseTo(1 / 15.5, 12);
    expect(p[10]).toBeCloseTo(0.1 / 15.5, 12);
    expect(p[19]).toBeCloseTo(1 / 15.5, 12);
    const medium = tokenLayout({ numCommon: 10, numQuery: 3, nextPerQuery: 2, distinctPerNext: 10 });
    expect([medium.queryOf(0), medium.queryOf(1), medium.queryOf(2), medium.queryOf(5)]).toEqual([70, 70, 71, 72]);
  });

  it('token thresholds: the 24-bit inverse CDF of P(l|n), each step within 2^-24 of its probability', () => {
    const l = tokenLayout({ numCommon: 10, numQuery: 2, nextPerQuery: 1, distinctPerNext: 10 });
    const thresholds = tokenThresholds(l);
    const p = l.probabilities(0);
    expect(thresholds.length).toBe(19);
    const edges = [0, ...thresholds, 2 ** 24];
    p.forEach((v, j) => expect(Math.abs((edges[j + 1] - edges[j]) / 2 ** 24 - v)).toBeLessThanOrEqual(2 ** -24));
    expect(Array.from(tokenThresholds(tokenLayout({ numCommon: 0, numQuery: 1, nextPerQuery: 1, distinctPerNext: 1 })))).toEqual([0]);
  });

  it('sequences: allowed tokens only, query ψ(n), the documented counter-based draws, pure function of (seed, replica, step)', () => {
    const settings = { numCommon: 10, numQuery: 3, nextPerQuery: 2, distinctPerNext: 10, L: 64 };
    const sampler = new SequenceSampler(settings);
    const l = sampler.layout;
    const batch = 50;
    const ids = sampler.step(new Uint32Array(2 * batch * 65), 2, batch, 7, 3);
    for (let s = 0; s < 2 * batch; s++) {
      const next = ids[s * 65 + 64] - l.nextBase;
      expect(next).toBeGreaterThanOrEqual(0);
      expect(next).toBeLessThan(l.K);
      expect(ids[s * 65 + 63]).toBe(l.queryOf(next));
      const allowed = l.allowed(next);
      for (let t = 0; t < 63; t++) expect(allowed).toContain(ids[s * 65 + t]);
    }
    expect(sampler.step(new Uint32Array(2 * batch * 65), 2, batch, 7, 3)).toEqual(ids);
    const replica1Alone = new Uint32Array(batch * 65);
    sampler.fill(replica1Alone, 0, batch, 7, 1, 3);
    expect(replica1Alone).toEqual(ids.subarray(batch * 65));
    // The documented scheme (key = h(h(h(seed + r) + step) + b), draw i = h(key + (i + 1)·φ), n = top 16 bits × K
    // >> 16, token t = allowed[#thresholds <= draw(t + 1) >> 8]) as its reference writes it out.
    expect(ids).toEqual(referenceSequences(settings, 2, batch, 7, 3));
    expect(sampler.step(new Uint32Array(2 * batch * 65), 2, batch, 7, 4)).not.toEqual(ids);
  });

  it('sampled frequencies match P(l|n) for every n and n is uniform (chi-square below the 5-sigma quantile)', () => {
    const settings = { numCommon: 10, numQuery: 3, nextPerQuery: 2, distinctPerNext: 10, L: 128 };
    const sampler = new SequenceSampler(settings);
    const l = sampler.layout;
    const batch = 3000;
    const ids = sampler.step(new Uint32Array(batch * 129), 1, batch, 12, 5);
    const nextCounts = new Array<number>(l.K).fill(0);
    const tokenCounts = Array.from({ length: l.K }, () => new Array<number>(20).fill(0));
    for (let s = 0; s < batch; s++) {
      const n = ids[s * 129 + 128] - l.nextBase;
      nextCounts[n]++;
      const allowed = l.allowed(n);
      for (let t = 0; t < 127; t++) tokenCounts[n][allowed.indexOf(ids[s * 129 + t])]++;
    }
    // Wilson–Hilferty: the chi-square quantile of df degrees of freedom at a normal z of 5 (p ≈ 3e-7).
    const quantile = (df: number) => df * (1 - 2 / (9 * df) + 5 * Math.sqrt(2 / (9 * df))) ** 3;
    const chiSquare = (counts: number[], p: ArrayLike<number>) => {
      const total = counts.reduce((a, b) => a + b, 0);
      return counts.reduce((a, c, i) => a + (c - total * p[i]) ** 2 / (total * p[i]), 0);
    };
    const p = l.probabilities(0);
    expect(chiSquare(nextCounts, new Array(l.K).fill(1 / l.K))).toBeLessThan(quantile(l.K - 1));
    for (const counts of tokenCounts) {
      expect(chiSquare(counts, p)).toBeLessThan(quantile(19));
      // The test can fail: the same counts are far from uniform over the allowed tokens.
      expect(chiSquare(counts, new Array(20).fill(1 / 20))).toBeGreaterThan(10 * quantile(19));
    }
  });
});

describe('scansnapBatchGenerate (GPU) equals its reference and SequenceSampler (CPU) bit for bit', () => {
  const gpu = useGpu();
  it('threshold values that do not match the layout are refused before any GPU work, naming both counts', async () => {
    const layout = tokenLayout({ numCommon: 10, numQuery: 1, nextPerQuery: 2, distinctPerNext: 10 });
    const shape = { replicas: 1, batch: 2, L: 8, nextPerQuery: 2, layout, thresholdValues: [1, 2, 3] };
    await expect(scansnapBatchGenerate({} as never, shape)).rejects.toThrow('scansnapBatchGenerate: thresholdValues has 3 entries; expected 19 (allowed tokens − 1, at least 1)');
  });
  const cases = [
    { settings: { numCommon: 3, numQuery: 2, nextPerQuery: 2, distinctPerNext: 4, L: 9 }, replicas: 3, batch: 70, seed: 5 },
    { settings: { numCommon: 0, numQuery: 3, nextPerQuery: 1, distinctPerNext: 1, L: 4 }, replicas: 2, batch: 5, seed: 0 },
    // The paper's 20 allowed tokens: 19 thresholds, compiled into the pipeline (up to 32 are).
    { settings: { numCommon: 10, numQuery: 1, nextPerQuery: 2, distinctPerNext: 10, L: 40 }, replicas: 2, batch: 9, seed: 3 },
    // 33 and 40 allowed tokens: 32 thresholds (the most compiled in), and 39, searched in the buffer in six halvings.
    { settings: { numCommon: 3, numQuery: 1, nextPerQuery: 2, distinctPerNext: 30, L: 60 }, replicas: 1, batch: 6, seed: 4 },
    { settings: { numCommon: 10, numQuery: 2, nextPerQuery: 1, distinctPerNext: 30, L: 60 }, replicas: 2, batch: 7, seed: 1 },
  ];
  // A thread per token (GPUs' default) and a thread per sequence (CPU adapters'), 4 threads a workgroup so that
  // the last is partial.
  const variants = [{ threadPerSequence: false, wg: 64 }, { threadPerSequence: true, wg: 4 }];
  for (const [c, variant] of cases.flatMap((c) => variants.map((v) => [c, v] as const))) {
    it(`numCommon ${c.settings.numCommon}, distinctPerNext ${c.settings.distinctPerNext}, ${c.replicas} replicas × ${c.batch}, ${variant.threadPerSequence ? 'a thread per sequence' : 'a thread per token'}: steps 7, 8, 9 from the GPU step counter`, async () => {
      const got = await gpu().call<Uint32Array[]>('/tests/probes/scansnap.ts', 'generateSequences', { ...c, firstStep: 7, steps: 3, variant });
      const sampler = new SequenceSampler(c.settings);
      got.forEach((ids, s) => {
        const want = referenceSequences(c.settings, c.replicas, c.batch, c.seed, 7 + s);
        expect(ids).toEqual(want);
        expect(sampler.step(new Uint32Array(c.replicas * c.batch * (c.settings.L + 1)), c.replicas, c.batch, c.seed, 7 + s)).toEqual(want);
      });
      expect(got[1]).not.toEqual(got[0]);
    });
  }
  // generateCounts (slot lists): the counts of the same draws, the query and next ids, and no context id written.
  for (const c of cases.filter((c) => c.settings.numCommon + c.settings.distinctPerNext <= 32)) {
    it(`numCommon ${c.settings.numCommon}, distinctPerNext ${c.settings.distinctPerNext}, ${c.replicas} replicas × ${c.batch}: generateCounts counts the slots of the same draws`, async () => {
      const got = await gpu().call<{ tokens: Uint32Array; slotCounts: Uint32Array }>('/tests/probes/scansnap.ts', 'generateSlotCounts', { ...c, step: 4 });
      const want = referenceSequences(c.settings, c.replicas, c.batch, c.seed, 4);
      const { L, numCommon, distinctPerNext } = c.settings;
      const { distinctBase, nextBase } = tokenLayout(c.settings);
      for (let seq = 0; seq < c.replicas * c.batch; seq++) {
        const ids = want.subarray(seq * (L + 1), (seq + 1) * (L + 1));
        const n = ids[L] - nextBase;
        const counts = new Array(numCommon + distinctPerNext).fill(0);
        for (let t = 0; t < L - 1; t++) counts[ids[t] < numCommon ? ids[t] : numCommon + ids[t] - distinctBase - n * distinctPerNext]++;
        const words = Array.from({ length: 8 }, (_, w) => counts.slice(4 * w, 4 * w + 4).reduce((a, v, i) => a + v * 2 ** (8 * i), 0));
        expect(Array.from(got.slotCounts.subarray(8 * seq, 8 * seq + 8)), `sequence ${seq}: slot counts`).toEqual(words);
        expect(Array.from(got.tokens.subarray(seq * (L + 1) + L - 1, (seq + 1) * (L + 1))), `sequence ${seq}: query, next`).toEqual([ids[L - 1], ids[L]]);
        expect(got.tokens.subarray(seq * (L + 1), seq * (L + 1) + L - 1).every((v) => v === 0x7fc00000), `sequence ${seq}: context ids untouched`).toBe(true);
      }
    });
  }
});
