// Bench entry for machines that have Node but no npm packages (e.g. a borrowed GPU server): bench/device/bundle.sh
// bundles this file with esbuild into one .mjs. esbuild bundles every bench/entries/*.ts for the template-literal
// import below, so the bundle needs only Node and the `webgpu` package's dawn.node beside it (and, for --peers,
// TF.js's WASM binaries: see build.sh).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeContext, nodeGpu } from '../../src/runtime/env-node';
import { BenchRunError, runBenchWith, type EntryLoaders } from '../core';
import type { BenchResult } from '../types';
import { writeFileAtomic } from '../../src/cli/files';
import { formatTable } from '../format';
import { formatPeerTable } from '../peers/table';
import { parseBenchArgs } from '../options';

const entriesDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'entries');
const loaders: EntryLoaders = Object.fromEntries(
  readdirSync(entriesDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .map((name) => [name, () => import(`../entries/${name}.ts`)]),
);

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args.splice(outIndex, 2)[1] : 'bench-device.json';
const options = parseBenchArgs(args);
const ctx = await createNodeContext();
// TF.js's WebGPU backend (the --peers rows) asks navigator.gpu for its adapter: Dawn's, as onelayer's.
if (!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) {
  Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu: nodeGpu() }, configurable: true });
}
// The run so far is written after every entry (whole, by rename): a part of speed.sh stopped by its time limit
// keeps what it finished, marked incomplete.
const save = (r: BenchResult) => writeFileAtomic(out, `${JSON.stringify(r, null, 2)}\n`);
let result: BenchResult;
try {
  result = await runBenchWith(ctx, loaders, options, (line) => process.stderr.write(`[bench] ${line}\n`), {
    progress: ({ partial }) => partial && save(partial),
  });
} catch (e) {
  if (e instanceof BenchRunError) save(e.partial);
  const kept = e instanceof BenchRunError ? `; what finished is in ${out} (marked incomplete)` : '';
  process.stderr.write(`[bench] failed: ${(e as Error).message}${kept}\n`);
  process.exit(1);
}
save(result);
process.stdout.write(`${formatTable(result)}\n${options.files?.includes('peers') ? `\n${formatPeerTable(result)}\n` : ''}results: ${out}\n`);
process.exit(0);
