// Bar charts of bench results as SVG text: the bench page puts them into its DOM and `onelayer bench report`
// writes them to files, so what a reader sees in a paper is what the page showed. Values span orders of
// magnitude (0.001% to 100% of a roof, speedups from x0.01 to x1000), hence a log axis.
import { formatPercent, formatSpeedup, rooflineBound, rooflineFraction } from '../format';
import type { ComparedGroup, RunName } from './compare';

const RUN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const BOUND_COLORS = { compute: '#e6550d', memory: '#3182bd' };

export interface BarSeries {
  name: string;
  color: string;
  /** One per category; null draws `missing[k]` (or 'missing') instead of a bar. */
  values: (number | null)[];
  /** Per-bar colours (e.g. by which roof binds); `color` where absent. */
  colors?: (string | undefined)[];
  missing?: (string | undefined)[];
}

export interface BarChartSpec {
  title: string;
  /** One row of bars per category, one bar per series in each row. */
  categories: string[];
  series: BarSeries[];
  axisLabel: string;
  format: (value: number) => string;
  /** Axis ticks (powers of ten); default `format`. */
  tickFormat?: (value: number) => string;
  /** A dashed vertical line (100% of the roof; speedup 1). */
  reference?: { value: number; label: string };
  /** Legend entries; default: one per series when there are several. */
  legend?: { name: string; color: string }[];
  width?: number;
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const round = (v: number) => Math.round(v * 10) / 10;

/** Horizontal bars on a log axis; every bar carries data-category, data-series and data-value for readers and tests. */
export function horizontalBarChart(spec: BarChartSpec): string {
  // Sans-serif at 11px averages about 6.3 px a character: enough to lay out labels without measuring text.
  const charWidth = 6.3;
  const W = spec.width ?? 760;
  const labelWidth = Math.min(360, Math.max(80, Math.ceil(charWidth * Math.max(...spec.categories.map((c) => c.length), 0)) + 12));
  const plotLeft = labelWidth + 6;
  const plotRight = W - 64;
  // Legend items flow from the plot's left edge and wrap at the chart's right edge.
  const legend = (spec.legend ?? (spec.series.length > 1 ? spec.series.map((s) => ({ name: s.name, color: s.color })) : [])).map((item) => ({ ...item, x: 0, row: 0 }));
  let legendX = plotLeft;
  let legendRows = legend.length > 0 ? 1 : 0;
  for (const item of legend) {
    const width = 28 + charWidth * item.name.length;
    if (legendX > plotLeft && legendX + width > W) {
      legendX = Math.max(8, Math.min(plotLeft, W - width));
      legendRows++;
    }
    [item.x, item.row, legendX] = [legendX, legendRows - 1, legendX + width];
  }
  const bar = 12;
  const rowHeight = spec.series.length * (bar + 2) + 8;
  const top = 30 + 16 * legendRows + (legendRows > 0 ? 6 : 0);
  const plotHeight = spec.categories.length * rowHeight;
  const H = top + plotHeight + 40;

  const positive = spec.series.flatMap((s) => s.values).filter((v): v is number => v !== null && v > 0 && Number.isFinite(v));
  if (spec.reference) positive.push(spec.reference.value);
  let lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, 1)));
  if (!(hi > lo)) [lo, hi] = [lo / 10, hi * 10];
  const px = (v: number) => plotLeft + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (plotRight - plotLeft);

  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  for (const item of legend) {
    const y = 28 + 16 * item.row;
    out.push(`<rect x="${round(item.x)}" y="${y}" width="12" height="10" fill="${item.color}"/>`);
    out.push(`<text x="${round(item.x + 16)}" y="${y + 9}">${escapeXml(item.name)}</text>`);
  }
  const decades = Math.round(Math.log10(hi / lo));
  const every = Math.ceil(decades / 8);
  for (let k = 0; k <= decades; k += every) {
    const t = lo * 10 ** k;
    const x = round(px(t));
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotHeight}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x}" y="${top + plotHeight + 14}" text-anchor="middle" font-size="10">${escapeXml((spec.tickFormat ?? spec.format)(t))}</text>`);
  }
  out.push(`<text x="${round((plotLeft + plotRight) / 2)}" y="${H - 8}" text-anchor="middle">${escapeXml(spec.axisLabel)}</text>`);
  spec.categories.forEach((category, c) => {
    const y0 = top + c * rowHeight + 4;
    out.push(`<text x="${labelWidth}" y="${round(y0 + (spec.series.length * (bar + 2)) / 2 + 3)}" text-anchor="end">${escapeXml(category)}</text>`);
    spec.series.forEach((series, s) => {
      const y = y0 + s * (bar + 2);
      const v = series.values[c];
      if (v === null || !(v > 0) || !Number.isFinite(v)) {
        const text = series.missing?.[c] ?? 'missing';
        out.push(`<text x="${plotLeft + 4}" y="${y + bar - 2}" fill="#888" font-style="italic" data-category="${escapeXml(category)}" data-series="${escapeXml(series.name)}" data-missing="true">${escapeXml(`${series.name}: ${text}`)}</text>`);
        return;
      }
      const width = Math.max(1, px(v) - plotLeft);
      const label = spec.format(v);
      out.push(
        `<rect x="${plotLeft}" y="${y}" width="${round(width)}" height="${bar}" fill="${series.colors?.[c] ?? series.color}" data-category="${escapeXml(category)}" data-series="${escapeXml(series.name)}" data-value="${v}"><title>${escapeXml(`${category}, ${series.name}: ${label}`)}</title></rect>`,
        `<text x="${round(plotLeft + width + 4)}" y="${y + bar - 2}" font-size="10">${escapeXml(label)}</text>`,
      );
    });
  });
  out.push(`<line x1="${plotLeft}" y1="${top}" x2="${plotLeft}" y2="${top + plotHeight}" stroke="#666"/>`);
  if (spec.reference) {
    const x = round(px(spec.reference.value));
    out.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + plotHeight}" stroke="#333" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x + 3}" y="${top - 6}" font-size="10">${escapeXml(spec.reference.label)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const shortFile = (file: string) => file.replace(/^bench\/entries\//, '');
/** A run as charts name it: its label and its file's name without folders. */
const runName = (run: RunName) => `${run.label} (${run.source.replace(/^.*[\\/]/, '')})`;

/**
 * Each kernel entry's fraction of the roofline. One run: bars coloured by the roof that binds; several: one
 * bar per run. Null when no entry of the group times kernels (host work only).
 */
export function rooflineChart(group: ComparedGroup, runs: RunName[], width?: number): string | null {
  const timed = group.entries.filter((c) => c.entries.some((e) => e?.ms !== undefined));
  if (timed.length === 0) return null;
  const single = runs.length === 1;
  return horizontalBarChart({
    title: `${shortFile(group.file)}: fraction of the roofline (max of % FMA, % copy)`,
    categories: timed.map((c) => c.name),
    series: runs.map((run, r) => ({
      name: single ? run.label : runName(run),
      color: RUN_COLORS[r % RUN_COLORS.length],
      values: timed.map((c) => (c.entries[r] ? (rooflineFraction(c.entries[r]!) ?? null) : null)),
      colors: single ? timed.map((c) => BOUND_COLORS[rooflineBound(c.entries[r]!) ?? 'memory']) : undefined,
      missing: timed.map((c) => (c.entries[r] ? 'no kernel time' : 'missing')),
    })),
    legend: single ? [{ name: 'compute-bound (FMA roof)', color: BOUND_COLORS.compute }, { name: 'memory-bound (copy roof)', color: BOUND_COLORS.memory }] : undefined,
    axisLabel: 'fraction of the roofline (log scale)',
    format: formatPercent,
    tickFormat: (v) => `${Number((100 * v).toPrecision(1))}%`,
    reference: { value: 1, label: 'roof' },
    width,
  });
}

/** Speedups over the first run (kernel time, and host-work rate for throughput entries); null for one run or none to show. */
export function speedupChart(group: ComparedGroup, runs: RunName[], width?: number): string | null {
  if (runs.length < 2) return null;
  const rows: { name: string; values: (number | null)[]; missing: (string | undefined)[] }[] = [];
  const why = (c: (typeof group.entries)[number], r: number) =>
    c.entries[r] === null ? 'missing' : c.entries[0] === null ? `${runs[0].label} lacks it` : 'not comparable';
  for (const c of group.entries) {
    if (c.entries.some((e) => e?.ms !== undefined)) {
      rows.push({ name: c.name, values: c.kernelSpeedup, missing: c.entries.map((_, r) => why(c, r)) });
    }
    const unit = c.entries.find((e) => e?.hostWork)?.hostWork?.unit;
    if (unit) rows.push({ name: `${c.name} (${unit}/s)`, values: c.throughputSpeedup, missing: c.entries.map((_, r) => why(c, r)) });
  }
  if (!rows.some((row) => row.values.slice(1).some((v) => v !== null))) return null;
  return horizontalBarChart({
    title: `${shortFile(group.file)}: speedup over ${runName(runs[0])}`,
    categories: rows.map((row) => row.name),
    series: runs.slice(1).map((run, k) => ({
      name: runName(run),
      color: RUN_COLORS[(k + 1) % RUN_COLORS.length],
      values: rows.map((row) => row.values[k + 1]),
      missing: rows.map((row) => row.missing[k + 1]),
    })),
    legend: runs.slice(1).map((run, k) => ({ name: runName(run), color: RUN_COLORS[(k + 1) % RUN_COLORS.length] })),
    axisLabel: `times as fast as ${runs[0].label} (kernel time; host-work rate for /s rows; log scale)`,
    format: formatSpeedup,
    reference: { value: 1, label: `= ${runs[0].label}` },
    width,
  });
}
