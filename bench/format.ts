// How bench numbers are written, once for every place that shows them: the text table the CLI prints, the bench
// page's tables, and the Markdown report. Also the roofline fraction, the one number the charts draw per entry.
import { adapterLine } from '../src/runtime/device';
import type { BenchResult, EntryResult } from './types';

const MISSING = '-';

/** Four significant digits (one decimal from 1000 ms up): 0.002634, 6.283, 1361.2. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return MISSING;
  return ms >= 1000 ? ms.toFixed(1) : String(Number(ms.toPrecision(4)));
}

/** GFLOP/s, GB/s: three significant digits, no exponent below 1e6. */
export function formatRate(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return MISSING;
  return value >= 1000 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
}

/** 12.3%, 1.3%, 0.04%, and two significant digits below 0.01% (SwiftShader's slow kernels reach 0.0012%). */
export function formatPercent(fraction: number | undefined): string {
  if (fraction === undefined || !Number.isFinite(fraction)) return MISSING;
  const p = 100 * fraction;
  if (p >= 1 || p === 0) return `${p.toFixed(1)}%`;
  if (p >= 0.01) return `${p.toFixed(2)}%`;
  return `${Number(p.toPrecision(2))}%`;
}

/** How many times as fast as the baseline: ×2.41, ×0.0318, ×4160. */
export function formatSpeedup(speedup: number | null | undefined): string {
  if (speedup === null || speedup === undefined || !Number.isFinite(speedup)) return MISSING;
  return `×${Number(speedup.toPrecision(3))}`;
}

/** '680.9 prompts/s', with the GPU's share of a step's wall time where known; empty without host work. */
export function formatThroughput(hostWork: EntryResult['hostWork']): string {
  if (!hostWork) return '';
  const rate = `${Number(hostWork.perSecond.toPrecision(4))} ${hostWork.unit}/s`;
  if (hostWork.wallPerStepMs === undefined || hostWork.gpuShare === undefined) return rate;
  return `${rate} (${formatMs(hostWork.wallPerStepMs)} ms/step wall, GPU ${formatPercent(hostWork.gpuShare)})`;
}

/**
 * The entry's share of what the adapter allows at its arithmetic intensity I = flops / bytes: the roofline is
 * min(FMA peak, I × bandwidth), and gflops over it equals the larger of the two fractions.
 */
export function rooflineFraction(e: EntryResult): number | undefined {
  if (e.fmaFraction === undefined || e.copyFraction === undefined) return undefined;
  return Math.max(e.fmaFraction, e.copyFraction);
}

/** Which roof binds: the FMA peak ('compute') or the bandwidth ('memory'). */
export function rooflineBound(e: EntryResult): 'compute' | 'memory' | undefined {
  if (e.fmaFraction === undefined || e.copyFraction === undefined) return undefined;
  return e.fmaFraction >= e.copyFraction ? 'compute' : 'memory';
}

export interface Column {
  /** The EntryResult field the column shows, or 'roofline' and 'throughput' (derived). */
  key: string;
  header: string;
  numeric: boolean;
}

export const ENTRY_COLUMNS: Column[] = [
  { key: 'name', header: 'entry', numeric: false },
  { key: 'shape', header: 'shape', numeric: false },
  { key: 'ms', header: 'ms', numeric: true },
  { key: 'gflops', header: 'GFLOP/s', numeric: true },
  { key: 'fmaFraction', header: '% FMA', numeric: true },
  { key: 'gbps', header: 'GB/s', numeric: true },
  { key: 'copyFraction', header: '% copy', numeric: true },
  { key: 'roofline', header: '% roofline', numeric: true },
  { key: 'throughput', header: 'throughput', numeric: false },
];

/** One entry's cells in ENTRY_COLUMNS order (the page's table and the text table both show these). */
export function entryCells(e: EntryResult): string[] {
  return [
    e.name,
    e.shape,
    formatMs(e.ms),
    formatRate(e.gflops),
    formatPercent(e.fmaFraction),
    formatRate(e.gbps),
    formatPercent(e.copyFraction),
    formatPercent(rooflineFraction(e)),
    formatThroughput(e.hostWork),
  ];
}

/** The adapter, how it was timed and its measured limits, as lines (the head of every table). */
export function describeRun(result: BenchResult): string[] {
  const { limits, options } = result;
  return [
    `adapter: ${adapterLine(result.adapter)}`,
    `timing: ${result.timing}; medians of ${options.repeats} runs after ${options.warmup} warm-up${options.quick ? ' (quick shapes)' : ''}`,
    `peak FMA: ${limits.fmaGflops.toFixed(2)} GFLOP/s (${limits.fmaShape})`,
    `copy bandwidth (read+write, ${(limits.copyBytes / 2 ** 20).toFixed(1)} MiB): ${limits.copyGBps.toFixed(2)} GB/s = max of copy kernel ${limits.copyKernelGBps.toFixed(2)} and copyBufferToBuffer ${limits.copyBufferGBps.toFixed(2)} (wall clock)`,
    `kernel variants: ${variantsLine(result)}`,
    ...(result.incomplete ? [`INCOMPLETE: ${result.incomplete}`] : []),
  ];
}

function variantsLine(result: BenchResult): string {
  if (!result.tuning) return "each call site's default for this adapter's class (--tune times them)";
  const timed = result.tuning.filter((c) => c.timings).length;
  return `tuned (--tune): ${result.tuning.length} call sites, ${timed} timed here; the choices are in the JSON's tuning`;
}

export function formatTable(result: BenchResult): string {
  const rows = result.entries.map(entryCells);
  const headers = ENTRY_COLUMNS.map((c) => c.header);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const render = (cells: string[]) => cells.map((c, i) => (ENTRY_COLUMNS[i].numeric ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [
    ...describeRun(result),
    '',
    render(headers),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(render),
    '',
    `${result.entries.length} entries in ${result.seconds.toFixed(1)} s${result.incomplete ? ' (incomplete)' : ''}`,
  ].join('\n');
}
