// 'repeat': a seeded permutation of the V tokens (or of the first `period`), repeated: the next token is a function
// of the current one, so a model can drive the loss to zero (the test that the language model works). The stream is
// uploaded once; training windows are cut from it on the GPU at random offsets per replica and step, the held-out
// and sample batches at fixed sequential windows.
import { Random } from '../../../util/random';
import type { TransformerRunConfig } from '../config';
import type { DataSource } from './index';
import { buildTokenStreamData } from './tokenStream';

/** The Random stream of the pattern (stream 1 of a seed draws the initial parameters). */
const PATTERN_STREAM = 2;

/** The pattern: a permutation of `period` tokens drawn from 0..V−1, repeated until every window fits. */
export function repeatPattern(c: Pick<TransformerRunConfig, 'V' | 'period' | 'seed' | 'T'>): Uint32Array<ArrayBuffer> {
  const period = c.period > 0 ? c.period : c.V;
  const tokens = new Random(c.seed, PATTERN_STREAM).shuffle(Array.from({ length: c.V }, (_, i) => i)).slice(0, period);
  // Enough repeats that a window of T + 1 tokens can start at every phase of the pattern, and at least 4 windows.
  const length = Math.max(period * (Math.ceil((c.T + 1) / period) + 1), 4 * (c.T + 1));
  return Uint32Array.from({ length }, (_, i) => tokens[i % period]);
}

export const repeatSource: DataSource = {
  name: 'repeat',
  schema: {
    period: { type: 'int', default: 0, min: 0, description: "'repeat' data: length of the repeated pattern (0: V); the pattern is a seeded permutation, so the next token is a function of the current one", group: 'data' },
  },
  shape: (c) => ({ head: 'lm', V: c.V, dIn: 0, T: c.T, description: `a permutation of ${c.period > 0 ? c.period : c.V} of the ${c.V} tokens, repeated (seed ${c.seed})` }),
  check: (c) => (c.period > c.V
    ? [{ key: 'period', value: c.period, message: `period = ${c.period} is not allowed: the repeated pattern is a permutation of the V = ${c.V} tokens, so period <= V` }]
    : []),
  build: async (ctx, c, rng) => {
    const train = repeatPattern(c);
    const period = c.period > 0 ? c.period : c.V;
    // Sequential windows cut the held stream into `batch` (or `sampleSize`) columns of at least one window each.
    const heldLength = Math.max(train.length, Math.max(c.batch, c.sampleSize) * (c.T + 2));
    const held = Uint32Array.from({ length: heldLength }, (_, i) => train[i % period]);
    return buildTokenStreamData(ctx, c, rng, { train, held });
  },
};
