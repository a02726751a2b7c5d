// Scan & Snap presets (Tian et al. 2023, SPEC §2): Syn-Small (loss curves and attention per token over time for
// etaY = etaZ = 1 versus etaY = 10, etaZ = 1, zero init) and the Syn-Medium grid, a sweep (`onelayer sweep
// scansnap-medium`): numQuery × etaZ × etaYRatio × 10 seeds, each numQuery one trainer of 160 replicas.
import type { FigureSpec, MetricRecord, Preset, ResultTable, Trainer } from '../../engine/types';
import type { GpuContext } from '../../runtime/context';
import type { ScanSnapConfig } from './config';
import { tokenLayout } from './data';
import { gridFigure, smallFigure } from './figures';

const small: ScanSnapConfig = {
  numCommon: 10, numQuery: 2, nextPerQuery: 1, distinctPerNext: 10, L: 128, batch: 128,
  etaY: [1, 10], etaZ: 1, momentum: 0.9, init: 'zero', steps: 100, seed: 0, replicas: 2, metricsEvery: 1, trackNext: 2,
};
const smallLayout = tokenLayout(small);
const distinctOfNext0 = smallLayout.allowed(0).slice(small.numCommon);
const commonTokens = smallLayout.allowed(0).slice(0, small.numCommon);

/** Final attention c_{l|0} per allowed token of next token 0, one column per replica, with P(l|0). */
function attentionTable(final: MetricRecord[]): ResultTable {
  const p = smallLayout.probabilities(0);
  return {
    columns: ['token', 'distinct', 'P', ...final.map((r) => `c.replica${r.replica}`)],
    rows: smallLayout.allowed(0).map((id, i) => [id, i >= small.numCommon ? 1 : 0, p[i], ...final.map((r) => r[`c.n0.t${id}`])]),
  };
}

function finalTable(final: MetricRecord[], config: ScanSnapConfig): ResultTable {
  const at = (v: number | number[], r: number) => (Array.isArray(v) ? v[r] : v);
  return {
    columns: ['replica', 'etaY', 'etaZ', 'loss', 'entropy', 'distinctMass'],
    rows: final.map((r) => [r.replica, at(config.etaY, r.replica), at(config.etaZ, r.replica), r.loss ?? NaN, r.entropy, r.distinctMass]),
  };
}

const smallFigures: FigureSpec[] = [
  {
    file: 'syn-small.svg', title: 'Syn-Small: loss and c_{l|0} per distinct token, both replicas', source: 'metrics', x: 'step', y: ['loss'],
    render: (metrics) => (metrics.some((r) => 'c.n0.t' + distinctOfNext0[0] in r) ? smallFigure(metrics, smallLayout, small.etaY as number[]) : null),
  },
  { file: 'loss.svg', title: 'Syn-Small: training loss (replica 0: etaY = 1, replica 1: etaY = 10; etaZ = 1)', source: 'metrics', x: 'step', y: ['loss'], logY: true },
  { file: 'entropy.svg', title: 'Syn-Small: distinct-token entropy of c_n (mean over n)', source: 'metrics', x: 'step', y: ['entropy'], yLabel: 'nats' },
  { file: 'attention-split.svg', title: 'Syn-Small: attention mass on distinct vs common tokens', source: 'metrics', x: 'step', y: ['distinctMass', 'commonMass'] },
  {
    file: 'attention-next0.svg', title: 'Syn-Small: c_{l|n=0} per distinct token (rarest first) and one common token', source: 'metrics', x: 'step',
    y: [...distinctOfNext0.map((id) => `c.n0.t${id}`), `c.n0.t${commonTokens[0]}`],
  },
  { file: 'z-next0.svg', title: 'Syn-Small: Z[ψ(0)][l] trajectories', source: 'metrics', x: 'step', y: [...distinctOfNext0.map((id) => `z.n0.t${id}`), `z.n0.t${commonTokens[0]}`] },
];

/** The Syn-Medium grid of the paper (SPEC §2). */
export const SYN_MEDIUM = {
  numQuery: [1, 3, 5, 10],
  etaZ: [0.5, 1, 2, 3],
  etaYRatio: [1, 2, 5, 10],
  seeds: 10,
};

const mediumBase: Partial<ScanSnapConfig> = {
  numCommon: 10, numQuery: 1, nextPerQuery: 2, distinctPerNext: 10, batch: 128, L: 128, momentum: 0.9, init: 'uniform', steps: 100, seed: 0,
  etaZ: 1, etaYRatio: 1, metricsEvery: 0, trackNext: 0,
};

/** Columns of the Syn-Medium table: one row per (numQuery, etaZ, ratio) cell, mean and sample std over seeds. */
export const GRID_COLUMNS = ['numQuery', 'K', 'M', 'etaZ', 'ratio', 'etaY', 'entropyMean', 'entropyStd', 'seeds', 'finalLossMean'];

function meanStd(values: number[]): [number, number] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return [mean, Math.sqrt(variance)];
}

/** The grid table from a sweep's per-run rows (final evaluation: `entropy`, `loss`). */
export function gridTable(runs: Record<string, unknown>[]): ResultTable {
  const cells = new Map<string, Record<string, unknown>[]>();
  for (const run of runs) {
    const key = JSON.stringify([run.numQuery, run.etaZ, run.etaYRatio]);
    (cells.get(key) ?? cells.set(key, []).get(key)!).push(run);
  }
  const rows = [...cells.values()].map((cell) => {
    const numQuery = cell[0].numQuery as number;
    const etaZ = cell[0].etaZ as number;
    const ratio = cell[0].etaYRatio as number;
    const layout = tokenLayout({ ...mediumBase, numQuery } as ScanSnapConfig);
    const [mean, std] = meanStd(cell.map((r) => r.entropy as number));
    const [lossMean] = meanStd(cell.map((r) => r.loss as number));
    return [numQuery, layout.K, layout.M, etaZ, ratio, etaZ * ratio, mean, std, cell.length, lossMean];
  });
  rows.sort((a, b) => a[0] - b[0] || a[3] - b[3] || a[4] - b[4]);
  return { columns: GRID_COLUMNS, rows };
}

/** Per K, entropy against the ratio with one column per etaZ (the per-K figures). */
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

export const scansnapPresets: Preset<ScanSnapConfig>[] = [
  {
    name: 'scansnap-small',
    model: 'scansnap',
    description: 'Syn-Small (K = 2, M = 34, zero init): etaY = etaZ = 1 (replica 0) vs etaY = 10, etaZ = 1 (replica 1), 100 steps',
    config: small,
    steps: 100,
    metricsEvery: 1,
    async analyze(trainer: Trainer, _ctx: GpuContext, config: ScanSnapConfig) {
      const final = await trainer.evaluate();
      return { final: finalTable(final, config), attentionNext0: attentionTable(final) };
    },
    figures: smallFigures,
  },
  {
    name: 'scansnap-medium',
    model: 'scansnap',
    description:
      'Syn-Medium grid, a sweep (onelayer sweep scansnap-medium): numQuery ∈ {1,3,5,10} × etaZ ∈ {0.5,1,2,3} × etaY/etaZ ∈ {1,2,5,10} × ' +
      '10 seeds, 100 steps, batch 128, L 128, uniform init; each numQuery is one trainer of 160 replicas (train alone runs one cell)',
    config: mediumBase,
    steps: 100,
    metricsEvery: 0,
    figures: [],
    sweep: {
      grid: { numQuery: SYN_MEDIUM.numQuery, etaZ: SYN_MEDIUM.etaZ, etaYRatio: SYN_MEDIUM.etaYRatio },
      seeds: SYN_MEDIUM.seeds,
      maxReplicas: 160,
      // 160 replicas of M × M matrices (M up to 240) make checkpoints of hundreds of MB: the packs train 100
      // steps in seconds to minutes, so none is written (an interrupted pack restarts).
      checkpointEvery: 0,
      summarize: (runs) => {
        const grid = gridTable(runs);
        return { grid, ...entropyByRatioTables(grid) };
      },
      figures: [
        {
          file: 'entropy.svg', title: 'Syn-Medium: final distinct-token entropy', source: 'grid', x: 'ratio', y: ['entropyMean'],
          render: (_metrics, tables) => (tables.grid ? gridFigure(tables.grid) : null),
        },
        ...SYN_MEDIUM.numQuery.map((q): FigureSpec => {
          const K = q * 2;
          return {
            file: `entropy-K${K}.svg`, title: `Syn-Medium K = ${K}: final distinct entropy vs etaY/etaZ (mean over 10 seeds)`,
            source: `entropyK${K}`, x: 'ratio', y: SYN_MEDIUM.etaZ.map((z) => `etaZ=${z}`), yLabel: 'nats',
          };
        }),
      ],
    },
  },
];
