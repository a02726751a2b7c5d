// The live progress line of a training run: step, steps/s, ETA and the latest metrics (mean over replicas).
// On a terminal it redraws one line; otherwise (a log file, a job scheduler) it prints a plain line at every
// tenth of the run and at least every 30 s.
import type { MetricRecord } from '../engine/types';

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Mean over replicas of each metric of the newest step among `records`. */
export function latestMeans(records: readonly MetricRecord[]): { step: number; means: Record<string, number> } | undefined {
  if (records.length === 0) return undefined;
  const step = Math.max(...records.map((r) => r.step));
  const latest = records.filter((r) => r.step === step);
  const means: Record<string, number> = {};
  for (const key of Object.keys(latest[0])) {
    if (key === 'step' || key === 'replica') continue;
    means[key] = latest.reduce((a, r) => a + r[key], 0) / latest.length;
  }
  return { step, means };
}

export class Progress {
  private readonly startTime = performance.now();
  private lastPrint = 0;
  private lastTenth: number;
  private step: number;
  private metricText = '';
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
    private readonly startStep: number,
  ) {
    this.step = startStep;
    this.lastTenth = Math.floor((10 * startStep) / Math.max(total, 1));
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  metrics(records: readonly MetricRecord[]): void {
    const latest = latestMeans(records);
    if (!latest) return;
    const shown = Object.entries(latest.means).slice(0, 4);
    this.metricText = shown.map(([k, v]) => `${k} ${formatNumber(v)}`).join('  ');
  }

  update(step: number): void {
    this.step = step;
    const now = performance.now();
    const tenth = Math.floor((10 * step) / Math.max(this.total, 1));
    if (this.tty) {
      if (now - this.lastPrint < 100 && step < this.total) return;
      this.stream.write(`\r\x1b[K${this.fitted()}`);
      this.drawn = true;
    } else {
      if (tenth === this.lastTenth && now - this.lastPrint < 30_000) return;
      this.stream.write(`${this.text()}\n`);
    }
    this.lastTenth = tenth;
    this.lastPrint = now;
  }

  /** Prints a message on its own line without breaking the progress line. */
  log(message: string): void {
    if (this.tty && this.drawn) {
      this.stream.write(`\r\x1b[K${message}\n${this.fitted()}`);
    } else this.stream.write(`${message}\n`);
  }

  finish(): void {
    if (this.tty && this.drawn) this.stream.write(`\r\x1b[K${this.text()}\n`);
    this.drawn = false;
  }

  /** One terminal row: a wrapped line could not be redrawn in place. */
  private fitted(): string {
    const text = this.text();
    const columns = this.stream.columns ?? 0;
    return columns > 1 && text.length >= columns ? text.slice(0, columns - 1) : text;
  }

  private text(): string {
    const seconds = (performance.now() - this.startTime) / 1000;
    const done = this.step - this.startStep;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (this.total - this.step) / rate : Infinity;
    const width = String(this.total).length;
    return `step ${String(this.step).padStart(width)}/${this.total}  ${formatNumber(rate)} steps/s  ETA ${formatDuration(eta)}${this.metricText ? `  ${this.metricText}` : ''}`;
  }
}
