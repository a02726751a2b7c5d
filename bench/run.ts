// Node entry of the bench: runs it in headless Chrome (the harness page, default) or in Node through Dawn,
// prints the table and writes the JSON result. `onelayer bench` and bench/main.ts call runBench.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EntryLoaders } from './core';
import { validateOptions, type BenchCommandOptions } from './options';
import { formatTable } from './format';
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

async function runInChrome(options: BenchOptions, progress: (line: string) => void): Promise<BenchResult> {
  // Imported here so that the Node runtime needs neither puppeteer nor vite (e.g. on a GPU machine with Node only).
  const { openHarness } = await import('../src/harness/launcher');
  const harness = await openHarness();
  try {
    harness.session.onReport((event) => {
      if (event.kind === 'bench-progress') progress(String(event.line));
    });
    return await harness.session.call<BenchResult>('/bench/page.ts', 'runBenchInPage', options);
  } finally {
    await harness.close();
  }
}

async function runInNode(options: BenchOptions, progress: (line: string) => void): Promise<BenchResult> {
  // Imported only here: the runtime's modules need the WebGPU globals that env-node installs.
  const { createNodeContext, releaseNodeGpu } = await import('../src/runtime/env-node');
  const ctx = await createNodeContext();
  const { runBenchWith } = await import('./core');
  try {
    return await runBenchWith(ctx, nodeEntryLoaders(), options, progress);
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
  const result = runtime === 'chrome' ? await runInChrome(benchOptions, progress) : await runInNode(benchOptions, progress);
  const path = resolve(options.out ?? defaultResultPath());
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  print(formatTable(result));
  print(`results: ${path}`);
  return { result, path };
}
