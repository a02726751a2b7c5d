// Figures of the Scan & Snap grid drawn with the shared SVG helper (src/report/svg.ts): final distinct-token
// entropy against etaY/etaZ, one line per etaZ (band: ± one standard deviation over seeds), one panel per K.
import { panelChart, type ChartSpec } from '../../report/svg';
import type { ResultTable } from '../../experiments/types';

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
