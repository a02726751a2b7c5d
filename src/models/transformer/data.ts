// What the transformer trains on. Language-model data is a token stream uploaded to the GPU once; each step's
// windows are cut from it there (shaders/tokenWindows.wgsl), so a step reads nothing from the host.
//   'repeat': a seeded permutation of the V tokens (or of the first `period`), repeated: the next token is a
//   function of the current one, so a model can drive the loss to zero (the test of a working LM).
import { Random } from '../../util/random';
import type { TransformerRunConfig } from './config';

/** Random streams of one seed: initial parameters, and the data pattern. */
export const STREAM = { init: 1, data: 2 } as const;

export interface TokenStreams {
  /** Training windows are cut from here (random offsets per replica and step). */
  train: Uint32Array<ArrayBuffer>;
  /** Evaluation and the metrics' fixed sample: sequential windows of this one. */
  held: Uint32Array<ArrayBuffer>;
  /** What a reader should know (shown in summaries). */
  description: string;
}

/** The 'repeat' pattern: a permutation of `period` tokens drawn from 0..V−1, repeated until every window fits. */
export function repeatPattern(c: Pick<TransformerRunConfig, 'V' | 'period' | 'seed' | 'T'>): Uint32Array<ArrayBuffer> {
  const period = c.period > 0 ? c.period : c.V;
  const tokens = new Random(c.seed, STREAM.data).shuffle(Array.from({ length: c.V }, (_, i) => i)).slice(0, period);
  // Enough repeats that a window of T + 1 tokens can start at every phase of the pattern, and at least 4 windows.
  const length = Math.max(period * (Math.ceil((c.T + 1) / period) + 1), 4 * (c.T + 1));
  return Uint32Array.from({ length }, (_, i) => tokens[i % period]);
}

export function tokenStreams(c: TransformerRunConfig): TokenStreams {
  const train = repeatPattern(c);
  const period = c.period > 0 ? c.period : c.V;
  // Sequential windows cut the held stream into `batch` (or `sampleSize`) columns of at least one window each.
  const heldLength = Math.max(train.length, Math.max(c.batch, c.sampleSize) * (c.T + 2));
  const held = Uint32Array.from({ length: heldLength }, (_, i) => train[i % period]);
  return { train, held, description: `a permutation of ${period} of the ${c.V} tokens, repeated (seed ${c.seed})` };
}
