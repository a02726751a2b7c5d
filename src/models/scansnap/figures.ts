// Scan & Snap figures drawn with the shared SVG helper (src/report/svg.ts): the grid's final distinct-token
// entropy against etaY/etaZ, one line per etaZ (band: ± one standard deviation over seeds), one panel per K;
// and the Syn-Small loss and per-token attention curves.
import { panelChart, type ChartSpec } from '../../report/svg';
import type { MetricRecord, ResultTable } from '../../engine/types';
import type { TokenLayout } from './data';

export function gridFigure(table: ResultTable, title = 'Scan & Snap Syn-Medium: final distinct-token entropy'): string {
  const col = (name: string) => table.columns.indexOf(name);
  const [cK, cZ, cR, cMean, cStd] = ['K', 'etaZ', 'ratio', 'entropyMean', 'entropyStd'].map(col);
  const Ks = [...new Set(table.rows.map((r) => r[cK]))].sort((a, b) => a - b);
  const panels: ChartSpec[] = Ks.map((K) => {
    const rows = table.rows.filter((r) => r[cK] === K);
    const etaZs = [...new Set(rows.map((r) => r[cZ]))].sort((a, b) => a - b);
    return {
      title: `K = ${K}`,
      xLabel: 'etaY / etaZ',
      yLabel: 'distinct entropy (nats)',
      logX: true,
      series: etaZs.map((z) => {
        const line = rows.filter((r) => r[cZ] === z).sort((a, b) => a[cR] - b[cR]);
        return {
          name: `etaZ = ${z}`,
          x: line.map((r) => r[cR]),
          y: line.map((r) => r[cMean]),
          band: { lo: line.map((r) => r[cMean] - r[cStd]), hi: line.map((r) => r[cMean] + r[cStd]) },
          markers: true,
        };
      }),
    };
  });
  return panelChart(panels, Math.min(panels.length, 4), title);
}

/**
 * Syn-Small figure from per-step records of two replicas (etaY = 1 and 10): the loss (log scale), and for each
 * replica the attention c_{l|0} of next token 0 on each of its distinct tokens plus the mean common token.
 */
export function smallFigure(records: MetricRecord[], layout: TokenLayout, etaYs: number[]): string {
  const replicas = [...new Set(records.map((r) => r.replica))].sort((a, b) => a - b);
  const of = (r: number) => records.filter((x) => x.replica === r).sort((a, b) => a.step - b.step);
  const distinct = layout.allowed(0).slice(layout.numCommon);
  const common = layout.allowed(0).slice(0, layout.numCommon);
  const loss: ChartSpec = {
    title: 'training loss', xLabel: 'step', yLabel: 'cross-entropy', logY: true,
    series: replicas.map((r) => ({ name: `etaY = ${etaYs[r]}`, x: of(r).map((x) => x.step), y: of(r).map((x) => Math.max(x.loss, 1e-8)) })),
  };
  const attention = replicas.map((r): ChartSpec => ({
    title: `c_{l|n=0}, etaY = ${etaYs[r]}, etaZ = 1`, xLabel: 'step', yLabel: 'attention', logY: true,
    series: [
      ...distinct.map((id, j) => ({ name: `distinct ${j + 1}/${distinct.length}`, x: of(r).map((x) => x.step), y: of(r).map((x) => x[`c.n0.t${id}`]) })),
      { name: 'common (mean)', dashed: true, x: of(r).map((x) => x.step), y: of(r).map((x) => common.reduce((a, id) => a + x[`c.n0.t${id}`], 0) / common.length) },
    ],
  }));
  return panelChart([loss, ...attention], 3, 'Scan & Snap Syn-Small (K = 2, M = 34, zero init): distinct tokens rarest (1) to most frequent (10)');
}
