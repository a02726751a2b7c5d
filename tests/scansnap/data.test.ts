// Scan & Snap data (SPEC §2): the token layout of the paper's code, P(l|n), and sampled sequences.
import { describe, expect, it } from 'vitest';
import { SequenceSampler, tokenLayout } from '../../src/models/scansnap/data';
import { Random } from '../../src/util/random';

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

  it('sequences: allowed tokens only, query ψ(n), token frequencies follow P(l|n), pure function of (seed, replica, step)', () => {
    const settings = { numCommon: 10, numQuery: 3, nextPerQuery: 2, distinctPerNext: 10, L: 64 };
    const sampler = new SequenceSampler(settings);
    const l = sampler.layout;
    const batch = 400;
    const ids = sampler.step(new Uint32Array(2 * batch * 65), 2, batch, 7, 3);
    const counts = new Map<number, number[]>();
    for (let s = 0; s < 2 * batch; s++) {
      const next = ids[s * 65 + 64] - l.nextBase;
      expect(next).toBeGreaterThanOrEqual(0);
      expect(next).toBeLessThan(l.K);
      expect(ids[s * 65 + 63]).toBe(l.queryOf(next));
      const allowed = l.allowed(next);
      const c = counts.get(next) ?? new Array<number>(allowed.length).fill(0);
      for (let t = 0; t < 63; t++) {
        const i = allowed.indexOf(ids[s * 65 + t]);
        expect(i).toBeGreaterThanOrEqual(0);
        c[i]++;
      }
      counts.set(next, c);
    }
    const p = l.probabilities(0);
    for (const c of counts.values()) {
      const total = c.reduce((a, b) => a + b, 0);
      c.forEach((x, i) => expect(Math.abs(x / total - p[i])).toBeLessThan(5 * Math.sqrt(p[i] / total) + 1e-3));
    }
    const again = sampler.step(new Uint32Array(2 * batch * 65), 2, batch, 7, 3);
    expect(again).toEqual(ids);
    const replica1Alone = new Uint32Array(batch * 65);
    sampler.fill(replica1Alone, 0, batch, 7, 1, 3);
    expect(replica1Alone).toEqual(ids.subarray(batch * 65));
    // The documented stream: Random(seed + replica, 1 + step); n = int(K); each token the plain inverse CDF of uniform().
    const rng = new Random(7 + 1, 1 + 3);
    const cum = Array.from(p, (_, i) => p.slice(0, i + 1).reduce((a, b) => a + b, 0));
    for (let s = 0; s < 20; s++) {
      const n = rng.int(l.K);
      expect(ids[(batch + s) * 65 + 64]).toBe(l.nextBase + n);
      for (let t = 0; t < 63; t++) {
        const u = rng.uniform();
        const i = cum.findIndex((c, k) => u < c || k === cum.length - 1);
        expect(ids[(batch + s) * 65 + t]).toBe(l.allowed(n)[i]);
      }
    }
    const other = sampler.step(new Uint32Array(2 * batch * 65), 2, batch, 7, 4);
    expect(other).not.toEqual(ids);
  });
});
