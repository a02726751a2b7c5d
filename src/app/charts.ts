// Live figures: line charts are uPlot (canvas, cheap setData for fast-updating series); heat maps are a grid of
// cells drawn on a canvas. Every figure can export itself as PNG (its canvas) and SVG (redrawn from its data),
// and reports the data it shows (the end-to-end test compares it with the worker's records).
import uPlot from 'uplot';

export interface LineSpec {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** Drawn only as a band edge (min/max across replicas). */
  hidden?: boolean;
}

export interface FigureData {
  title: string;
  x: number[];
  series: Record<string, (number | null)[]>;
}

export interface Figure {
  readonly name: string;
  readonly element: HTMLElement;
  data(): FigureData;
  png(): string; // data URL
  svg(): string;
  destroy(): void;
}

export const REPLICA_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** The figure's canvas under its title, on white (uPlot draws the title in HTML, not on the canvas). */
function titled(canvas: HTMLCanvasElement, title: string, cssWidth: number): string {
  const ratio = canvas.width / cssWidth;
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height + Math.round(24 * ratio);
  const g = out.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, out.width, out.height);
  g.fillStyle = '#111';
  g.font = `${Math.round(14 * ratio)}px sans-serif`;
  g.fillText(title, 8 * ratio, 17 * ratio);
  g.drawImage(canvas, 0, Math.round(24 * ratio));
  return out.toDataURL('image/png');
}

export class LineChart implements Figure {
  readonly element: HTMLElement;
  private readonly plot: uPlot;
  private x: number[] = [];
  private ys: (number | null)[][];

  constructor(
    readonly name: string,
    private readonly title: string,
    private readonly lines: LineSpec[],
    private readonly options: { xLabel: string; yLabel?: string; logY?: boolean; band?: [string, string]; width?: number; height?: number },
  ) {
    this.element = document.createElement('div');
    this.element.className = 'figure';
    this.element.dataset.figure = name;
    this.ys = lines.map(() => []);
    const labels = lines.map((l) => l.label);
    const bands = options.band ? [{ series: [labels.indexOf(options.band[0]) + 1, labels.indexOf(options.band[1]) + 1] as [number, number], fill: 'rgba(0,0,0,0.12)' }] : [];
    this.plot = new uPlot(
      {
        title,
        width: options.width ?? 420,
        height: options.height ?? 220,
        scales: { x: { time: false }, y: options.logY ? { distr: 3 } : {} },
        axes: [{ label: options.xLabel }, { label: options.yLabel ?? '', size: 60 }],
        legend: { show: lines.length <= 12, live: false },
        bands,
        series: [
          { label: options.xLabel },
          ...lines.map((l) => ({ label: l.label, stroke: l.hidden ? 'transparent' : l.color, width: l.width ?? 1.5, dash: l.dash, show: true, points: { show: false } })),
        ],
      },
      [[], ...lines.map(() => [])],
      this.element,
    );
    // Band edges are series (uPlot fills between two series) but not lines a reader should look up.
    const legendRows = this.plot.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
    const first = legendRows.length - lines.length; // the x series has a legend row only in live mode
    lines.forEach((line, i) => line.hidden && legendRows[first + i] && (legendRows[first + i].style.display = 'none'));
  }

  setData(x: number[], ys: (number | null)[][]): void {
    this.x = x;
    this.ys = ys;
    // A log axis cannot place zeros (an error of exactly 0): they are left out of the drawing, kept in data().
    const drawn = this.options.logY ? ys.map((y) => y.map((v) => (v !== null && v > 0 ? v : null))) : ys;
    this.plot.setData([x, ...drawn] as uPlot.AlignedData);
  }

  data(): FigureData {
    return { title: this.title, x: [...this.x], series: Object.fromEntries(this.lines.map((l, i) => [l.label, [...this.ys[i]]])) };
  }

  png(): string {
    return titled(this.plot.ctx.canvas, this.title, this.plot.width);
  }

  svg(): string {
    const W = 640, H = 360, left = 70, right = 150, top = 36, bottom = 46;
    const values = this.ys.flat().filter((v): v is number => v !== null && Number.isFinite(v) && (!this.options.logY || v > 0));
    const xs = this.x;
    const [x0, x1] = [Math.min(...xs, 0), Math.max(...xs, 1)];
    let [y0, y1] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
    if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
    const ty = (v: number) => (this.options.logY ? Math.log10(v) : v);
    const [Y0, Y1] = [ty(y0), ty(y1)];
    const px = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * (W - left - right);
    const py = (v: number) => H - bottom - ((ty(v) - Y0) / (Y1 - Y0 || 1)) * (H - top - bottom);
    const parts: string[] = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
      `<rect width="${W}" height="${H}" fill="#fff"/>`,
      `<text x="${left}" y="20" font-size="14">${escapeXml(this.title)}</text>`,
      `<rect x="${left}" y="${top}" width="${W - left - right}" height="${H - top - bottom}" fill="none" stroke="#999"/>`,
    ];
    for (const t of niceTicks(x0, x1)) parts.push(`<text x="${px(t)}" y="${H - bottom + 14}" text-anchor="middle">${t}</text>`);
    const yTicks = this.options.logY ? niceTicks(Y0, Y1).map((e) => 10 ** e) : niceTicks(y0, y1);
    for (const t of yTicks) parts.push(`<text x="${left - 4}" y="${py(t) + 4}" text-anchor="end">${Number(t.toPrecision(3))}</text>`);
    parts.push(`<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(this.options.xLabel)}</text>`);
    if (this.options.yLabel) parts.push(`<text transform="translate(14 ${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(this.options.yLabel)}</text>`);
    const finite = (i: number) => xs.map((x, k) => [x, this.ys[i][k]] as const).filter(([, v]) => v !== null && Number.isFinite(v) && (!this.options.logY || v > 0)) as [number, number][];
    if (this.options.band) {
      const [hi, lo] = this.options.band.map((l) => finite(this.lines.findIndex((s) => s.label === l)));
      const ring = [...hi, ...lo.reverse()].map(([x, v]) => `${px(x)},${py(v)}`).join(' ');
      parts.push(`<polygon points="${ring}" fill="rgba(0,0,0,0.12)" stroke="none"/>`);
    }
    let legendY = top + 8;
    this.lines.forEach((line, i) => {
      if (line.hidden) return;
      const points = finite(i).map(([x, v]) => `${px(x)},${py(v)}`).join(' ');
      parts.push(`<polyline points="${points}" fill="none" stroke="${line.color}" stroke-width="${line.width ?? 1.5}"${line.dash ? ` stroke-dasharray="${line.dash.join(' ')}"` : ''}/>`);
      if (legendY < H - bottom) {
        parts.push(`<line x1="${W - right + 10}" y1="${legendY}" x2="${W - right + 28}" y2="${legendY}" stroke="${line.color}" stroke-width="2"/>`);
        parts.push(`<text x="${W - right + 32}" y="${legendY + 4}">${escapeXml(line.label)}</text>`);
        legendY += 14;
      }
    });
    parts.push('</svg>');
    return parts.join('\n');
  }

  destroy(): void {
    this.plot.destroy();
    this.element.remove();
  }
}

/** Viridis stops, purple (low) to yellow (high): perceptually ordered and readable for most colour-blind readers. */
function colormap(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const s = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(s), stops.length - 2);
  const f = s - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export interface HeatMapData {
  /** Row labels (e.g. the step of each snapshot) and the values, rows × cols. */
  rowLabels: string[];
  values: number[][];
  /** Columns to mark (e.g. contexts with the query's pattern). */
  marked?: boolean[];
  /** Vertical separators with a label (e.g. token groups). */
  groups?: { start: number; label: string }[];
  /** Labels of the columns, drawn under them (e.g. the key tokens of an attention map). */
  colLabels?: string[];
}

export class HeatMap implements Figure {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private current: HeatMapData = { rowLabels: [], values: [] };
  private readonly size: { width: number; height: number; left: number; top: number; bottom: number; right: number };

  /** `size` overrides the default frame (a square attention map with token labels needs room on both axes). */
  constructor(readonly name: string, private readonly title: string, private readonly xLabel: string, size: Partial<HeatMap['size']> = {}) {
    this.size = { width: 420, height: 230, left: 56, top: 40, bottom: 30, right: 60, ...size };
    this.element = document.createElement('div');
    this.element.className = 'figure heatmap';
    this.element.dataset.figure = name;
    const heading = document.createElement('div');
    heading.className = 'u-title';
    heading.textContent = title;
    this.canvas = document.createElement('canvas');
    const { width, height } = this.size;
    const ratio = globalThis.devicePixelRatio || 1;
    this.canvas.width = width * ratio;
    this.canvas.height = height * ratio;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.element.append(heading, this.canvas);
  }

  private range(): [number, number] {
    const flat = this.current.values.flat();
    const lo = Math.min(...flat), hi = Math.max(...flat);
    return flat.length ? [lo, hi > lo ? hi : lo + 1] : [0, 1];
  }

  setData(data: HeatMapData): void {
    this.current = data;
    const { width, height, left, top, bottom, right } = this.size;
    const g = this.canvas.getContext('2d')!;
    const ratio = this.canvas.width / width;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, width, height);
    const rows = data.values.length, cols = rows ? data.values[0].length : 0;
    if (!rows || !cols) return;
    const [lo, hi] = this.range();
    const cw = (width - left - right) / cols, ch = (height - top - bottom) / rows;
    data.values.forEach((row, i) =>
      row.forEach((v, j) => {
        g.fillStyle = colormap((v - lo) / (hi - lo));
        g.fillRect(left + j * cw, top + i * ch, Math.ceil(cw), Math.ceil(ch));
      }),
    );
    g.fillStyle = '#d62728';
    data.marked?.forEach((m, j) => {
      if (!m) return;
      g.beginPath();
      g.moveTo(left + (j + 0.5) * cw, top - 2);
      g.lineTo(left + (j + 0.15) * cw, top - 10);
      g.lineTo(left + (j + 0.85) * cw, top - 10);
      g.fill();
    });
    g.strokeStyle = '#fff';
    g.fillStyle = '#111';
    g.font = '10px sans-serif';
    // Narrow groups (one query token) sit side by side: alternate the label heights so they stay readable.
    (data.groups ?? []).forEach((group, k) => {
      g.beginPath();
      g.moveTo(left + group.start * cw, top);
      g.lineTo(left + group.start * cw, height - bottom);
      g.stroke();
      g.fillText(group.label, left + group.start * cw + 2, top - 4 - 11 * (k % 2));
    });
    const every = Math.max(1, Math.ceil(rows / (data.colLabels ? 40 : 8)));
    data.rowLabels.forEach((label, i) => i % every === 0 && g.fillText(label, 4, top + (i + 0.5) * ch + 3));
    data.colLabels?.forEach((label, j) => {
      g.save();
      g.translate(left + (j + 0.5) * cw + 3, height - bottom + 4);
      g.rotate(-Math.PI / 2);
      g.textAlign = 'right';
      g.fillText(label, 0, 0);
      g.restore();
    });
    g.fillText(this.xLabel, left, height - 10);
    for (let k = 0; k <= 4; k++) {
      const y = top + (1 - k / 4) * (height - top - bottom - 10);
      g.fillStyle = colormap(k / 4);
      g.fillRect(width - right + 10, y, 12, (height - top - bottom) / 4 - 2);
      g.fillStyle = '#111';
      g.fillText((lo + (k / 4) * (hi - lo)).toPrecision(2), width - right + 26, y + 8);
    }
  }

  data(): FigureData {
    const cols = this.current.values[0]?.length ?? 0;
    return {
      title: this.title,
      x: Array.from({ length: cols }, (_, j) => j),
      series: Object.fromEntries(this.current.rowLabels.map((label, i) => [label, [...this.current.values[i]]])),
    };
  }

  png(): string {
    return titled(this.canvas, this.title, this.size.width);
  }

  svg(): string {
    const { rowLabels, values, marked, groups, colLabels } = this.current;
    const W = 640, H = colLabels ? 700 : 360, left = 70, top = 40, right = 20, bottom = colLabels ? 90 : 40;
    const rows = values.length, cols = rows ? values[0].length : 0;
    const [lo, hi] = this.range();
    const cw = cols ? (W - left - right) / cols : 0, ch = rows ? (H - top - bottom) / rows : 0;
    const parts = [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
      `<rect width="${W}" height="${H}" fill="#fff"/>`,
      `<text x="${left}" y="18" font-size="14">${escapeXml(this.title)} (range ${lo.toPrecision(3)} to ${hi.toPrecision(3)})</text>`,
    ];
    values.forEach((row, i) => row.forEach((v, j) => parts.push(`<rect x="${left + j * cw}" y="${top + i * ch}" width="${cw}" height="${ch}" fill="${colormap((v - lo) / (hi - lo))}"/>`)));
    marked?.forEach((m, j) => m && parts.push(`<polygon points="${left + (j + 0.5) * cw},${top - 2} ${left + (j + 0.15) * cw},${top - 10} ${left + (j + 0.85) * cw},${top - 10}" fill="#d62728"/>`));
    for (const group of groups ?? []) parts.push(`<line x1="${left + group.start * cw}" y1="${top}" x2="${left + group.start * cw}" y2="${H - bottom}" stroke="#fff"/><text x="${left + group.start * cw + 2}" y="${top - 12}">${escapeXml(group.label)}</text>`);
    rowLabels.forEach((label, i) => parts.push(`<text x="${left - 4}" y="${top + (i + 0.5) * ch + 4}" text-anchor="end">${escapeXml(label)}</text>`));
    colLabels?.forEach((label, j) => parts.push(`<text transform="translate(${left + (j + 0.5) * cw + 4} ${H - bottom + 4}) rotate(-90)" text-anchor="end">${escapeXml(label)}</text>`));
    parts.push(`<text x="${left}" y="${H - 12}">${escapeXml(this.xLabel)}</text>`, '</svg>');
    return parts.join('\n');
  }

  destroy(): void {
    this.element.remove();
  }
}
