// Page side of the bench for Node drivers: the harness page calls runBenchInPage through HarnessSession.call, and
// progress lines go to Node through the call's report channel. The bench page (bench.html) runs the same core in
// its worker.
import { getContext } from '../src/runtime/context';
import type { JobIO } from '../src/experiments/job';
import { runBenchWith } from './core';
import { browserEntryLoaders } from './browserEntries';
import type { BenchOptions, BenchProgress, BenchResult } from './types';

export async function runBenchInPage(options: Partial<BenchOptions>, io: JobIO): Promise<BenchResult> {
  const log = (line: string) => io.report({ kind: 'bench-progress', line });
  // The run so far after each entry, which the driver keeps on disk until the run ends.
  const progress = ({ partial }: BenchProgress) => partial && io.report({ kind: 'bench-partial', result: partial });
  return runBenchWith(await getContext(), browserEntryLoaders, options, log, { progress });
}
