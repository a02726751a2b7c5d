// A transformer run through the real binary, killed outright (SIGKILL) after a checkpoint and resumed, ends with the
// same bits as an uninterrupted run: parameters, AdamW's moments and step, the dropout stream (drawn from the GPU's
// step counter) and the metrics file, attention maps included.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, runCli, tempDir } from './spawn';
import { expectSameRun, interruptAfterCheckpoint } from './runs';

const dir = tempDir('transformer-resume');
const config = join(dir, 'tiny.json');
// Long enough that the run is still going after its first checkpoint however fast the adapter (checkpoints every 4).
const STEPS = 48;
writeFileSync(config, JSON.stringify({
  model: 'transformer', data: 'repeat', V: 12, T: 8, dModel: 12, nHeads: 3, dFF: 20, nLayers: 2, norm: 'pre', activation: 'gelu',
  causal: true, posEncoding: 'learned', dropout: 0.1, optimizer: 'adamw', lr: [3e-3, 1e-2], replicas: 2, batch: 4, evalSize: 4,
  sampleSize: 1, mapEvery: 8, steps: STEPS, metricsEvery: 4,
}));
// Node's runtime (Dawn): the ICL resume tests in train.test.ts go through Chrome; this one is about the transformer's
// state (AdamW, the dropout stream, maps), which no runtime touches, and Node starts a run 2 s sooner.
const common = [config, '--checkpoint-every', '4', '--no-tune', '--runtime', 'node'];

describe('onelayer train: transformer', () => {
  it('killed after a checkpoint and resumed, ends with the same bits as an uninterrupted run', async () => {
    const reference = join(dir, 'reference');
    const args = ['train', ...common, '--out', reference];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(0);
    const maps = readdirSync(join(reference, 'artifacts')).sort();
    expect(maps).toEqual(Array.from({ length: STEPS / 8 + 1 }, (_, i) => `step-${8 * i}.json`).sort());

    const out = join(dir, 'killed');
    const killed = await interruptAfterCheckpoint(['train', ...common, '--out', out], out, 0, STEPS, 'SIGKILL');
    expect(killed.at, describeRun(['train'], killed.result)).toBeGreaterThan(0);
    expect(killed.result.signal).toBe('SIGKILL');
    // The run may have saved one more checkpoint before the signal landed: resume from what is on disk.
    const savedAt = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')).step as number;
    expect(savedAt).toBeLessThan(STEPS);
    const resumeArgs = ['train', '--resume', out, '--runtime', 'node'];
    const resumed = await runCli(resumeArgs);
    expect(resumed.code, describeRun(resumeArgs, resumed)).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`resuming at step ${savedAt}`));
    expectSameRun(reference, out);
    expect(readFileSync(join(out, 'artifacts', `step-${STEPS}.json`), 'utf8')).toBe(readFileSync(join(reference, 'artifacts', `step-${STEPS}.json`), 'utf8'));
  });
});
