// The tuner through the CLI: `onelayer tune` fills the cache and a second run times nothing; a corrupt cache is
// reported and rebuilt; a run records its choices, and a resume keeps them even when the cache has changed
// since, ending bit-identical to the uninterrupted run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, runCli, tempDir } from './spawn';

const dir = tempDir('tune');
const cache = join(dir, 'tuning.json');
const env = { ONELAYER_TUNE_CACHE: cache };
// A tiny transformer: every tuned site of the model with little to compile.
const tiny = ['--set', 'replicas=2', '--set', 'lr=[0.001,0.01]', '--set', 'V=8', '--set', 'T=4', '--set', 'dModel=8', '--set', 'dFF=8', '--set', 'nLayers=1', '--set', 'batch=4', '--set', 'evalSize=4', '--set', 'sampleSize=1'];

async function ok(args: string[]) {
  const r = await runCli(args, undefined, env);
  expect(r.code, describeRun(args, r)).toBe(0);
  return r;
}

describe('onelayer tune, the cache, and recorded choices', () => {
  it('a corrupt cache is reported, not trusted, and rebuilt by tune; a second tune times nothing', async () => {
    writeFileSync(cache, '{"format": "onelayer-tuning/1", "adapters": {"x": [{"site": 1}]}}');
    const first = await ok(['tune', 'transformer-repeat', ...tiny, '--runtime', 'node']);
    expect(first.stdout).toMatch(/tuning cache .*tuning\.json: adapters\["x"\]\[0\] is not a \{site, key, variant\} choice; not used, and rebuilt/);
    const timed = Number(/(\d+) timed now/.exec(first.stdout)?.[1]);
    expect(timed).toBeGreaterThan(3);
    const file = JSON.parse(readFileSync(cache, 'utf8'));
    expect(file.format).toBe('onelayer-tuning/1');
    expect(Object.keys(file.adapters)).toHaveLength(1);
    const [choices] = Object.values(file.adapters) as { timings?: unknown[] }[][];
    expect(choices.length).toBe(timed);
    expect(choices.every((c) => Array.isArray(c.timings) && c.timings.length >= 2)).toBe(true);
    const second = await ok(['tune', 'transformer-repeat', ...tiny, '--runtime', 'node']);
    expect(second.stdout, second.stdout).toMatch(/ 0 timed now/);
  });

  it('a resumed run keeps its recorded choices after the cache changed, and ends with the same bits', async () => {
    const full = join(dir, 'full');
    await ok(['train', 'transformer-repeat', ...tiny, '--steps', '4', '--checkpoint-every', '2', '--out', full, '--runtime', 'node']);
    const recorded = JSON.parse(readFileSync(join(full, 'tuning.json'), 'utf8'));
    expect(recorded.choices.length).toBeGreaterThan(3);
    const part = join(dir, 'part');
    await ok(['train', 'transformer-repeat', ...tiny, '--steps', '2', '--checkpoint-every', '2', '--out', part, '--runtime', 'node']);
    // Flip every cached choice to another variant it timed: a run tuned now would differ.
    const file = JSON.parse(readFileSync(cache, 'utf8'));
    for (const list of Object.values(file.adapters) as { variant: unknown; timings: { variant: unknown }[] }[][]) {
      for (const c of list) c.variant = c.timings.find((t) => JSON.stringify(t.variant) !== JSON.stringify(c.variant))!.variant;
    }
    writeFileSync(cache, JSON.stringify(file));
    await ok(['train', '--resume', part, '--steps', '4', '--runtime', 'node']);
    expect(JSON.parse(readFileSync(join(part, 'tuning.json'), 'utf8')).choices).toEqual(recorded.choices);
    const params = (run: string) => JSON.parse(readFileSync(join(run, 'params.json'), 'utf8'));
    expect(existsSync(join(part, 'params.json'))).toBe(true);
    expect(params(part)).toEqual(params(full));
  });
});
