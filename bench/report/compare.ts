// Several bench results side by side (other adapters, other runtimes, other days): entries matched by file and
// name, speedups against the first run, and entries that one run lacks kept as such. The page's compare view
// and `onelayer bench report` both draw this.
import type { EntryResult } from '../types';
import type { LoadedBench } from './schema';

export interface Run extends LoadedBench {
  /** A, B, C, ...: short names for tables and charts. */
  label: string;
}

/** How charts name a run. */
export type RunName = Pick<Run, 'label' | 'source'>;

export interface ComparedEntry {
  file: string;
  name: string;
  /** Per run, in run order: the entry, or null where that run has none (another mode, filter, or version). */
  entries: (EntryResult | null)[];
  /** Per run: the first run's kernel time over this run's (above 1: faster); null where either lacks one. */
  kernelSpeedup: (number | null)[];
  /** Per run: this run's host-work rate over the first run's; null where either lacks one or the units differ. */
  throughputSpeedup: (number | null)[];
  /** The runs that have the entry do not all give it the same shape (e.g. replicas chosen per adapter). */
  shapesDiffer: boolean;
}

export interface ComparedGroup {
  /** bench/entries/<name>.ts */
  file: string;
  entries: ComparedEntry[];
}

export interface Comparison {
  runs: Run[];
  groups: ComparedGroup[];
  /** Per run: its FMA peak and bandwidth roof over the first run's. */
  limitRatios: { fma: number; copy: number }[];
}

function runLabel(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : `R${index + 1}`;
}

export function labelRuns(loaded: LoadedBench[]): Run[] {
  return loaded.map((l, i) => ({ ...l, label: runLabel(i) }));
}

/** Entries of several runs matched by file and name, grouped by file (files in name order, entries in the order the runs list them). */
export function compareEntries(lists: EntryResult[][]): ComparedGroup[] {
  const byKey = new Map<string, ComparedEntry>();
  lists.forEach((entries, r) => {
    for (const e of entries) {
      const key = JSON.stringify([e.file, e.name]);
      let compared = byKey.get(key);
      if (!compared) {
        compared = { file: e.file, name: e.name, entries: lists.map(() => null), kernelSpeedup: [], throughputSpeedup: [], shapesDiffer: false };
        byKey.set(key, compared);
      }
      compared.entries[r] = e;
    }
  });
  const groups = new Map<string, ComparedEntry[]>();
  for (const compared of byKey.values()) {
    const [base] = compared.entries;
    compared.kernelSpeedup = compared.entries.map((e) => (base?.ms !== undefined && e?.ms !== undefined ? base.ms / e.ms : null));
    compared.throughputSpeedup = compared.entries.map((e) =>
      base?.hostWork && e?.hostWork && base.hostWork.unit === e.hostWork.unit ? e.hostWork.perSecond / base.hostWork.perSecond : null,
    );
    compared.shapesDiffer = new Set(compared.entries.filter((e) => e !== null).map((e) => e.shape)).size > 1;
    if (!groups.has(compared.file)) groups.set(compared.file, []);
    groups.get(compared.file)!.push(compared);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([file, entries]) => ({ file, entries }));
}

export function compareRuns(runs: Run[]): Comparison {
  const base = runs[0].result.limits;
  return {
    runs,
    groups: compareEntries(runs.map((run) => run.result.entries)),
    limitRatios: runs.map((run) => ({ fma: run.result.limits.fmaGflops / base.fmaGflops, copy: run.result.limits.copyGBps / base.copyGBps })),
  };
}
