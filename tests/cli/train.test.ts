// onelayer train end to end through the real binary: the run folder's contents, Ctrl-C and SIGKILL followed by
// --resume ending with the same parameter bits as an uninterrupted run, eval of a run, and a diverging run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iclSchema } from '../../src/models/icl/config';
import { describeRun, runCli, tempDir, type CliResult } from './spawn';
import { expectSameRun, interruptAfterCheckpoint } from './runs';

const dir = tempDir('train');
const config = join(dir, 'tiny.json');
// Long enough that a resumed run is still going after a later checkpoint (ICL trains ~25 steps/s on SwiftShader).
const STEPS = 100;
writeFileSync(config, JSON.stringify({ model: 'icl', dX: 12, dY: 4, M1: 4, M2: 8, N: 8, m: 16, batch: 32, testSize: 128, NTest: 8, eta: [5, 8], replicas: 2, steps: STEPS, metricsEvery: 5, evalTest: false }));
const common = [config, '--checkpoint-every', '5'];

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

function expectOk(args: string[], r: CliResult): void {
  expect(r.code, describeRun(args, r)).toBe(0);
}

async function train(args: string[]): Promise<CliResult> {
  const r = await runCli(args);
  expectOk(args, r);
  return r;
}

describe('onelayer train (chrome)', () => {
  const reference = join(dir, 'reference');

  it('writes a complete run folder', async () => {
    const r = await train(['train', ...common, '--out', reference]);
    expect(r.stdout).toMatch(/^adapter: .+\(chrome/m);
    expect(r.stdout).toMatch(new RegExp(`step +${STEPS}/${STEPS} .*steps/s`));
    expect(r.stdout).toContain(`results: ${reference}`);

    const resolved = json(join(reference, 'config.json'));
    for (const key of Object.keys(iclSchema)) expect(resolved, `config.json lacks ${key}`).toHaveProperty(key);
    expect(resolved).toMatchObject({ model: 'icl', eta: [5, 8], replicas: 2, steps: STEPS, checkpointEvery: 5 });

    const records = readFileSync(join(reference, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const trainRecords = records.filter((r) => 'loss' in r);
    expect(trainRecords.map((r) => `${r.step}/${r.replica}`)).toEqual(
      Array.from({ length: STEPS / 5 }, (_, i) => [`${5 * (i + 1)}/0`, `${5 * (i + 1)}/1`]).flat(),
    );
    for (const r of trainRecords) expect(Number.isFinite(r.loss)).toBe(true);

    const checkpoint = json(join(reference, 'checkpoint.json'));
    expect(checkpoint).toMatchObject({ format: 'onelayer-checkpoint/1', model: 'icl', step: STEPS });
    expect(checkpoint.replicas).toHaveLength(2);
    expect(checkpoint.replicas[0].W_O).toHaveLength(16);
    expect(checkpoint.replicas[0].W_Q[0]).toHaveLength(16);
    const params = json(join(reference, 'params.json'));
    expect(params.model).toBe('icl');
    expect(params.replicas).toEqual(checkpoint.replicas);

    const summary = json(join(reference, 'summary.json'));
    expect(summary).toMatchObject({ status: 'complete', step: STEPS, runtime: 'chrome' });
    expect(summary.adapter).toMatch(/\(chrome/);
    expect(summary.evaluation).toHaveLength(2);
    // Both replicas learn: unseen-task hinge loss falls well below its start near 1, and so does the error.
    for (const e of summary.evaluation) {
      expect(e.testHinge).toBeLessThan(0.7);
      expect(e.testError).toBeLessThan(0.35);
    }
    const figures = (summary.files as string[]).filter((f) => f.endsWith('.svg'));
    expect(figures.length).toBeGreaterThan(0);
    for (const f of figures) expect(readFileSync(f, 'utf8')).toMatch(/^<svg[^]*<path|^<svg[^]*<polyline/);
  });

  it('Ctrl-C stops at a checkpoint; --resume, killed outright after a later checkpoint, and --resume again end with the same bits', async () => {
    const out = join(dir, 'interrupted');
    const first = await interruptAfterCheckpoint(['train', ...common, '--out', out], out, 0, STEPS, 'SIGINT');
    expect(first.at, describeRun(['train'], first.result)).toBeGreaterThan(0);
    expect(first.result.code, describeRun(['train'], first.result)).toBe(130);
    expect(first.result.stdout).toMatch(/stopped at step \d+ \(checkpoint saved\); continue with: onelayer train --resume/);
    expect(json(join(out, 'summary.json')).status).toBe('stopped');
    const stoppedAt = json(join(out, 'checkpoint.json')).step as number;
    expect(stoppedAt).toBeLessThan(STEPS);

    const second = await interruptAfterCheckpoint(['train', '--resume', out], out, stoppedAt, STEPS, 'SIGKILL');
    expect(second.at, describeRun(['train', '--resume'], second.result)).toBeGreaterThan(stoppedAt);
    expect(second.result.signal).toBe('SIGKILL');
    expect(second.result.stdout).toMatch(new RegExp(`resuming at step ${stoppedAt}`));

    await train(['train', '--resume', out]);
    expectSameRun(reference, out);
  });

  it('eval evaluates the last checkpoint under changed settings', async () => {
    const out = join(dir, 'eval-ood');
    const args = ['eval', reference, '--set', 'alphaTest=0.5', '--out', out];
    const r = await runCli(args);
    expectOk(args, r);
    expect(r.stdout).toMatch(/^adapter: /m);
    const summary = json(join(out, 'summary.json'));
    expect(summary).toMatchObject({ step: STEPS, overrides: { alphaTest: 0.5 } });
    expect(summary.evaluation).toHaveLength(2);
    for (const e of summary.evaluation) expect(e.testError).toBeGreaterThanOrEqual(0);
    // A different test distribution gives different numbers than the run's own evaluation.
    expect(summary.evaluation).not.toEqual(json(join(reference, 'summary.json')).evaluation);
  });

  it('eval refuses a setting that changes tensor shapes, as bad input and before any GPU work', async () => {
    const args = ['eval', reference, '--set', 'm=20'];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(2);
    expect(r.stderr).toMatch(/W_O is 16 x 16, but this config makes it 20 x 16; settings that change tensor shapes cannot be changed for a saved run/);
    expect(r.stdout + r.stderr).not.toMatch(/^adapter: /m);
  });
});

describe('onelayer train (node runtime)', () => {
  it('a diverging replica stops the run, naming the step and the replica', async () => {
    const out = join(dir, 'diverged');
    const args = ['train', config, '--set', 'eta=[5,1e30]', '--runtime', 'node', '--out', out];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(1);
    expect(r.stderr).toMatch(/became (NaN|Infinity|-Infinity) at step \d+ in replica 1/);
    expect(json(join(out, 'summary.json')).status).toBe('diverged');
  });
});
