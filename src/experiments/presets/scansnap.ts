// Scan & Snap presets (Tian et al. 2023, SPEC §2): Syn-Small (loss curves and attention per token over time for
// etaY = etaZ = 1 versus etaY = 10, etaZ = 1, zero init) and the Syn-Medium grid (640 runs as one job).
import type { FigureSpec, MetricRecord, Preset, ResultTable, Trainer } from '../types';
import type { GpuContext } from '../../runtime/context';
import type { ScanSnapConfig } from '../../models/scansnap/config';
import { tokenLayout } from '../../models/scansnap/data';
import { entropyByRatioTables, GRID_COLUMNS, groupConfig, groupRows, runScanSnapGrid, SYN_MEDIUM } from '../../models/scansnap/grid';

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
  { file: 'loss.svg', title: 'Syn-Small: training loss (replica 0: etaY = 1, replica 1: etaY = 10; etaZ = 1)', source: 'metrics', x: 'step', y: ['loss'], logY: true },
  { file: 'entropy.svg', title: 'Syn-Small: distinct-token entropy of c_n (mean over n)', source: 'metrics', x: 'step', y: ['entropy'], yLabel: 'nats' },
  { file: 'attention-split.svg', title: 'Syn-Small: attention mass on distinct vs common tokens', source: 'metrics', x: 'step', y: ['distinctMass', 'commonMass'] },
  {
    file: 'attention-next0.svg', title: 'Syn-Small: c_{l|n=0} per distinct token (rarest first) and one common token', source: 'metrics', x: 'step',
    y: [...distinctOfNext0.map((id) => `c.n0.t${id}`), `c.n0.t${commonTokens[0]}`],
  },
  { file: 'z-next0.svg', title: 'Syn-Small: Z[ψ(0)][l] trajectories', source: 'metrics', x: 'step', y: [...distinctOfNext0.map((id) => `z.n0.t${id}`), `z.n0.t${commonTokens[0]}`] },
];

const medium = groupConfig(SYN_MEDIUM, SYN_MEDIUM.numQueries[0]);

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
      'Syn-Medium grid: numQuery ∈ {1,3,5,10} × etaZ ∈ {0.5,1,2,3} × etaY/etaZ ∈ {1,2,5,10} × 10 seeds, 100 steps, batch 128, L 128, ' +
      'uniform init: each numQuery is one trainer of 160 replicas (the preset trains numQuery = 1; analyze trains the other three)',
    config: medium,
    steps: SYN_MEDIUM.steps,
    metricsEvery: 10,
    async analyze(trainer: Trainer, ctx: GpuContext, config: ScanSnapConfig) {
      const final = await trainer.evaluate();
      const rows = groupRows(SYN_MEDIUM, config.numQuery, final);
      const rest = await runScanSnapGrid(ctx, { numQueries: SYN_MEDIUM.numQueries.filter((q) => q !== config.numQuery) });
      const grid: ResultTable = { columns: GRID_COLUMNS, rows: [...rows, ...rest.table.rows] };
      return { grid, ...entropyByRatioTables(grid) };
    },
    figures: SYN_MEDIUM.numQueries.map((q) => {
      const K = q * SYN_MEDIUM.nextPerQuery;
      return {
        file: `entropy-K${K}.svg`, title: `Syn-Medium K = ${K}: final distinct entropy vs etaY/etaZ (mean over 10 seeds)`,
        source: `entropyK${K}`, x: 'ratio', y: SYN_MEDIUM.etaZs.map((z) => `etaZ=${z}`), yLabel: 'nats',
      };
    }),
  },
];
