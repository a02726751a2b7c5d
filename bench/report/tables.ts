// The comparison's tables as rows of text cells: the Markdown report prints them, the bench page builds HTML
// tables from them, so both show the same numbers written the same way.
import { adapterLine } from '../../src/runtime/device';
import { formatMs, formatPercent, formatRate, formatSpeedup, formatThroughput, rooflineFraction } from '../format';
import type { ComparedEntry, ComparedGroup, Comparison, Run } from './compare';

export interface Table {
  header: string[];
  /** Right-aligned columns. */
  numeric: boolean[];
  /** `key`: the entry name (or run label) the row shows. */
  rows: { key: string; cells: string[] }[];
}

export const MISSING = 'missing';

function mode(run: Run): string {
  const o = run.result.options;
  const scope = [o.files ? `files ${o.files.join(', ')}` : '', o.filter ? `filter /${o.filter}/` : ''].filter(Boolean).join(', ');
  return `${o.quick ? 'quick' : 'full'}, ${o.repeats} repeats after ${o.warmup} warm-up${scope ? `, ${scope}` : ''}`;
}

/** One row per run: where it came from, the adapter, how it was timed, its limits (and their ratio to the first's). */
export function runsTable(c: Comparison): Table {
  return {
    header: ['run', 'file', 'adapter', 'timing', 'date', 'mode', 'FMA peak GFLOP/s', 'copy GB/s', 'entries'],
    numeric: [false, false, false, false, false, false, true, true, true],
    rows: c.runs.map((run, r) => {
      const { limits } = run.result;
      const vsFirst = (k: 'fma' | 'copy') => (r > 0 ? ` (${formatSpeedup(c.limitRatios[r][k])})` : '');
      return {
        key: run.label,
        cells: [
          run.label,
          run.source,
          adapterLine(run.result.adapter),
          run.result.timing,
          run.result.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'),
          mode(run),
          `${formatRate(limits.fmaGflops)}${vsFirst('fma')}`,
          `${formatRate(limits.copyGBps)}${vsFirst('copy')}`,
          `${run.result.entries.length}${run.result.incomplete ? ' (incomplete)' : ''}`,
        ],
      };
    }),
  };
}

/** What a reader should know about the runs: which are incomplete and why, and the loader's notes. */
export function runNotes(c: Comparison): string[] {
  return c.runs.flatMap((r) => [...(r.result.incomplete ? [`${r.label} is incomplete: ${r.result.incomplete}`] : []), ...r.notes]);
}

function shapeText(entry: ComparedEntry, runs: Run[]): string {
  const present = entry.entries.flatMap((e, r) => (e ? [[runs[r].label, e.shape] as const] : []));
  return entry.shapesDiffer ? present.map(([label, shape]) => `${label}: ${shape}`).join('; ') : (present[0]?.[1] ?? '');
}

/** Entries that time kernels: each run's time and roofline fraction, and speedups over the first run. */
export function kernelTable(group: ComparedGroup, runs: Run[]): Table | null {
  const entries = group.entries.filter((c) => c.entries.some((e) => e?.ms !== undefined));
  if (entries.length === 0) return null;
  const others = runs.slice(1);
  const header = ['entry', 'shape', ...runs.map((r) => `${r.label} ms`), ...others.map((r) => `${r.label} speedup`), ...runs.map((r) => `${r.label} % roofline`)];
  return {
    header,
    numeric: header.map((_, i) => i >= 2),
    rows: entries.map((c) => ({
      key: c.name,
      cells: [
        c.name,
        shapeText(c, runs),
        ...c.entries.map((e) => (e ? formatMs(e.ms) : MISSING)),
        ...c.kernelSpeedup.slice(1).map(formatSpeedup),
        ...c.entries.map((e) => (e ? formatPercent(rooflineFraction(e)) : MISSING)),
      ],
    })),
  };
}

/** Entries with host work (training throughput): each run's rate, and speedups over the first run. */
export function throughputTable(group: ComparedGroup, runs: Run[]): Table | null {
  const entries = group.entries.filter((c) => c.entries.some((e) => e?.hostWork));
  if (entries.length === 0) return null;
  const header = ['entry', 'shape', ...runs.map((r) => `${r.label} rate`), ...runs.slice(1).map((r) => `${r.label} speedup`)];
  return {
    header,
    numeric: header.map((_, i) => i >= 2),
    rows: entries.map((c) => ({
      key: c.name,
      cells: [
        c.name,
        shapeText(c, runs),
        ...c.entries.map((e) => (e === null ? MISSING : e.hostWork ? formatThroughput(e.hostWork) : '-')),
        ...c.throughputSpeedup.slice(1).map(formatSpeedup),
      ],
    })),
  };
}
