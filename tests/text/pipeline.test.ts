// The text pipeline on the host (no GPU): torchtext basic_english tokenization, Brown's tags stripped, the split by
// document, the vocabulary (order, minCount, maxVocab, <unk>), the streams, and bad corpus input as ConfigErrors.
// The Brown numbers are those of the PyTorch run (split by file 80/10/10, count >= 3: V ≈ 17.6 k, 1.0 M
// training tokens).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/schema';
import { transformerModel, transformerSchema } from '../../src/models/transformer/index';
import type { TransformerRunConfig } from '../../src/models/transformer/config';
import { basicEnglish, stripBrownTags, tokenizeLines } from '../../src/models/transformer/data/corpus';
import { buildVocabulary, documentParts, parseSplit, textData } from '../../src/models/transformer/data/text';

const dir = mkdtempSync(join(tmpdir(), 'onelayer-text-'));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function config(raw: Record<string, unknown>): TransformerRunConfig {
  return parseConfig<TransformerRunConfig>(transformerSchema, { data: 'text', T: 8, batch: 2, sampleSize: 1, ...raw });
}

describe('tokenizer', () => {
  it("is torchtext's basic_english", () => {
    // Expected tokens written from torchtext.data.utils._basic_english_normalize's patterns.
    expect(basicEnglish("Don't \"quote\" me: it's (very) good, isn't it? Yes! a;b<br />c.")).toEqual(
      ['don', "'", 't', 'quote', 'me', 'it', "'", 's', '(', 'very', ')', 'good', ',', 'isn', "'", 't', 'it', '?', 'yes', '!', 'a', 'b', 'c', '.'],
    );
    expect(basicEnglish('  ')).toEqual([]);
  });

  it('drops Brown tags (the word is what precedes the last slash) and ends each sentence with <eos>', () => {
    expect(stripBrownTags("The/at Fulton/np-tl 1/2/cd ``/`` said/vbd")).toBe('The Fulton 1/2 `` said');
    expect(tokenizeLines('\n\n\tThe/at jury/nn ./.\n\n\tIt/pps said/vbd ,/, ``/`` no/at ./.\n', true)).toEqual(
      ['the', 'jury', '.', '<eos>', 'it', 'said', ',', '``', 'no', '.', '<eos>'],
    );
  });
});

describe('split and vocabulary', () => {
  it('deals documents in cycles of 100 / gcd of the percentages', () => {
    expect(parseSplit('80/10/10')).toEqual([80, 10, 10]);
    for (const bad of ['80/10', '80/20/10', '0/50/50', '90/0/10', '80.5/9.5/10', 'a/b/c']) expect(parseSplit(bad)).toBeNull();
    expect(documentParts(12, [80, 10, 10])).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0]);
    expect(documentParts(20, [85, 10, 5])).toEqual([...new Array(17).fill(0), 1, 1, 2]);
    expect(documentParts(4, [50, 50, 0])).toEqual([0, 1, 0, 1]);
  });

  it('orders the vocabulary <unk>, <eos>, then by count (ties by code units), with minCount and maxVocab', () => {
    const tokens = 'b a c a b a d <eos> e e <eos>'.split(' ');
    expect(buildVocabulary(tokens, 1, 0)).toEqual(['<unk>', '<eos>', 'a', 'b', 'e', 'c', 'd']);
    expect(buildVocabulary(tokens, 2, 0)).toEqual(['<unk>', '<eos>', 'a', 'b', 'e']);
    expect(buildVocabulary(tokens, 1, 4)).toEqual(['<unk>', '<eos>', 'a', 'b']);
  });

  it('Brown: 500 files split 80/10/10, V and training tokens as the PyTorch run, every stream in range', () => {
    const data = textData({ corpus: 'brown', minCount: 3, maxVocab: 0, split: '80/10/10' });
    expect(data.vocabulary.length).toBe(17_637);
    expect(data.vocabulary.slice(0, 6)).toEqual(['<unk>', '<eos>', 'the', ',', '.', 'of']);
    expect(data.train.length).toBe(1_000_827);
    expect(data.valid.length).toBe(123_945);
    expect(data.test.length).toBe(124_922);
    for (const s of [data.train, data.valid, data.test]) expect(Math.max(...s.subarray(0, 100_000))).toBeLessThan(data.vocabulary.length);
    // The validation stream opens with the first validation file's first sentence (the sample's labels).
    expect(Array.from(data.valid.subarray(0, 6), (id) => data.vocabulary[id])).toEqual(['city', 'controller', 'alexander', '<unk>', 'charged', 'tuesday']);
    // The unigram entropy is that of the training stream's id frequencies.
    const counts = new Map<number, number>();
    for (const id of data.train) counts.set(id, (counts.get(id) ?? 0) + 1);
    let h = 0;
    for (const n of counts.values()) h -= (n / data.train.length) * Math.log(n / data.train.length);
    expect(data.unigramEntropy).toBeCloseTo(h, 10);
    expect(data.unigramEntropy).toBeCloseTo(6.45, 2);
    // top 2000 (text-small): the rest is <unk>.
    const small = textData({ corpus: 'brown', minCount: 3, maxVocab: 2000, split: '80/10/10' });
    expect(small.vocabulary).toEqual(data.vocabulary.slice(0, 2000));
    expect(small.train.length).toBe(data.train.length);
    expect(small.unknownFraction).toBeGreaterThan(0.1);
  });

  it("a user's file: contiguous parts of whole sentences, words from the training part only", () => {
    const lines = Array.from({ length: 20 }, (_, i) => `sentence number ${i} has words .`);
    const path = file('twenty.txt', lines.join('\n') + '\n');
    const data = textData({ corpus: path, minCount: 1, maxVocab: 0, split: '80/10/10' });
    const words = (s: Uint32Array) => Array.from(s, (id) => data.vocabulary[id]).join(' ');
    const sentence = (i: number) => `sentence number ${i} has words . <eos>`;
    expect(words(data.train)).toBe(lines.slice(0, 16).map((_, i) => sentence(i)).join(' '));
    // Numbers 16..19 were never seen in training: <unk>.
    expect(words(data.valid)).toBe([16, 17].map((i) => sentence(i).replace(String(i), '<unk>')).join(' '));
    expect(words(data.test)).toBe([18, 19].map((i) => sentence(i).replace(String(i), '<unk>')).join(' '));
  });
});

describe('bad corpus input is a config error naming the problem', () => {
  const errorsOf = (raw: Record<string, unknown>) => transformerModel.check(config(raw));
  it.each([
    ['a missing file', () => join(dir, 'missing.txt'), /corpus file .*missing\.txt does not exist/],
    ['an empty file', () => file('empty.txt', ''), /corpus file .*empty\.txt is empty/],
    ['a binary file', () => file('binary.dat', Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2])), /not a text file \(a NUL byte at offset 4\)/],
    ['invalid UTF-8', () => file('latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x0a])), /is not UTF-8 text/],
    ['a folder', () => dir, /is a folder/],
    ['only punctuation', () => file('dots.txt', ';;; ::: """\n'), /has no words/],
  ])('%s', (_what, corpus, message) => {
    const errors = errorsOf({ corpus: corpus() });
    expect(errors).toHaveLength(1);
    expect(errors[0].key).toBe('corpus');
    expect(errors[0].message).toMatch(message);
  });

  it('a vocabulary of fewer than 2 words', () => {
    const path = file('one-word.txt', Array.from({ length: 30 }, () => 'hello hello').join('\n'));
    const [error] = errorsOf({ corpus: path, minCount: 1 });
    expect(error.key).toBe('minCount');
    expect(error.message).toMatch(/the vocabulary of its training part \(\d+ tokens\) has 1 word besides <unk> and <eos>.*at least 2/);
  });

  it('a split that is not three percentages, and parts too short for the batch', () => {
    expect(errorsOf({ split: '90/10' })[0]).toMatchObject({ key: 'split' });
    const path = file('short.txt', Array.from({ length: 20 }, (_, i) => `word${i % 3} other${i % 2} .`).join('\n'));
    const errors = errorsOf({ corpus: path, minCount: 1, batch: 4, T: 8 });
    expect(errors.map((e) => e.key)).toEqual(['split']);
    expect(errors[0].message).toMatch(/validation part has 8 tokens, too few for 4 columns/);
  });

  it('the limits are not checked (nor the shape read) while the config has errors', () => {
    expect(() => transformerModel.check(config({ corpus: join(dir, 'missing.txt') }), { maxStorageBufferBindingSize: 2 ** 27 })).not.toThrow();
  });
});
