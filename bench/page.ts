// Page side of the bench: the harness page calls runBenchInPage through HarnessSession.call; entry modules are
// every bench/entries/*.ts, found by vite at build time, and progress lines go to Node through report().
import { getContext } from '../src/runtime/context';
import { report } from '../src/harness/report';
import { runBenchWith, type EntryLoaders } from './core';
import type { BenchOptions, BenchResult } from './types';

const modules = import.meta.glob('/bench/entries/*.ts');

const loaders: EntryLoaders = Object.fromEntries(
  Object.entries(modules).map(([path, load]) => [path.replace(/^.*\//, '').replace(/\.ts$/, ''), load]),
);

export async function runBenchInPage(options: Partial<BenchOptions>): Promise<BenchResult> {
  return runBenchWith(await getContext(), loaders, options, (line) => report({ kind: 'bench-progress', line }));
}
