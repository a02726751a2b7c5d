// Scan & Snap on a GPU machine with Node but no npm (Dawn, as bench/device/bundle.sh packs it): GPU vs float64
// gradients (up to the grid's largest shapes), the Syn-Small loss log, the grid group's throughput at R = 160 (batchSource
// gpu and cpu) and the host sequence generator's, and the full Syn-Medium grid; writes $OUT/grid.json and $OUT/log.txt.
// Bundle: node_modules/.bin/esbuild src/models/scansnap/device-check.node.ts --bundle --platform=node \
//   --format=esm --target=node20 --external:webgpu --outfile=.gl/bundle/scansnap.mjs
import { writeFileSync } from 'node:fs';
import { createNodeContext } from '../../runtime/env-node';
import { adapterLine } from '../../runtime/device';
import { scansnapLossAndGradsGpu } from './model';
import { scansnapLossAndGradsReference } from '../../reference/scansnap';
import { runScanSnapGrid } from './grid';
import { scansnapModel, parseScanSnapConfig } from './index';
import { scansnapPresets } from '../../experiments/presets/scansnap';
import { SequenceSampler } from './data';
import { Random } from '../../util/random';

const out = process.env.OUT ?? '.';
const ctx = await createNodeContext();
const log: string[] = [];
const say = (s: string) => { log.push(s); console.log(s); };
say(`adapter: ${adapterLine(ctx.adapter)}`);

function rel(a: ArrayLike<number>, b: ArrayLike<number>) {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { if (!Number.isFinite(a[i])) return Infinity; d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return Math.sqrt(d / Math.max(n, 1e-300));
}
for (const c of [{ R: 3, M: 7, B: 6, L: 9, vocab: 3 }, { R: 2, M: 70, B: 5, L: 33, vocab: 70 }, { R: 4, M: 240, B: 32, L: 128, vocab: 20 }]) {
  const rng = new Random(c.M);
  const n = c.R * c.M * c.M;
  const Y = Float32Array.from({ length: n }, () => rng.range(-1, 1));
  const Z = Float32Array.from({ length: n }, () => rng.range(-1, 1));
  const ids = new Uint32Array(c.R * c.B * (c.L + 1));
  for (let s = 0; s < c.R * c.B; s++) {
    for (let t = 0; t < c.L - 1; t++) ids[s * (c.L + 1) + t] = rng.int(c.vocab);
    ids[s * (c.L + 1) + c.L - 1] = rng.int(c.M);
    ids[s * (c.L + 1) + c.L] = rng.int(c.M);
  }
  const got = await scansnapLossAndGradsGpu(ctx, { replicas: c.R, M: c.M, batch: c.B, L: c.L, Y, Z, ids });
  const mm = c.M * c.M;
  let worst = { loss: 0, dY: 0, dZ: 0 };
  for (let r = 0; r < c.R; r++) {
    const w = scansnapLossAndGradsReference(c.M, Y.subarray(r * mm), Z.subarray(r * mm), ids.subarray(r * c.B * (c.L + 1)), c.B, c.L);
    worst = {
      loss: Math.max(worst.loss, Math.abs(got.loss[r] - w.loss) / w.loss),
      dY: Math.max(worst.dY, rel(got.dY.subarray(r * mm, (r + 1) * mm), w.dY)),
      dZ: Math.max(worst.dZ, rel(got.dZ.subarray(r * mm, (r + 1) * mm), w.dZ)),
    };
  }
  say(`gradients R=${c.R} M=${c.M} B=${c.B} L=${c.L}: relative errors loss ${worst.loss.toExponential(2)}, dY ${worst.dY.toExponential(2)}, dZ ${worst.dZ.toExponential(2)}`);
}

const small = scansnapPresets.find((p) => p.name === 'scansnap-small')!;
const trainer = await scansnapModel.createTrainer(ctx, parseScanSnapConfig(small.config));
let t0 = performance.now();
const records = await trainer.train(100, { metricsEvery: 1 });
say(`scansnap-small 100 steps (R=2) in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
for (const r of [0, 1]) {
  const loss = records.filter((x) => x.replica === r).map((x) => x.loss);
  say(`  replica ${r}: loss at paper steps 0, 4, 98: ${[0, 4, 98].map((s) => loss[s].toExponential(3)).join(', ')}; final entropy ${records.filter((x) => x.replica === r)[99].entropy.toFixed(4)}`);
}
trainer.destroy();

// Throughput of the grid's largest group, R = 160, without metrics, with sequences generated on the GPU and on the host.
for (const batchSource of ['gpu', 'cpu']) {
  const big = await scansnapModel.createTrainer(ctx, parseScanSnapConfig({ numQuery: 10, nextPerQuery: 2, replicas: 160, init: 'uniform', metricsEvery: 0, trackNext: 0, batchSource }));
  await big.train(3, { metricsEvery: 0 });
  await ctx.device.queue.onSubmittedWorkDone();
  t0 = performance.now();
  await big.train(20, { metricsEvery: 0 });
  await ctx.device.queue.onSubmittedWorkDone();
  const s = (performance.now() - t0) / 1000;
  say(`grid group numQuery 10, R=160, batchSource ${batchSource}: ${(20 / s).toFixed(2)} steps/s = ${(20 * 160 / s).toFixed(0)} run-steps/s`);
  big.destroy();
}
const sampler = new SequenceSampler(parseScanSnapConfig({ numQuery: 10, nextPerQuery: 2 }));
const host = new Uint32Array(160 * 128 * 129);
t0 = performance.now();
for (let i = 0; i < 5; i++) sampler.step(host, 160, 128, 0, i);
say(`host sequence generation for R=160: ${((performance.now() - t0) / 5).toFixed(1)} ms per step`);

const grid = await runScanSnapGrid(ctx);
say(`full grid: ${grid.totalSeconds.toFixed(1)} s; groups ${grid.seconds.map((g) => `${g.numQuery}: ${g.seconds.toFixed(1)} s`).join(', ')}`);
writeFileSync(`${out}/grid.json`, JSON.stringify(grid, null, 1));
writeFileSync(`${out}/log.txt`, log.join('\n') + '\n');
process.exit(0);
