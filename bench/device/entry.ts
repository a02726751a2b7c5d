// Bench entry for machines that have Node but no npm packages (e.g. a borrowed GPU server): bench/device/bundle.sh
// bundles this file with esbuild into one .mjs. esbuild bundles every bench/entries/*.ts for the template-literal
// import below, so the bundle needs only Node and the `webgpu` package's dawn.node beside it (and, for --peers,
// TF.js's WASM binaries: see build.sh).
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodeContext, nodeGpu } from '../../src/runtime/env-node';
import { runBenchWith, type EntryLoaders } from '../core';
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
const result = await runBenchWith(ctx, loaders, options, (line) => process.stderr.write(`[bench] ${line}\n`));
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${formatTable(result)}\n${options.files?.includes('peers') ? `\n${formatPeerTable(result)}\n` : ''}results: ${out}\n`);
process.exit(0);
