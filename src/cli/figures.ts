// A preset's FigureSpecs drawn as SVG from a run's metrics records or analysis tables. With several replicas
// each metric gets a faint line per replica under its mean with a ±1 std band.
import type { ArtifactsByStep, FigureSpec, MetricRecord, ResultTable } from '../engine/types';
import { lineChart, type Series } from '../report/svg';

type Row = Record<string, number>;

function tableRows(table: ResultTable): Row[] {
  return table.rows.map((row) => Object.fromEntries(table.columns.map((c, i) => [c, row[i]])));
}

/** Mean and std over groups of rows that share x. */
function meanBand(rows: Row[], x: string, y: string): { xs: number[]; mean: number[]; lo: number[]; hi: number[] } {
  const byX = new Map<number, number[]>();
  for (const row of rows) {
    if (!Number.isFinite(row[y])) continue;
    (byX.get(row[x]) ?? byX.set(row[x], []).get(row[x])!).push(row[y]);
  }
  const xs = [...byX.keys()].sort((a, b) => a - b);
  const mean: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (const v of xs) {
    const values = byX.get(v)!;
    const mu = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mu) ** 2, 0) / values.length);
    mean.push(mu);
    lo.push(mu - sd);
    hi.push(mu + sd);
  }
  return { xs, mean, lo, hi };
}

function seriesFor(rows: Row[], x: string, y: string, multiY: boolean): Series[] {
  const withY = rows.filter((r) => y in r && x in r);
  const replicas = [...new Set(withY.map((r) => r.replica).filter((r) => r !== undefined))].sort((a, b) => a - b);
  if (replicas.length <= 1) {
    const sorted = [...withY].sort((a, b) => a[x] - b[x]);
    return [{ name: y, x: sorted.map((r) => r[x]), y: sorted.map((r) => r[y]), markers: sorted.length <= 30 }];
  }
  const faint: Series[] = replicas.map((replica) => {
    const mine = withY.filter((r) => r.replica === replica).sort((a, b) => a[x] - b[x]);
    return { name: `${y} r${replica}`, x: mine.map((r) => r[x]), y: mine.map((r) => r[y]), faint: true };
  });
  const band = meanBand(withY, x, y);
  const label = multiY ? `${y} (mean of ${replicas.length})` : `mean of ${replicas.length} replicas`;
  return [...faint, { name: label, x: band.xs, y: band.mean, band: { lo: band.lo, hi: band.hi } }];
}

/** The SVG for one figure, or a reason it cannot be drawn (missing table or columns). */
export function drawFigure(
  spec: FigureSpec, metrics: readonly MetricRecord[], tables: Record<string, ResultTable>, artifacts: ArtifactsByStep = new Map(),
): { svg?: string; skipped?: string } {
  if (spec.render) {
    const svg = spec.render([...metrics], tables, artifacts);
    return svg ? { svg } : { skipped: `${spec.file}: what it draws is not in this run's ${spec.source}` };
  }
  let rows: Row[];
  if (spec.source === 'metrics') rows = metrics as unknown as Row[];
  else {
    const table = tables[spec.source];
    if (!table) return { skipped: `no analysis table '${spec.source}'` };
    rows = tableRows(table);
  }
  const present = spec.y.filter((y) => rows.some((r) => y in r && Number.isFinite(r[y])));
  if (present.length === 0 || !rows.some((r) => spec.x in r)) return { skipped: `no ${[spec.x, ...spec.y].join('/')} values in ${spec.source}` };
  const series = present.flatMap((y) => seriesFor(rows, spec.x, y, present.length > 1));
  const logY = spec.logY === true;
  const usable = logY ? series.map((s) => ({ ...s, y: Array.from(s.y, (v) => (v > 0 ? v : NaN)) })) : series;
  return { svg: lineChart({ title: spec.title, xLabel: spec.x, yLabel: spec.yLabel ?? present.join(', '), series: usable, logY }) };
}
