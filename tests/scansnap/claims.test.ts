// Scan & Snap at small scale against the paper's claims (Tian et al. 2023, SPEC §2), each with a threshold:
// the Syn-Small loss log, discriminative bias (distinct tokens gain attention, common ones lose it), frequency
// bias (rarer distinct tokens end with less attention), scan then snap (entropy falls, then flattens), and a
// larger etaZ ending with a lower entropy.
import { beforeAll, describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { scansnapPresets } from '../../src/models/scansnap/presets';
import { tokenLayout } from '../../src/models/scansnap/data';
import type { MetricRecord, ResultTable } from '../../src/engine/types';
import type { ScanSnapConfig } from '../../src/models/scansnap/config';

const PROBE = '/tests/probes/scansnap.ts';
const small = scansnapPresets.find((p) => p.name === 'scansnap-small')!;
const layout = tokenLayout(small.config as unknown as ScanSnapConfig);

function series(records: MetricRecord[], replica: number, name: string): number[] {
  return records.filter((r) => r.replica === replica).sort((a, b) => a.step - b.step).map((r) => r[name]);
}

/** Spearman rank correlation (no ties in these inputs). */
function rankCorrelation(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i]).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  const d2 = ra.reduce((s, x, i) => s + (x - rb[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('scansnap-small (K = 2, M = 34, zero init, etaZ = 1, etaY = 1 and 10)', () => {
  const gpu = useGpu();
  let records: MetricRecord[] = [];
  let tables: Record<string, ResultTable> = {};
  beforeAll(async () => {
    ({ records, tables } = await gpu().call<{ records: MetricRecord[]; tables: Record<string, ResultTable> }>(PROBE, 'runPreset', { name: 'scansnap-small' }));
    for (const r of [0, 1]) {
      const loss = series(records, r, 'loss');
      console.log(`[scansnap-small] replica ${r}: loss at paper steps 0, 4, 98 = ${[loss[0], loss[4], loss[98]].map((x) => x.toExponential(3)).join(', ')}; ` +
        `distinct mass ${series(records, r, 'distinctMass')[99].toFixed(3)}; entropy ${series(records, r, 'entropy').filter((_, i) => i % 20 === 0 || i === 99).map((x) => x.toFixed(3)).join(' ')}`);
    }
  });

  it('starts at loss ln 34 = 3.526 and falls below 0.01 within 100 steps', () => {
    expect(layout.M).toBe(34);
    for (const r of [0, 1]) {
      const loss = series(records, r, 'loss');
      expect(loss.length).toBe(100);
      // The record of step s holds the loss of the batch of step s − 1 (before its update): paper step s − 1.
      expect(Math.abs(loss[0] - Math.log(34))).toBeLessThan(1e-5);
      expect(Math.min(...loss)).toBeLessThan(0.01);
    }
    // The paper's log (etaY = etaZ = 1): about 0.73 at step 4 and about 2e-5 at step 98.
    const paper = series(records, 0, 'loss');
    expect(paper[4]).toBeGreaterThan(0.73 / 2);
    expect(paper[4]).toBeLessThan(0.73 * 2);
    expect(paper[98]).toBeGreaterThan(2e-5 / 10);
    expect(paper[98]).toBeLessThan(2e-5 * 10);
  });

  it('distinct tokens gain attention and common tokens lose it', () => {
    const initialDistinct = 5.5 / 15.5; // Σ of P(l|n) over distinct tokens with Z = 0
    for (const r of [0, 1]) {
      const distinct = series(records, r, 'distinctMass');
      expect(Math.abs(distinct[0] - initialDistinct)).toBeLessThan(0.02);
      expect(distinct[99]).toBeGreaterThan(initialDistinct + 0.05);
      const common = layout.allowed(0).slice(0, 10).map((id) => series(records, r, `c.n0.t${id}`));
      for (const c of common) expect(c[99]).toBeLessThan(c[0]);
    }
  });

  it("among a next token's distinct tokens, the rarer end with less attention (and less Z)", () => {
    const distinct = layout.allowed(0).slice(10);
    for (const r of [0, 1]) {
      const finalC = distinct.map((id) => series(records, r, `c.n0.t${id}`)[99]);
      const finalZ = distinct.map((id) => series(records, r, `z.n0.t${id}`)[99]);
      const weights = distinct.map((_, j) => j); // rarest first
      expect(rankCorrelation(finalC, weights)).toBeGreaterThan(0.9);
      expect(rankCorrelation(finalZ, weights)).toBeGreaterThan(0.8);
      // Z itself favours frequent tokens, so attention is more skewed than P(l|n) alone (P ratio 10).
      expect(finalC[9] / finalC[0]).toBeGreaterThan(10);
    }
  });

  it("the preset's analysis tables agree with its last metrics records", () => {
    const final = tables.final;
    expect(final.columns).toEqual(['replica', 'etaY', 'etaZ', 'loss', 'entropy', 'distinctMass']);
    for (const r of [0, 1]) {
      const last = records.find((x) => x.step === 100 && x.replica === r)!;
      expect(final.rows[r].slice(0, 3)).toEqual([r, r === 0 ? 1 : 10, 1]);
      expect(final.rows[r][3]).toBe(last.loss);
      expect(final.rows[r][4]).toBeCloseTo(last.entropy, 9);
    }
    const attention = tables.attentionNext0;
    expect(attention.rows.length).toBe(20);
    for (const row of attention.rows) expect(row[3]).toBeCloseTo(series(records, 0, `c.n0.t${row[0]}`)[99], 9);
    // small.figures name metrics that the records carry
    for (const figure of small.figures.filter((f) => f.source === 'metrics')) for (const y of figure.y) expect(records[0][y]).toBeTypeOf('number');
  });

  it('the distinct-token entropy falls, then flattens', () => {
    for (const r of [0, 1]) {
      const e = series(records, r, 'entropy');
      expect(Math.abs(e[0] - 2.151)).toBeLessThan(0.01);
      const early = e[0] - e[49];
      const late = e[79] - e[99];
      expect(early).toBeGreaterThan(0.04);
      expect(Math.abs(late)).toBeLessThan(0.05 * early);
    }
  });
});

describe('scansnap: a larger etaZ ends with a lower distinct-token entropy', () => {
  const gpu = useGpu();
  it('etaZ = 0.5 vs 3 (etaY = etaZ), 3 seeds each, uniform init, 60 steps', async () => {
    const config = {
      numQuery: 2, nextPerQuery: 2, L: 64, batch: 64, init: 'uniform', replicas: 6, seed: 100,
      etaZ: [0.5, 0.5, 0.5, 3, 3, 3], etaY: [0.5, 0.5, 0.5, 3, 3, 3], metricsEvery: 60, trackNext: 0,
    };
    const { records } = await gpu().call<{ records: MetricRecord[] }>(PROBE, 'train', { config, steps: 60 });
    const final = records.filter((r) => r.step === 60);
    const mean = (rs: MetricRecord[]) => rs.reduce((a, r) => a + r.entropy, 0) / rs.length;
    const low = mean(final.filter((r) => r.replica < 3));
    const high = mean(final.filter((r) => r.replica >= 3));
    console.log(`[scansnap] final entropy etaZ 0.5: ${low.toFixed(3)}, etaZ 3: ${high.toFixed(3)}`);
    expect(high).toBeLessThan(low - 0.1);
    expect(Math.max(...final.filter((r) => r.replica >= 3).map((r) => r.entropy))).toBeLessThan(Math.min(...final.filter((r) => r.replica < 3).map((r) => r.entropy)));
  });
});
