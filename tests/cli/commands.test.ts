// list, doctor, grad (against the float64 reference, both models), sweep with shards, and merge, through the
// real binary.
import '../../src/runtime/node-globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { models, presets } from '../../src/models/registry';
import type { LossGradsJson, ParamsJson } from '../../src/engine/types';
import { Random } from '../../src/util/random';
import { relativeError } from '../compare';
import { describeRun, runCli, startCli, tempDir } from './spawn';

const dir = tempDir('commands');
const write = (name: string, value: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
};
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

async function ok(args: string[]) {
  const r = await runCli(args);
  expect(r.code, describeRun(args, r)).toBe(0);
  return r;
}

describe('list and doctor', () => {
  it('list names every preset with its model, and a model\'s config keys', async () => {
    const r = await ok(['list']);
    for (const p of presets) expect(r.stdout).toMatch(new RegExp(`^  ${p.name} +${p.model} +${p.steps} steps  \\S`, 'm'));
    const keys = await ok(['list', '--keys', 'scansnap']);
    for (const key of Object.keys(models.scansnap.schema)) expect(keys.stdout).toMatch(new RegExp(`^  ${key} +default `, 'm'));
  });

  it('doctor names the browser, the flags, the adapter and its limits', async () => {
    const r = await ok(['doctor']);
    expect(r.stdout).toMatch(/^browser: \/\S+/m);
    expect(r.stdout).toMatch(/^flags: .*--enable-unsafe-webgpu/m);
    expect(r.stdout).toMatch(/^adapter: .+\(chrome/m);
    expect(r.stdout).toMatch(/^  maxStorageBufferBindingSize \d+$/m);
  });
});

function flatGrads(g: LossGradsJson): number[] {
  return Object.keys(g.grads).sort().flatMap((k) => (g.grads[k] as number[][]).flat());
}

async function checkGrad(model: 'icl' | 'scansnap', params: ParamsJson, batch: unknown, runtime: string) {
  const paramsPath = write(`${model}-params.json`, params);
  const batchPath = write(`${model}-batch.json`, batch);
  const base = ['grad', '--params', paramsPath, '--batch', batchPath];
  const want = models[model].lossAndGradsReference(params, batch);
  const cpu = await ok([...base, '--backend', 'cpu']);
  expect(JSON.parse(cpu.stdout)).toEqual(JSON.parse(JSON.stringify(want)));
  const gpuOut = join(dir, `${model}-grads.json`);
  const gpu = await ok([...base, '--runtime', runtime, '--out', gpuOut]);
  expect(gpu.stdout).toMatch(/^adapter: /m);
  const got = json(gpuOut) as LossGradsJson;
  expect(Object.keys(got.grads).sort()).toEqual(Object.keys(want.grads).sort());
  expect(Math.abs(got.loss - want.loss) / Math.max(Math.abs(want.loss), 1e-30)).toBeLessThan(1e-5);
  const err = relativeError(flatGrads(got), flatGrads(want));
  expect(err, `${model} gradient relative error`).toBeLessThan(1e-4);
  expect(Math.max(...flatGrads(want).map(Math.abs))).toBeGreaterThan(0); // a check that can fail: gradients are not all zero
}

describe('bench', () => {
  it('measures the adapter limits and the chosen kernels, prints the table and writes the JSON it names', async () => {
    const out = join(dir, 'bench.json');
    const r = await ok(['bench', '--quick', '--repeats', '3', '--warmup', '1', '--files', 'foundation', '--filter', '^sgdUpdate', '--out', out]);
    expect(r.stdout).toMatch(/^adapter: .+/m);
    expect(r.stdout).toMatch(/^peak FMA: [\d.]+ GFLOP\/s/m);
    expect(r.stdout).toContain(`results: ${out}`);
    const result = json(out);
    expect(result.limits.fmaGflops).toBeGreaterThan(0);
    expect(result.entries.length).toBeGreaterThan(0);
    for (const e of result.entries) {
      expect(e.name).toMatch(/^sgdUpdate/);
      expect(e.ms).toBeGreaterThan(0);
      expect(Number.isFinite(e.gflops)).toBe(true);
    }
  });

  // The result file is written after every entry (whole, by rename): a run killed or timed out part-way (a lent
  // GPU's time limit, Ctrl-C) keeps what it finished, marked incomplete.
  it.each(['chrome', 'node'])('killed part-way (SIGKILL), leaves what it finished in its JSON, marked incomplete (%s runtime)', async (runtime) => {
    const out = join(dir, `bench-killed-${runtime}.json`);
    const args = ['bench', '--runtime', runtime, '--quick', '--repeats', '1', '--warmup', '0', '--files', 'foundation,icl,scansnap,transformer', '--out', out];
    const { child, done } = startCli(args);
    // The line that follows an entry's snapshot: the entry is on disk once it is printed. The rest of the run
    // (three more files) takes seconds, the kill milliseconds.
    let stderr = '';
    await new Promise<void>((resolve) => child.stderr!.on('data', (d) => (stderr += d, /\[bench\] gemm 32\^3: [\d.]+ ms of GPU/.test(stderr) && resolve())));
    // Its browser (chrome runtime) must not outlive it: a headless Chrome left running the rest of the entries
    // would hold the machine's cores.
    const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim()).map(Number);
    if (runtime === 'chrome') expect(children.length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    const r = await done;
    expect(r.signal, describeRun(args, r)).toBe('SIGKILL');
    const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    for (let i = 0; i < 100 && children.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(children.filter(alive), 'processes of the killed bench still running after 10 s').toEqual([]);
    const partial = json(out);
    expect(partial.incomplete).toMatch(/^unfinished: \d+ entries timed when this was written; the run did not reach its end$/);
    expect(partial.entries[0].name).toBe('gemm 32^3');
    expect(partial.entries[0].ms).toBeGreaterThan(0);
    expect(partial.entries.some((e: { file: string }) => e.file === 'bench/entries/transformer.ts')).toBe(false);
    expect(partial.limits.fmaGflops).toBeGreaterThan(0);
  });
});

describe('grad: GPU loss and gradients match the float64 reference', () => {
  it('icl (chrome)', async () => {
    const rng = new Random(7, 1);
    const [dX, dY, N, m] = [8, 4, 6, 8];
    const d = dX + dY;
    const matrix = (rows: number, cols: number, scale: number) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.range(-scale, scale)));
    const params: ParamsJson = { model: 'icl', params: { W_Q: matrix(d, d, 0.5), W_K: matrix(d, d, 0.5), W_V: matrix(d, d, 0.5), W_O: matrix(m, d, 1) } };
    const column = (label: number) => [...Array.from({ length: dX }, () => rng.range(-1, 1)), label, ...new Array(dY - 1).fill(0)];
    const prompts = Array.from({ length: 16 }, () => ({
      P: [...Array.from({ length: N }, () => column(rng.sign())), column(0)],
      z: rng.sign(),
    }));
    await checkGrad('icl', params, { prompts }, 'chrome');
  });

  it('scansnap (node runtime)', async () => {
    const rng = new Random(8, 1);
    const M = 3 + 2 * 3 + 2 + 2; // numCommon + K·distinctPerNext + numQuery + K
    const L = 8;
    const matrix = () => Array.from({ length: M }, () => Array.from({ length: M }, () => rng.range(-1, 1)));
    const params: ParamsJson = { model: 'scansnap', params: { Y: matrix(), Z: matrix() } };
    const sequences = Array.from({ length: 8 }, () => ({ context: Array.from({ length: L - 1 }, () => rng.int(M)), query: rng.int(M), next: rng.int(M) }));
    await checkGrad('scansnap', params, { sequences }, 'node');
  });
});

describe('sweep with shards, then merge (the same runs as the unsharded sweep)', () => {
  // Scan & Snap (the train tests cover ICL): etaY is per replica, L one value per trainer.
  const sweep = write('sweep.json', {
    model: 'scansnap',
    config: { numCommon: 3, distinctPerNext: 3, batch: 8, steps: 10, metricsEvery: 5, seed: 3 },
    grid: { etaY: [1, 10], L: [8, 12] },
  });
  // Node's runtime (Dawn) for all three sweeps: it starts a run 2 s sooner than Chrome. The bit-for-bit comparison
  // needs one runtime: the GPU gives both the same bits, but the attention metrics are computed in float64 by the JS
  // engine, and Chrome's and Node's Math.exp/log differ in the last bit (entropy 0.7785270379390061 vs ...060).
  // The train tests take the CLI through Chrome.
  const NODE = ['--runtime', 'node'];
  const shard1 = join(dir, 'shard1');
  const shard2 = join(dir, 'shard2');

  it('each shard runs its packs; merge joins them into one table and figure', async () => {
    const plan = await ok(['sweep', sweep, '--shard', '1/2', '--plan']);
    expect(plan.stdout).toMatch(/^  pack-0 \(shard 1\/2\): 2 replica\(s\), seeds 3\.\.4, 10 steps, etaY∈\{1,10\} per replica L=8$/m);
    expect(plan.stdout).toMatch(/^  pack-1 \(shard 2\/2\): 2 replica\(s\), seeds 5\.\.6, 10 steps, etaY∈\{1,10\} per replica L=12$/m);
    expect(plan.stdout).not.toMatch(/adapter:/);
    const r1 = await ok(['sweep', sweep, '--shard', '1/2', ...NODE, '--out', shard1]);
    expect(r1.stdout).toMatch(/4 runs \(4 grid point\(s\) × 1 seed\(s\)\) in 2 pack\(s\); shard 1\/2 has 1/);
    await ok(['sweep', sweep, '--shard', '2/2', ...NODE, '--out', shard2]);
    const rows1 = json(join(shard1, 'results.json')).rows;
    const rows2 = json(join(shard2, 'results.json')).rows;
    // L is one value per trainer, etaY one per replica: a pack per L, etaY packed into replicas.
    expect(rows1.map((r: Record<string, number>) => [r.L, r.etaY, r.replica, r.seed])).toEqual([[8, 1, 0, 3], [8, 10, 1, 4]]);
    expect(rows2.map((r: Record<string, number>) => [r.L, r.etaY, r.replica, r.seed])).toEqual([[12, 1, 0, 5], [12, 10, 1, 6]]);
    expect(json(join(shard1, 'pack-0', 'config.json'))).toMatchObject({ L: 8, etaY: [1, 10], replicas: 2, seed: 3 });

    const partial = await ok(['merge', shard1, '--out', join(dir, 'partial')]);
    expect(partial.stdout).toMatch(/2 of 4 runs .*\(2 missing/);
    const merged = join(dir, 'merged');
    const m = await ok(['merge', shard1, shard2, '--out', merged]);
    expect(m.stdout).toMatch(/4 of 4 runs/);
    const csv = readFileSync(join(merged, 'results.csv'), 'utf8').trim().split('\n');
    const header = csv[0].split(',');
    expect(header.slice(0, 7)).toEqual(['point', 'seedIndex', 'pack', 'replica', 'seed', 'etaY', 'L']);
    expect(csv).toHaveLength(5);
    const entropyColumn = header.indexOf('entropy');
    expect(entropyColumn).toBeGreaterThan(0);
    for (const line of csv.slice(1)) {
      // distinct entropy in nats: at most ln(distinctPerNext) = ln 3
      const entropy = Number(line.split(',')[entropyColumn]);
      expect(entropy).toBeGreaterThan(0);
      expect(entropy).toBeLessThanOrEqual(Math.log(3) + 1e-6);
    }
    expect(readFileSync(join(merged, 'results.svg'), 'utf8')).toMatch(/^<svg[^]*entropy vs etaY/);

    // Packs are formed before sharding: the whole sweep in one go gives the same runs, bit for bit.
    const whole = join(dir, 'whole');
    await ok(['sweep', sweep, ...NODE, '--out', whole]);
    expect(json(join(whole, 'results.json')).rows).toEqual(json(join(merged, 'results.json')).rows);
  });
});
