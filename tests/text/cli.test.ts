// The text presets through the real binary: bad corpus input is exit 2 with its message before any GPU work (no
// adapter line, no run folder); text-lr (shrunk with --set) trains its replicas in one job and writes the figures,
// the attention maps of a validation sentence at the mapEvery steps (artifacts and SVG, the tokens as labels), and
// the analysis tables; text-3layer (shrunk) draws a map per layer.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { textData } from '../../src/models/transformer/data/text';
import { describeRun, runCli, tempDir } from '../cli/spawn';

const dir = tempDir('text-cli');
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** Small enough for SwiftShader: the presets' code paths, not their sizes. */
const SHRINK = ['maxVocab=300', 'T=8', 'batch=4', 'dModel=16', 'dFF=16', 'evalSize=8', 'sampleSize=2', 'dropout=0.1', 'mapEvery=10'];
const sets = (items: string[]) => items.flatMap((s) => ['--set', s]);
// The kernels' fixed defaults: timing variants (tests/cli/tune.test.ts) would cost more than these runs train.
const NO_TUNE = '--no-tune';

describe('onelayer train with text data', () => {
  const bad: Array<[string, () => string, RegExp]> = [
    ['a missing corpus file', () => join(dir, 'absent.txt'), /error: config: corpus file .*absent\.txt does not exist/],
    ['an empty corpus file', () => file('empty.txt', ''), /error: config: corpus file .*empty\.txt is empty/],
    ['a binary corpus file', () => file('image.png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])), /error: config: corpus file .*image\.png is not a text file/],
    ['a vocabulary of one word', () => file('one.txt', 'yes yes yes\n'.repeat(40)), /error: config: corpus .*one\.txt: the vocabulary .* has 1 word besides <unk> and <eos>/],
  ];
  for (const [what, corpus, message] of bad) {
    it(`${what}: exit 2 with the message, before any GPU work`, async () => {
      const out = join(dir, `run-${what.replace(/\W+/g, '-')}`);
      const args = ['train', 'text-small', '--set', `corpus=${corpus()}`, '--set', 'minCount=1', '--out', out];
      const r = await runCli(args);
      expect(r.code, describeRun(args, r)).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout + r.stderr).not.toMatch(/adapter|\n\s+at /);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('text-lr: replicas at four learning rates in one job; loss, entropy, freezing figures; attention maps with the sentence\'s words', async () => {
    const out = join(dir, 'text-lr');
    const args = ['train', 'text-lr', NO_TUNE, '--steps', '20', ...sets([...SHRINK, 'metricsEvery=5']), '--out', out];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(0);
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(records.map((x) => x.replica))).toEqual(new Set([0, 1, 2, 3]));
    const last = records.filter((x) => x.step === 20);
    for (const x of last) for (const key of ['loss', 'evalLoss', 'perplexity', 'entropy.l0', 'change.l0', 'moved.l0']) expect(Number.isFinite(x[key]), key).toBe(true);
    const figures = readdirSync(join(out, 'figures')).sort();
    expect(figures).toEqual(['attention-l0.svg', 'change.svg', 'entropy-vs-lr.svg', 'entropy.svg', 'loss.svg', 'moved.svg', 'perplexity.svg']);
    expect(readdirSync(join(out, 'artifacts')).sort()).toEqual(['step-0.json', 'step-10.json', 'step-20.json']);
    // The maps are of the first validation sentence: its words label both axes.
    const data = textData({ corpus: 'brown', minCount: 3, maxVocab: 300, split: '80/10/10' });
    const words = Array.from(data.valid.subarray(0, 8), (id) => data.vocabulary[id]);
    const artifact = json(join(out, 'artifacts', 'step-20.json'));
    expect(artifact.attention.labels).toEqual(words);
    expect(artifact.attention.maps).toHaveLength(4);
    for (const row of artifact.attention.maps[2][0][0] as number[][]) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const svg = readFileSync(join(out, 'figures', 'attention-l0.svg'), 'utf8');
    for (const w of words) expect(svg).toContain(`>${w.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</text>`);
    expect(svg.match(/>step (\d+)</g)).toEqual(['>step 0<', '>step 10<', '>step 20<']);
    // Tables: the evaluation per learning rate, and the corpus with its unigram entropy (drawn in loss.svg).
    const evaluation = readFileSync(join(out, 'tables', 'evaluation.csv'), 'utf8').trim().split('\n');
    expect(evaluation[0]).toMatch(/^replica,lr,lrFfn,evalLoss,perplexity,entropy\.l0$/);
    expect(evaluation.slice(1).map((l) => l.split(',').slice(1, 3).map(Number))).toEqual([[1, 2], [2.5, 5], [5, 10], [10, 20]]);
    expect(readFileSync(join(out, 'tables', 'corpus.csv'), 'utf8')).toContain(`300,${data.train.length},${data.valid.length},${data.unigramEntropy}`);
    expect(readFileSync(join(out, 'figures', 'loss.svg'), 'utf8')).toContain('>unigram entropy</text>');
  });

  it('text-3layer: a map per layer', async () => {
    const out = join(dir, 'text-3layer');
    const args = ['train', 'text-3layer', NO_TUNE, '--steps', '10', ...sets([...SHRINK, 'metricsEvery=10']), '--out', out];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(0);
    const figures = readdirSync(join(out, 'figures'));
    for (const l of [0, 1, 2]) expect(figures).toContain(`attention-l${l}.svg`);
    const records = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(Object.keys(records.at(-1)).filter((k) => k.startsWith('entropy.')).sort()).toEqual(['entropy.l0', 'entropy.l1', 'entropy.l2']);
  });
});
