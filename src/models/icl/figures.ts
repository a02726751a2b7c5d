// ICL figures that are not plain line charts of one table (drawn with the shared SVG helper, src/report/svg.ts).
import { lineChart, type Series } from '../../report/svg';
import type { ResultTable } from '../../engine/types';

/**
 * Steps to the first crossing against the training alpha on log-log axes: every run (dots), the mean per alpha, the
 * least-squares line of the runs, and for comparison a line of slope `referenceSlope` through the fit at alpha = 1.
 */
export function alphaStepsFigure(tables: Record<string, ResultTable>, referenceSlope: number, referenceName: string): string | null {
  const { firstCrossing, stepsByAlpha, stepsFit } = tables;
  if (!firstCrossing || !stepsByAlpha || !stepsFit) return null;
  const column = (table: ResultTable, name: string) => table.rows.map((r) => r[table.columns.indexOf(name)]);
  const [slope, prefactor] = [column(stepsFit, 'slope')[0], column(stepsFit, 'prefactor')[0]];
  const alphas = column(stepsByAlpha, 'alpha');
  const ends = [Math.min(...alphas), Math.max(...alphas)];
  // The k-th seed of every alpha as one faint line (the table lists each alpha's runs in seed order).
  const runAlphas = column(firstCrossing, 'alpha');
  const runSteps = column(firstCrossing, 'firstStep');
  const seedLines = new Map<number, { x: number[]; y: number[] }>();
  runAlphas.forEach((alpha, i) => {
    const k = runAlphas.slice(0, i).filter((a) => a === alpha).length;
    const line = seedLines.get(k) ?? seedLines.set(k, { x: [], y: [] }).get(k)!;
    line.x.push(alpha);
    line.y.push(runSteps[i]);
  });
  const series: Series[] = [
    ...[...seedLines.values()].map((line, k) => ({ name: `seed ${k}`, ...line, markers: true, faint: true, color: '#1f77b4' })),
    { name: 'mean over seeds', x: alphas, y: column(stepsByAlpha, 'meanSteps'), markers: true, color: '#1f77b4' },
  ];
  if (Number.isFinite(slope)) {
    series.push({ name: `fit: slope ${slope.toFixed(2)}`, x: ends, y: ends.map((a) => prefactor * a ** slope), color: '#d62728' });
    series.push({ name: referenceName, x: ends, y: ends.map((a) => prefactor * a ** referenceSlope), dashed: true, color: '#7f7f7f' });
  }
  return lineChart({ title: 'steps until the unseen-task error first falls below the threshold', xLabel: 'training alpha', yLabel: 'steps', series, logX: true, logY: true });
}
