// The Syn-Medium grid is the `scansnap-medium` preset's sweep: its packs (one trainer per numQuery, replicas in
// (etaZ, etaYRatio, seed) order), and a toy-sized run through the real binary: one row per cell with the mean and
// spread over seeds, the per-K tables and the figure with one panel per K and one line per etaZ.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, runCli, tempDir } from '../cli/spawn';
import { etaYOf, type ScanSnapConfig } from '../../src/models/scansnap/config';
import { gridTable, SYN_MEDIUM } from '../../src/models/scansnap/presets';

const dir = tempDir('scansnap-grid');

describe('scansnap-medium sweep', () => {
  it('plans one pack of 160 replicas per numQuery, seeds in order', async () => {
    const r = await runCli(['sweep', 'scansnap-medium', '--plan']);
    expect(r.code, describeRun(['sweep', 'scansnap-medium', '--plan'], r)).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/640 runs \(64 grid point\(s\) × 10 seed\(s\)\) in 4 pack\(s\)/);
    SYN_MEDIUM.numQuery.forEach((q, i) => {
      expect(r.stderr + r.stdout).toContain(`pack-${i} (shard 1/1): 160 replica(s), seeds ${160 * i}..${160 * i + 159}, 100 steps, numQuery=${q} etaZ∈{0.5,1,2,3} per replica etaYRatio∈{1,2,5,10} per replica\n`);
    });
  });

  it('etaY of a replica is etaYRatio · etaZ where the ratio is given, else etaY', () => {
    const c = { etaY: [7, 7, 7], etaZ: [0.5, 2, 3], etaYRatio: [10, 0, 2] } as unknown as ScanSnapConfig;
    expect([0, 1, 2].map((r) => etaYOf(c, r))).toEqual([5, 7, 6]);
  });

  it('a toy grid (2 numQuery × 2 etaZ × 2 ratios × 2 seeds) through the binary: table, per-K tables, figure', async () => {
    const out = join(dir, 'toy');
    const args = ['sweep', 'scansnap-medium', '--grid', 'numQuery=[1,2]', '--grid', 'etaZ=[0.5,3]', '--grid', 'etaYRatio=[1,10]', '--seeds', '2',
      '--steps', '4', '--set', 'batch=16', '--set', 'L=24', '--runtime', 'node', '--out', out];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(0);
    const csv = readFileSync(join(out, 'tables', 'grid.csv'), 'utf8').trim().split('\n');
    const columns = csv[0].split(',');
    const rows = csv.slice(1).map((line) => line.split(',').map(Number));
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
    expect(existsSync(join(out, 'tables', 'entropyK2.csv')) && existsSync(join(out, 'tables', 'entropyK4.csv'))).toBe(true);
    const svg = readFileSync(join(out, 'figures', 'entropy.svg'), 'utf8');
    expect(svg.match(/K = \d+/g)).toEqual(['K = 2', 'K = 4']);
    expect(svg).toContain('etaZ = 0.5');
    expect(svg).toContain('etaZ = 3');
    // the grid table is the cell means of the per-run rows the sweep wrote
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: Record<string, unknown>[] };
    expect(gridTable(results.rows).rows.map((row) => row.map((v) => Number(v.toPrecision(12))))).toEqual(rows.map((row) => row.map((v) => Number(v.toPrecision(12)))));
  });
});
