// Text table of a bench result: the adapter and its measured limits first, then one row per entry.
import { adapterLine } from '../src/runtime/device';
import type { BenchResult } from './types';

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

function percent(fraction: number | undefined): string {
  return fraction === undefined || !Number.isFinite(fraction) ? '-' : `${(100 * fraction).toFixed(fraction < 0.01 ? 2 : 1)}%`;
}

export function formatTable(result: BenchResult): string {
  const { limits } = result;
  const lines = [
    `adapter: ${adapterLine(result.adapter)}`,
    `timing: ${result.timing}; medians of ${result.options.repeats} runs after ${result.options.warmup} warm-up${result.options.quick ? ' (quick shapes)' : ''}`,
    `peak FMA: ${limits.fmaGflops.toFixed(2)} GFLOP/s (${limits.fmaShape})`,
    `copy bandwidth (read+write, ${(limits.copyBytes / 2 ** 20).toFixed(1)} MiB): ${limits.copyGBps.toFixed(2)} GB/s = max of copy kernel ${limits.copyKernelGBps.toFixed(2)} and copyBufferToBuffer ${limits.copyBufferGBps.toFixed(2)} (wall clock)`,
    '',
  ];
  const header = ['entry', 'shape', 'ms', 'GFLOP/s', '% FMA', 'GB/s', '% copy', 'throughput'];
  const rows = result.entries.map((e) => [
    e.name,
    e.shape,
    fixed(e.ms, 3),
    fixed(e.gflops, 3),
    percent(e.fmaFraction),
    fixed(e.gbps, 3),
    percent(e.copyFraction),
    e.hostWork ? `${e.hostWork.perSecond.toPrecision(4)} ${e.hostWork.unit}/s` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const render = (cells: string[]) =>
    cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  lines.push(render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render));
  lines.push('', `${result.entries.length} entries in ${result.seconds.toFixed(1)} s`);
  return lines.join('\n');
}

/** The same rows as a Markdown table (for the README). */
export function formatMarkdown(result: BenchResult): string {
  const rows = result.entries.map(
    (e) =>
      `| ${e.name} | ${e.shape} | ${fixed(e.ms, 3)} | ${fixed(e.gflops, 3)} | ${percent(e.fmaFraction)} | ${fixed(e.gbps, 3)} | ${percent(e.copyFraction)} |`,
  );
  return ['| entry | shape | ms | GFLOP/s | % FMA | GB/s | % copy |', '|---|---|--:|--:|--:|--:|--:|', ...rows].join('\n');
}
