// Malformed arguments and configs: each must give its own clear message (naming key, value and what is
// allowed) and exit code 2, before any GPU work (no adapter line), and never a stack trace.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeRun, runCli, tempDir } from './spawn';

const dir = tempDir('validation');
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const tinyIcl = { model: 'icl', dX: 12, dY: 4, M1: 4, M2: 8, N: 8, m: 16, batch: 32, testSize: 128, steps: 20 };
const icl = file('icl.json', tinyIcl);
const scansnap = file('scansnap.json', { model: 'scansnap', numCommon: 3, distinctPerNext: 3, L: 8, batch: 8, steps: 10 });
const usedFolder = join(dir, 'used');
mkdirSync(usedFolder);
writeFileSync(join(usedFolder, 'something.txt'), 'x');
const { model: _model, ...tinyIclConfig } = tinyIcl;
void _model;
let sweeps = 0;
const sweepFile = (grid: unknown) => file(`sweep-${sweeps++}.json`, { model: 'icl', config: tinyIclConfig, grid });

const cases: Array<[string, string[], RegExp]> = [
  ['unknown command', ['trian'], /unknown command "trian"/],
  ['unknown preset', ['train', 'no-such-preset'], /unknown preset "no-such-preset".*presets: /],
  ['default preset with a misspelt key', ['train', '--set', 'sigmaQ=0.1'], /unknown key 'sigmaQ' \(did you mean 'sigmaO'\?\)/],
  ['unknown config key with suggestion', ['train', icl, '--set', 'etaa=3'], /unknown key 'etaa' \(did you mean 'eta'\?\)/],
  ['another tool\'s name for a key', ['train', icl, '--set', 'lr=0.1'], /unknown key 'lr' \(did you mean 'eta'\?\)/],
  ['negative learning rate', ['train', icl, '--set', 'eta=-1'], /eta = -1 is not allowed: expected a finite number > 0/],
  ['NaN learning rate', ['train', icl, '--set', 'eta=NaN'], /eta = NaN is not allowed: expected a finite number > 0/],
  ['string where a number goes', ['train', icl, '--set', 'eta=fast'], /eta = "fast" is not allowed: expected a finite number/],
  ['fractional integer', ['train', icl, '--set', 'dX=1.5'], /dX = 1\.5 is not allowed: expected an integer/],
  ['huge dimension', ['train', icl, '--set', 'dX=100000'], /dX = 100000 is not allowed: expected an integer >= 1 and <= 4096/],
  ['inconsistent shapes M1 + M2 > dX', ['train', icl, '--set', 'M1=10'], /M1 \+ M2 = 10 \+ 8 = 18 must be <= dX = 12/],
  ['preset rule: OOD needs two ODR patterns', ['train', 'icl-ood', '--set', 'M1=3'], /M1 = 3 is not allowed for icl-ood: out-of-domain tasks need M1 >= 4/],
  ['per-replica list of the wrong length', ['train', icl, '--set', 'eta=[1,2]'], /eta has 2 values but replicas = 1/],
  ['list for a single-valued key', ['train', icl, '--set', 'batch=[16,32]'], /batch = \[16,32\] is not allowed.*one value, not a list/],
  ['enum value not allowed', ['train', icl, '--set', 'patterns=grid'], /patterns = "grid" is not allowed: expected one of "basis", "random"/],
  ['--set without =', ['train', icl, '--set', 'eta'], /--set "eta": expected key=value/],
  ['negative --steps', ['train', icl, '--steps', '-5'], /--steps = "-5" is not allowed: expected an integer >= 1/],
  ['zero --replicas', ['train', icl, '--replicas', '0'], /--replicas = "0" is not allowed: expected an integer >= 1/],
  ['unknown runtime', ['train', icl, '--runtime', 'firefox'], /--runtime = "firefox" is not allowed: expected one of chrome, node/],
  ['unknown option', ['train', icl, '--bogus'], /unknown option --bogus/],
  ['option without its value', ['train', icl, '--steps'], /--steps needs a value/],
  ['missing config file', ['train', join(dir, 'absent.json')], /config file .*absent\.json: no such file/],
  ['config file that is not JSON', ['train', file('broken.json', '{"model": "icl",')], /config file .*broken\.json: not valid JSON/],
  ['config file without a model', ['train', file('nomodel.json', { eta: 3 })], /no "model" key: expected "model": one of "icl", "scansnap"/],
  ['every problem of a config file at once', ['train', file('two.json', { ...tinyIcl, sigmaO: -1, kappaMax: 'big' })], /sigmaO = -1 is not allowed[^]*kappaMax = "big" is not allowed/],
  ['scansnap: more tracked tokens than next tokens', ['train', scansnap, '--set', 'trackNext=50'], /trackNext = 50 is not allowed: there are only K = numQuery · nextPerQuery = 2 next tokens/],
  ['resume of a folder that is no run', ['train', '--resume', join(dir, 'nothing')], /--resume .*nothing: no config\.json there/],
  ['resume with a changed config', ['train', '--resume', usedFolder, '--set', 'eta=1'], /--resume continues a run with its saved config; --set cannot be combined/],
  ['output folder already used', ['train', icl, '--out', usedFolder], /--out .*used: already exists and is not an empty folder/],
  ['shard out of range', ['sweep', sweepFile({ eta: [1, 2] }), '--shard', '3/2'], /--shard = "3\/2" is not allowed: expected i\/n with 1 <= i <= n/],
  ['sweep over an unknown key', ['sweep', sweepFile({ foo: [1, 2] }), '--shard', '1/1'], /grid key 'foo' is not a key of the icl config; allowed: /],
  ['sweep over another tool\'s name for a key', ['sweep', sweepFile({ lr: [1, 2] }), '--shard', '1/1'], /grid key 'lr' is not a key of the icl config \(did you mean 'eta'\?\)/],
  ['sweep grid point out of range', ['sweep', sweepFile({ eta: [1, -1] })], /grid point eta=-1: eta = -1 is not allowed/],
  ['grad without params', ['grad', '--batch', icl], /--params P\.json is required/],
  ['grad with an unknown backend', ['grad', '--backend', 'tpu'], /--backend = "tpu" is not allowed: expected one of gpu, cpu/],
  ['grad with params missing a tensor', ['grad', '--params', file('p.json', { model: 'icl', params: { W_Q: [[1]] } }), '--batch', file('b.json', { prompts: [] })], /p\.json and --batch .*b\.json: params: W_K must be a non-empty matrix/],
  [
    'grad with a batch that disagrees with the params',
    ['grad', '--params', file('p2.json', { model: 'icl', params: { W_Q: [[1, 0], [0, 1]], W_K: [[1, 0], [0, 1]], W_V: [[1, 0]], W_O: [[1], [2]] } }),
      '--batch', file('b2.json', { prompts: [{ P: [[1, 2, 3], [4, 5, 0]], z: 1 }] })],
    /prompts\[0\]\.P\[0\] must be 2 finite numbers \(the params' token length: W_Q is 2 × 2\), got 3 entries/,
  ],
  [
    'grad with scansnap params that disagree',
    ['grad', '--params', file('p3.json', { model: 'scansnap', params: { Y: [[0, 0], [0, 0]], Z: [[0, 0, 0], [0, 0, 0], [0, 0, 0]] } }), '--batch', file('b3.json', { sequences: [] })],
    /params: Z is 3 × 3 but Y is 2 × 2; both are M × M/,
  ],
  ['bench with zero repeats', ['bench', '--repeats', '0'], /--repeats = "0" is not allowed: expected an integer >= 1/],
];

describe('bad input: one clear message, exit code 2, no GPU work', () => {
  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));
  it.concurrent.each(cases)('%s', async (_name, args, message) => {
    const r = await runCli(args);
    const what = describeRun(args, r);
    expect(r.code, what).toBe(2);
    expect(r.stderr, what).toMatch(message);
    expect(r.stderr, what).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
    expect(r.stdout, what).not.toMatch(/adapter:/); // rejected before any GPU work
  });

  it('an adapter limit is checked once the adapter is known, before training', async () => {
    const out = join(dir, 'too-big');
    const args = ['train', file('big.json', { ...tinyIclConfig, model: 'icl', replicas: 4096, batch: 65535, N: 64 }), '--runtime', 'node', '--out', out];
    const r = await runCli(args);
    const what = describeRun(args, r);
    expect(r.code, what).toBe(2);
    expect(r.stdout, what).toMatch(/adapter: /);
    expect(r.stderr, what).toMatch(/needs \d+ bytes but this adapter binds at most \d+/);
  });

  it('a transformer whose buffers exceed the adapter is bad input naming the limit and what to lower', async () => {
    const args = ['train', file('big-transformer.json', { model: 'transformer', V: 50000, T: 512, batch: 64, replicas: 8, dModel: 512, dFF: 2048 }), '--runtime', 'node', '--out', join(dir, 'too-big-transformer')];
    const r = await runCli(args);
    const what = describeRun(args, r);
    expect(r.code, what).toBe(2);
    expect(r.stderr, what).toMatch(/replicas = 8: a parameter slab .* needs \d+ bytes; this adapter's (maxStorageBufferBindingSize|maxBufferSize) is \d+: lower replicas/);
    expect(r.stderr, what).toMatch(/batch = 64: the widest activation .* needs \d+ bytes/);
  });
});
