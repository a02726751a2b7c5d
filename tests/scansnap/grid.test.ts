// The Syn-Medium grid job at toy size: runs packed into replicas (etaY = etaZ · ratio, seed + r), one row per
// cell with the mean and spread over seeds, and the figure with one panel per K and one line per etaZ.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { groupConfig, SYN_MEDIUM, type GridResult } from '../../src/models/scansnap/grid';
import { gridFigure } from '../../src/models/scansnap/figures';

const toy = { numQueries: [1, 2], etaZs: [0.5, 3], ratios: [1, 10], seeds: 2, steps: 4, batch: 16, L: 24 };

describe('scansnap grid job', () => {
  const gpu = useGpu();

  it('packs a shape group into replicas with their own learning rates', () => {
    const c = groupConfig(SYN_MEDIUM, 10);
    expect(c.replicas).toBe(160);
    expect((c.etaY as number[]).slice(0, 12)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1]);
    expect((c.etaZ as number[])[159]).toBe(3);
    expect((c.etaY as number[])[159]).toBe(30);
  });

  it('toy grid: 2 groups × 2 etaZ × 2 ratios, 2 seeds each, as one job', async () => {
    const result = await gpu().call<GridResult>('/tests/probes/scansnap.ts', 'grid', { options: toy });
    const { columns, rows } = result.table;
    expect(rows.length).toBe(8);
    const c = (name: string) => columns.indexOf(name);
    for (const row of rows) {
      expect(row[c('seeds')]).toBe(2);
      expect(row[c('etaY')]).toBeCloseTo(row[c('etaZ')] * row[c('ratio')]);
      expect(row[c('entropyMean')]).toBeGreaterThan(1);
      expect(row[c('entropyMean')]).toBeLessThan(Math.log(10) + 1e-9);
      expect(row[c('entropyStd')]).toBeGreaterThan(0); // different seeds give different runs
      expect(row[c('finalLossMean')]).toBeLessThan(Math.log(row[c('M')]));
    }
    expect(result.seconds.map((s) => s.replicas)).toEqual([8, 8]);
    const svg = gridFigure(result.table);
    expect(svg.match(/K = \d+/g)).toEqual(['K = 2', 'K = 4']);
    expect(svg).toContain('etaZ = 0.5');
    expect(svg).toContain('etaZ = 3');
  });
});
