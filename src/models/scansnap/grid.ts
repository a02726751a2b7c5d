// The Syn-Medium grid of Tian et al. as one job: for each numQuery (one shape group), every (etaZ, etaY/etaZ,
// seed) run is a replica of one trainer (4 × 4 × 10 = 160 replicas), and the groups run one after another.
// Replica r of a group has seed baseSeed + r, etaZ = etaZs[⌊r / (ratios·seeds)⌋], etaY = etaZ · ratio.
import type { GpuContext } from '../../runtime/context';
import type { MetricRecord, ResultTable } from '../../experiments/types';
import { report } from '../../harness/report';
import { adapterLine } from '../../runtime/device';
import { parseScanSnapConfig, scansnapModel, type ScanSnapConfig } from './index';
import { tokenLayout } from './data';

export interface GridOptions {
  numQueries: number[];
  nextPerQuery: number;
  etaZs: number[];
  ratios: number[];
  seeds: number;
  steps: number;
  batch: number;
  L: number;
  momentum: number;
  init: 'zero' | 'uniform';
  baseSeed: number;
}

export const SYN_MEDIUM: GridOptions = {
  numQueries: [1, 3, 5, 10],
  nextPerQuery: 2,
  etaZs: [0.5, 1, 2, 3],
  ratios: [1, 2, 5, 10],
  seeds: 10,
  steps: 100,
  batch: 128,
  L: 128,
  momentum: 0.9,
  init: 'uniform',
  baseSeed: 0,
};

/** Columns of the grid table; one row per (numQuery, etaZ, ratio) cell. */
export const GRID_COLUMNS = ['numQuery', 'K', 'M', 'etaZ', 'ratio', 'etaY', 'entropyMean', 'entropyStd', 'seeds', 'finalLossMean'];

/** The config of one shape group, its runs packed into replicas. */
export function groupConfig(o: GridOptions, numQuery: number, baseConfig: Partial<ScanSnapConfig> = {}): ScanSnapConfig {
  const etaY: number[] = [];
  const etaZ: number[] = [];
  for (const z of o.etaZs) for (const ratio of o.ratios) for (let s = 0; s < o.seeds; s++) {
    etaZ.push(z);
    etaY.push(z * ratio);
  }
  return parseScanSnapConfig({
    ...baseConfig,
    numQuery, nextPerQuery: o.nextPerQuery, batch: o.batch, L: o.L, momentum: o.momentum, init: o.init,
    steps: o.steps, seed: o.baseSeed, replicas: etaY.length, etaY, etaZ, metricsEvery: 0, trackNext: 0,
  });
}

function meanStd(values: number[]): [number, number] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return [mean, Math.sqrt(variance)];
}

/** Table rows of one shape group from its replicas' final records (mean and sample std over seeds per cell). */
export function groupRows(o: GridOptions, numQuery: number, final: MetricRecord[]): number[][] {
  const layout = tokenLayout(groupConfig(o, numQuery));
  const rows: number[][] = [];
  o.etaZs.forEach((etaZ, zi) => o.ratios.forEach((ratio, qi) => {
    const first = (zi * o.ratios.length + qi) * o.seeds;
    const cell = final.filter((r) => r.replica >= first && r.replica < first + o.seeds);
    const [mean, std] = meanStd(cell.map((r) => r.entropy));
    const [lossMean] = meanStd(cell.map((r) => r.loss));
    rows.push([numQuery, layout.K, layout.M, etaZ, ratio, etaZ * ratio, mean, std, cell.length, lossMean]);
  }));
  return rows;
}

/** For the presets' figures: per K, entropy against the ratio with one column per etaZ. */
export function entropyByRatioTables(table: ResultTable): Record<string, ResultTable> {
  const c = (name: string) => table.columns.indexOf(name);
  const out: Record<string, ResultTable> = {};
  for (const K of [...new Set(table.rows.map((r) => r[c('K')]))]) {
    const rows = table.rows.filter((r) => r[c('K')] === K);
    const etaZs = [...new Set(rows.map((r) => r[c('etaZ')]))];
    const ratios = [...new Set(rows.map((r) => r[c('ratio')]))];
    out[`entropyK${K}`] = {
      columns: ['ratio', ...etaZs.map((z) => `etaZ=${z}`)],
      rows: ratios.map((q) => [q, ...etaZs.map((z) => rows.find((r) => r[c('etaZ')] === z && r[c('ratio')] === q)![c('entropyMean')])]),
    };
  }
  return out;
}

export interface GridResult {
  table: ResultTable;
  /** Wall-clock seconds per shape group (trainer creation included) and in total. */
  seconds: { numQuery: number; replicas: number; seconds: number }[];
  totalSeconds: number;
  adapter: string;
}

/**
 * Trains the whole grid, one shape group after another, and returns per cell the mean and sample standard
 * deviation over seeds of the final distinct-token entropy (and the mean final loss). Progress goes through
 * report() as { kind: 'scansnap-grid', numQuery, step }.
 */
export async function runScanSnapGrid(ctx: GpuContext, options: Partial<GridOptions> = {}): Promise<GridResult> {
  const o = { ...SYN_MEDIUM, ...options };
  const rows: number[][] = [];
  const seconds: GridResult['seconds'] = [];
  const t0 = performance.now();
  for (const numQuery of o.numQueries) {
    const tGroup = performance.now();
    const config = groupConfig(o, numQuery);
    const trainer = await scansnapModel.createTrainer(ctx, config);
    const records = await trainer.train(o.steps, {
      metricsEvery: 0,
      onProgress: (step) => { if (step % 10 === 0) report({ kind: 'scansnap-grid', numQuery, step }); },
    });
    trainer.destroy();
    rows.push(...groupRows(o, numQuery, records.filter((r) => r.step === o.steps)));
    seconds.push({ numQuery, replicas: config.replicas, seconds: (performance.now() - tGroup) / 1000 });
  }
  return { table: { columns: GRID_COLUMNS, rows }, seconds, totalSeconds: (performance.now() - t0) / 1000, adapter: adapterLine(ctx.adapter) };
}
