// Node entry of the bench: runs it in headless Chrome (the harness page, default) or in Node through Dawn,
// prints the table and writes the JSON result. `onelayer bench` and bench/main.ts call runBench.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EntryLoaders } from './core';
import { validateOptions, type BenchCommandOptions } from './options';
import { formatTable } from './format';
import { writeFileAtomic } from '../src/cli/files';
import type { BenchOptions, BenchResult } from './types';

/**
 * runtime: 'chrome' (default) runs in headless Chrome through src/harness/launcher.ts, 'node' through Dawn in
 * this process. out: the JSON path, default bench/results/<timestamp>.json.
 */
export interface RunBenchOptions extends BenchCommandOptions {
  /** Where the table and progress go (default: stdout and stderr). */
  print?: (text: string) => void;
  progress?: (line: string) => void;
}

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES_DIR = join(projectRoot, 'bench', 'entries');

/** Every bench/entries/*.ts, the Node counterpart of bench/page.ts's import.meta.glob. */
export function nodeEntryLoaders(dir = ENTRIES_DIR): EntryLoaders {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [f.slice(0, -3), () => import(pathToFileURL(join(dir, f)).href)]),
  );
}

/** Where a run's result goes as it grows: the run so far (marked incomplete) after each entry, then the whole. */
type Save = (result: BenchResult) => void;

async function runInChrome(options: BenchOptions, progress: (line: string) => void, save: Save): Promise<BenchResult> {
  // Imported here so that the Node runtime needs neither puppeteer nor vite (e.g. on a GPU machine with Node only).
  const { openHarness } = await import('../src/harness/launcher');
  // A pipe instead of a WebSocket: Chrome exits with this process even when it is killed outright (a timed-out
  // or SIGKILLed bench would otherwise leave a headless Chrome running the rest of its entries).
  const harness = await openHarness(undefined, { pipe: true });
  try {
    harness.session.onReport((event) => {
      if (event.kind === 'bench-partial') save(event.result as BenchResult);
      if (event.kind === 'bench-progress') progress(String(event.line));
    });
    return await harness.session.call<BenchResult>('/bench/page.ts', 'runBenchInPage', options);
  } finally {
    await harness.close();
  }
}

async function runInNode(options: BenchOptions, progress: (line: string) => void, save: Save): Promise<BenchResult> {
  // Imported only here: the runtime's modules need the WebGPU globals that env-node installs.
  const { createNodeContext, releaseNodeGpu } = await import('../src/runtime/env-node');
  const ctx = await createNodeContext();
  const { runBenchWith, BenchRunError } = await import('./core');
  try {
    return await runBenchWith(ctx, nodeEntryLoaders(), options, progress, { progress: ({ partial }) => partial && save(partial) });
  } catch (e) {
    if (e instanceof BenchRunError) save(e.partial); // what finished, with the failure in its `incomplete`
    throw e;
  } finally {
    ctx.pool.destroy();
    ctx.device.destroy();
    releaseNodeGpu();
  }
}

const stamp = (date: Date) => date.toISOString().replace(/[:.]/g, '-');

export function defaultResultPath(date = new Date()): string {
  return join(projectRoot, 'bench', 'results', `${stamp(date)}.json`);
}

/** Where `onelayer bench report` writes without --out (its SVG charts go beside it). */
export function defaultReportPath(date = new Date()): string {
  return join(projectRoot, 'bench', 'results', `report-${stamp(date)}.md`);
}

export async function runBench(options: RunBenchOptions = {}): Promise<{ result: BenchResult; path: string }> {
  const runtime = options.runtime ?? 'chrome';
  if (runtime !== 'chrome' && runtime !== 'node') throw new RangeError(`bench: runtime = ${String(runtime)}; allowed: chrome, node`);
  const benchOptions = validateOptions({ repeats: options.repeats, warmup: options.warmup, quick: options.quick, filter: options.filter, files: options.files, tune: options.tune });
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const progress = options.progress ?? ((line: string) => process.stderr.write(`[bench] ${line}\n`));
  const path = resolve(options.out ?? defaultResultPath());
  // Written whole (temporary file, then rename) after the limits and after every entry, so that a run killed or
  // timed out part-way leaves what it finished, marked incomplete; the finished run replaces it.
  let saved = false;
  const save = (r: BenchResult) => {
    writeFileAtomic(path, `${JSON.stringify(r, null, 2)}\n`);
    saved = true;
  };
  let result: BenchResult;
  try {
    result = runtime === 'chrome' ? await runInChrome(benchOptions, progress, save) : await runInNode(benchOptions, progress, save);
  } catch (e) {
    if (saved) progress(`the run did not finish; what it finished is in ${path} (marked incomplete)`);
    throw e;
  }
  save(result);
  print(formatTable(result));
  print(`results: ${path}`);
  return { result, path };
}
