// `onelayer grad --params P.json --batch B.json` with nothing else: every shape comes from the two files (SPEC §3
// files describe themselves). Random shapes through the real binary against the float64 reference, and files
// that disagree with each other as bad input.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { models } from '../../src/models/registry';
import type { LossGradsJson, ParamsJson } from '../../src/engine/types';
import { Random } from '../../src/util/random';
import { relativeError } from '../compare';
import { describeRun, runCli, tempDir } from './spawn';
import { projectRoot } from '../../src/harness/launcher';

const dir = tempDir('grad-files');
let files = 0;
const write = (value: unknown) => {
  const path = join(dir, `f${files++}.json`);
  writeFileSync(path, JSON.stringify(value));
  return path;
};

function flat(g: LossGradsJson): number[] {
  return Object.keys(g.grads).sort().flatMap((k) => (g.grads[k] as number[][]).flat());
}

/**
 * Shapes are the runtime's business as little as the files': the first seed runs in the default runtime (Chrome),
 * the others in Node's (Dawn; a CLI run starts in about 0.7 s there against 3 s through Chrome).
 */
const runtimeFlags = (seed: number) => (seed === 1 ? [] : ['--runtime', 'node']);

/** Runs `onelayer grad` with no other flag than the runtime and compares with the float64 reference of the same files. */
async function gradMatchesReference(model: 'icl' | 'scansnap', params: ParamsJson, batch: unknown, what: string, runtime: string[]) {
  const out = join(dir, `grads${files++}.json`);
  const args = ['grad', '--params', write(params), '--batch', write(batch), '--out', out, ...runtime];
  const r = await runCli(args);
  expect(r.code, describeRun(args, r)).toBe(0);
  const got = JSON.parse(readFileSync(out, 'utf8')) as LossGradsJson;
  const want = models[model].lossAndGradsReference(params, batch);
  expect(Object.keys(got.grads).sort()).toEqual(Object.keys(want.grads).sort());
  expect(Math.abs(got.loss - want.loss), `${what}: loss`).toBeLessThanOrEqual(1e-5 * Math.max(Math.abs(want.loss), 1e-3));
  const scale = Math.max(...flat(want).map(Math.abs));
  if (scale > 0) expect(relativeError(flat(got), flat(want)), `${what}: gradients`).toBeLessThan(1e-4);
  else expect(flat(got).every((v) => v === 0), `${what}: all gradients are zero in float64`).toBe(true);
}

const matrix = (rng: Random, rows: number, cols: number, scale = 1) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.range(-scale, scale)));
const between = (rng: Random, lo: number, hi: number) => lo + rng.int(hi - lo + 1);

describe('grad takes every shape from the files', () => {
  for (const seed of [1, 2, 3]) {
    it(`icl, random shapes (seed ${seed}${seed === 1 ? '' : ', node runtime'})`, async () => {
      const rng = new Random(seed, 40);
      const [dX, dY, dA, dV, m, N] = [between(rng, 2, 9), between(rng, 1, 3), between(rng, 1, 7), between(rng, 1, 7), between(rng, 1, 9), between(rng, 1, 6)];
      const d = dX + dY;
      const params: ParamsJson = { model: 'icl', params: { W_Q: matrix(rng, dA, d), W_K: matrix(rng, dA, d), W_V: matrix(rng, dV, d), W_O: matrix(rng, m, dV, 2) } };
      const column = (label: number) => [...Array.from({ length: dX }, () => rng.range(-1, 1)), label, ...new Array(dY - 1).fill(0)];
      const prompts = Array.from({ length: between(rng, 1, 5) }, () => ({ P: [...Array.from({ length: N }, () => column(rng.sign())), column(0)], z: rng.sign() }));
      await gradMatchesReference('icl', params, { prompts }, `dX ${dX}, dY ${dY}, dA ${dA}, dV ${dV}, m ${m}, N ${N}`, runtimeFlags(seed));
    });
  }

  for (const seed of [1, 2, 3]) {
    it(`scansnap, random M and context length, repeated tokens (seed ${seed}${seed === 1 ? '' : ', node runtime'})`, async () => {
      const rng = new Random(seed, 41);
      const M = between(rng, 2, 12);
      const context = between(rng, 1, 9);
      const vocabulary = Math.max(1, Math.min(M, 3)); // contexts drawn from at most 3 tokens: repeats
      const params: ParamsJson = { model: 'scansnap', params: { Y: matrix(rng, M, M), Z: matrix(rng, M, M, 2) } };
      const sequences = Array.from({ length: between(rng, 1, 5) }, () => ({
        context: Array.from({ length: context }, () => rng.int(vocabulary)), query: rng.int(M), next: rng.int(M),
      }));
      await gradMatchesReference('scansnap', params, { sequences }, `M ${M}, context ${context}`, runtimeFlags(seed));
    });
  }

  // SPEC §4: PyTorch's own files (tools/pytorch/transformer_fixtures.py, float64 nn.TransformerEncoderLayer): our
  // GPU loss and gradients from the params and batch alone equal PyTorch's within float32 tolerance.
  for (const [fixture, runtime] of [['lm-pre-gelu-causal-sinusoidal-tied-scaled', []], ['icl-post-relu-full', ['--runtime', 'node']]] as const) {
    it(`transformer, PyTorch's ${fixture}${runtime.length ? ' (node runtime)' : ''}: no other flag, the same loss and gradients as PyTorch`, async () => {
      const f = JSON.parse(readFileSync(join(projectRoot, 'tests', 'fixtures', 'transformer', `${fixture}.json`), 'utf8'));
      const out = join(dir, `grads${files++}.json`);
      const args = ['grad', '--params', write(f.params), '--batch', write(f.batch), '--out', out, ...runtime];
      const r = await runCli(args);
      expect(r.code, describeRun(args, r)).toBe(0);
      const got = JSON.parse(readFileSync(out, 'utf8')) as LossGradsJson;
      const want = f.lossGrads as LossGradsJson;
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
      expect(relativeError(flat(got), flat(want))).toBeLessThan(1e-4);
    });
  }

  it('a pair of files that disagree is bad input (exit 2) naming the tensor and both shapes, before any GPU work', async () => {
    const params = write({ model: 'icl', params: { W_Q: [[1, 0, 0]], W_K: [[0, 1, 0]], W_V: [[1, 1, 1], [0, 0, 1]], W_O: [[1, 1]] } });
    const batch = write({ prompts: [{ P: [[1, 2], [3, 0]], z: -1 }] });
    const r = await runCli(['grad', '--params', params, '--batch', batch]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/prompts\[0\]\.P\[0\] must be 3 finite numbers \(the params' token length: W_Q is 1 × 3\), got 2 entries/);
    expect(r.stdout + r.stderr).not.toMatch(/adapter:/);
  });
});
