// Dependency-free SVG line charts and heat maps for result folders and the README: runs write figures with no
// browser, and SVG stays diffable and citable. Several panels can share one file (e.g. one panel per K, one
// attention map per step).

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  /** Shaded band (e.g. mean ± std across replicas), same length as x. */
  band?: { lo: ArrayLike<number>; hi: ArrayLike<number> };
  dashed?: boolean;
  /** Draw the points as dots as well as the line. */
  markers?: boolean;
  /** Thin line without legend entry (e.g. individual replicas under their mean). */
  faint?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

/** "Nice" linear ticks covering [lo, hi]. */
function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const t = 10 ** e;
    if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t);
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

function extent(values: number[], log: boolean): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (finite.length === 0) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    if (log) return [lo / 2, hi * 2];
    const pad = Math.abs(lo) * 0.1 || 1;
    return [lo - pad, hi + pad];
  }
  if (!log) {
    const pad = (hi - lo) * 0.04;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** One chart panel as an SVG group at (0,0) of the given size. */
function panel(spec: ChartSpec, width: number, height: number): string {
  const m = { left: 62, right: 16, top: 30, bottom: 44 };
  const legendRows = spec.series.filter((s) => !s.faint).length;
  const legendWidth = legendRows > 1 ? 130 : 0;
  const w = width - m.left - m.right - legendWidth;
  const h = height - m.top - m.bottom;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of spec.series) {
    xs.push(...Array.from(s.x));
    ys.push(...Array.from(s.y));
    if (s.band) ys.push(...Array.from(s.band.lo), ...Array.from(s.band.hi));
  }
  const [x0, x1] = extent(xs, !!spec.logX);
  const [y0, y1] = extent(ys, !!spec.logY);
  const tx = spec.logX ? (v: number) => (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (v: number) => (v - x0) / (x1 - x0);
  const ty = spec.logY ? (v: number) => (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (v: number) => (v - y0) / (y1 - y0);
  const px = (v: number) => m.left + tx(v) * w;
  const py = (v: number) => m.top + h - ty(v) * h;
  const ok = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0) && (!spec.logY || y > 0);
  const out: string[] = [];
  out.push(`<text x="${m.left + w / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const t of spec.logX ? logTicks(x0, x1) : linearTicks(x0, x1)) {
    const x = px(t);
    out.push(`<line x1="${x}" y1="${m.top + h}" x2="${x}" y2="${m.top + h + 4}" stroke="#666"/>`);
    out.push(`<text x="${x}" y="${m.top + h + 16}" text-anchor="middle" font-size="10">${fmt(t)}</text>`);
  }
  for (const t of spec.logY ? logTicks(y0, y1) : linearTicks(y0, y1)) {
    const y = py(t);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + w}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 5}" y="${y + 3}" text-anchor="end" font-size="10">${fmt(t)}</text>`);
  }
  out.push(`<text x="${m.left + w / 2}" y="${height - 8}" text-anchor="middle" font-size="11">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${m.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeXml(spec.yLabel)}</text>`);
  let colorIndex = 0;
  let legendY = m.top + 6;
  for (const s of spec.series) {
    const color = s.color ?? PALETTE[colorIndex++ % PALETTE.length];
    if (s.band) {
      const upper: string[] = [];
      const lower: string[] = [];
      for (let i = 0; i < s.x.length; i++) {
        if (ok(s.x[i], s.band.hi[i]) && ok(s.x[i], s.band.lo[i])) {
          upper.push(`${px(s.x[i]).toFixed(1)},${py(s.band.hi[i]).toFixed(1)}`);
          lower.unshift(`${px(s.x[i]).toFixed(1)},${py(s.band.lo[i]).toFixed(1)}`);
        }
      }
      if (upper.length) out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const points: string[] = [];
    for (let i = 0; i < s.x.length; i++) if (ok(s.x[i], s.y[i])) points.push(`${px(s.x[i]).toFixed(1)},${py(s.y[i]).toFixed(1)}`);
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    const width = s.faint ? 0.7 : 1.8;
    const opacity = s.faint ? ' stroke-opacity="0.35"' : '';
    if (points.length) out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}"${dash}${opacity}/>`);
    if (s.markers) for (const p of points) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
    }
    if (!s.faint && legendWidth) {
      const lx = m.left + w + 10;
      out.push(`<line x1="${lx}" y1="${legendY}" x2="${lx + 18}" y2="${legendY}" stroke="${color}" stroke-width="2"${dash}/>`);
      out.push(`<text x="${lx + 22}" y="${legendY + 4}" font-size="10">${escapeXml(s.name)}</text>`);
      legendY += 15;
    }
  }
  return out.join('\n');
}

/** A single chart as a standalone SVG document. */
export function lineChart(spec: ChartSpec): string {
  return panelChart([spec], 1);
}

/** Several charts in a grid (`columns` per row) in one SVG document. */
export function panelChart(panels: ChartSpec[], columns = panels.length, title?: string): string {
  if (panels.length === 0) throw new Error('panelChart: no panels');
  const width = panels[0].width ?? 480;
  const height = panels[0].height ?? 300;
  const top = title ? 28 : 0;
  const rows = Math.ceil(panels.length / columns);
  const W = width * Math.min(columns, panels.length);
  const H = height * rows + top;
  const body = panels
    .map((p, i) => `<g transform="translate(${(i % columns) * width} ${top + Math.floor(i / columns) * height})">\n${panel(p, width, height)}\n</g>`)
    .join('\n');
  const heading = title ? `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>\n` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${heading}${body}\n</svg>\n`;
}

export interface HeatMapSpec {
  title: string;
  /** Labels of the rows (top to bottom) and columns (left to right), e.g. query and key tokens. */
  rowLabels: string[];
  colLabels: string[];
  /** rows × cols; a non-finite value is a masked cell (drawn grey, e.g. future keys under a causal mask). */
  values: ArrayLike<number>[];
  /** Values mapped to the ends of the colour scale (default: the finite values' min and max). */
  range?: [number, number];
  xLabel?: string;
  yLabel?: string;
  /** Pixels per cell (default 12). */
  cell?: number;
}

/** Viridis stops, purple (low) to yellow (high), as the page's heat maps. */
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function viridis(t: number): string {
  const s = Math.min(Math.max(Number.isFinite(t) ? t : 0, 0), 1) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(s), VIRIDIS.length - 2);
  const c = VIRIDIS[i].map((v, k) => Math.round(v + (s - i) * (VIRIDIS[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Room the labels need: about 6 px per character at font size 10. */
const labelWidth = (labels: string[]) => Math.min(90, 8 + 6 * Math.max(1, ...labels.map((l) => l.length)));

function heatMapSize(spec: HeatMapSpec): { width: number; height: number; left: number; top: number; cell: number } {
  const cell = spec.cell ?? 12;
  const left = 22 + labelWidth(spec.rowLabels);
  const top = 30;
  const bottom = 20 + labelWidth(spec.colLabels);
  return { width: left + cell * spec.colLabels.length + 70, height: top + cell * spec.rowLabels.length + bottom, left, top, cell };
}

function heatMapPanel(spec: HeatMapSpec): string {
  const { height, left, top, cell } = heatMapSize(spec);
  const rows = spec.rowLabels.length;
  const cols = spec.colLabels.length;
  const finite = spec.values.flatMap((row) => Array.from(row).filter((v) => Number.isFinite(v)));
  const [lo, hi] = spec.range ?? (finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1]);
  const scale = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const out: string[] = [];
  out.push(`<text x="${left + (cols * cell) / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`);
  // Masked cells show the grey background (a causal map's upper triangle is half the cells: not drawn).
  out.push(`<rect x="${left}" y="${top}" width="${cols * cell}" height="${rows * cell}" fill="#e6e6e6"/>`);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = spec.values[i][j];
      if (Number.isFinite(v)) out.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${viridis(scale(v))}"/>`);
    }
  }
  out.push(`<rect x="${left}" y="${top}" width="${cols * cell}" height="${rows * cell}" fill="none" stroke="#999"/>`);
  spec.rowLabels.forEach((label, i) => out.push(`<text x="${left - 4}" y="${top + (i + 0.5) * cell + 3}" text-anchor="end" font-size="10">${escapeXml(label)}</text>`));
  spec.colLabels.forEach((label, j) => {
    const x = left + (j + 0.5) * cell + 3;
    const y = top + rows * cell + 4;
    out.push(`<text transform="translate(${x} ${y}) rotate(-90)" text-anchor="end" font-size="10">${escapeXml(label)}</text>`);
  });
  if (spec.xLabel) out.push(`<text x="${left + (cols * cell) / 2}" y="${height - 4}" text-anchor="middle" font-size="11">${escapeXml(spec.xLabel)}</text>`);
  if (spec.yLabel) out.push(`<text transform="translate(12 ${top + (rows * cell) / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeXml(spec.yLabel)}</text>`);
  // Colour bar: five stops with their values.
  const barX = left + cols * cell + 12;
  const barH = Math.max(60, rows * cell);
  for (let k = 0; k < 5; k++) {
    const y = top + ((4 - k) * barH) / 5;
    out.push(`<rect x="${barX}" y="${y.toFixed(1)}" width="12" height="${(barH / 5).toFixed(1)}" fill="${viridis(k / 4)}"/>`);
    out.push(`<text x="${barX + 16}" y="${(y + barH / 10 + 3).toFixed(1)}" font-size="10">${fmt(lo + (k / 4) * (hi - lo))}</text>`);
  }
  return out.join('\n');
}

/** Heat maps side by side (`columns` per row) in one SVG document; every panel is sized by its own labels. */
export function heatMapChart(panels: HeatMapSpec[], columns = panels.length, title?: string): string {
  if (panels.length === 0) throw new Error('heatMapChart: no panels');
  const sizes = panels.map(heatMapSize);
  const cellW = Math.max(...sizes.map((s) => s.width));
  const cellH = Math.max(...sizes.map((s) => s.height));
  const top = title ? 28 : 0;
  const W = cellW * Math.min(columns, panels.length);
  const H = cellH * Math.ceil(panels.length / columns) + top;
  const body = panels
    .map((p, i) => `<g transform="translate(${(i % columns) * cellW} ${top + Math.floor(i / columns) * cellH})">\n${heatMapPanel(p)}\n</g>`)
    .join('\n');
  const heading = title ? `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>\n` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${heading}${body}\n</svg>\n`;
}
