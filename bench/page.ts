// Page side of the bench for Node drivers: the harness page calls runBenchInPage through HarnessSession.call, and
// progress lines go to Node through the call's report channel. The bench page (bench.html) runs the same core in
// its worker.
import { getContext } from '../src/runtime/context';
import type { JobIO } from '../src/experiments/job';
import { runBenchWith } from './core';
import { browserEntryLoaders } from './browserEntries';
import type { BenchOptions, BenchResult } from './types';

export async function runBenchInPage(options: Partial<BenchOptions>, io: JobIO): Promise<BenchResult> {
  return runBenchWith(await getContext(), browserEntryLoaders, options, (line) => io.report({ kind: 'bench-progress', line }));
}
