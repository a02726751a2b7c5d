// Text on the GPU: the page reads the same corpus as the host (the Brown corpus fetched as page assets, equal
// streams); a training stream uploaded in double-buffered pieces (an artificially small limit, chunkTokens) gives
// the windows of the whole stream at every step, across piece boundaries, the epoch's end and a jump (a resume);
// and a text run trained from pieces, with a resume in the middle, ends with the same bits as from the whole stream.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import type { MetricRecord, TrainerState } from '../../src/engine/types';
import { tokenWindowsReference } from '../../src/reference/tokenWindows';
import { textData } from '../../src/models/transformer/data/text';
import { MIN_PIECE_WINDOWS, pieceLayout } from '../../src/models/transformer/data/tokenStream';

const PROBE = '/tests/probes/text.ts';
const MODEL_PROBE = '/tests/probes/transformer.ts';

interface TrainResult { records: MetricRecord[]; evaluation: MetricRecord[]; state: TrainerState }

function fingerprint(stream: Uint32Array): number {
  let h = 0x811c9dc5;
  for (const v of stream) h = Math.imul(h ^ v, 0x01000193) >>> 0;
  return h;
}

function bits(state: TrainerState): string[] {
  return Object.values(state.params).map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)).join(','));
}

describe('text data on the GPU', () => {
  const gpu = useGpu();

  it('the page tokenizes the Brown corpus into the same vocabulary and streams as the host', async () => {
    const raw = { data: 'text', corpus: 'brown', maxVocab: 2000, T: 35, batch: 20 };
    const page = await gpu().call<{ V: number; train: number; valid: number; fingerprints: number[]; unigramEntropy: number }>(PROBE, 'pageTextData', { raw });
    const host = textData({ corpus: 'brown', minCount: 3, maxVocab: 2000, split: '80/10/10' });
    expect(page.V).toBe(2000);
    expect([page.train, page.valid]).toEqual([host.train.length, host.valid.length]);
    expect(page.fingerprints).toEqual([host.train, host.valid, host.test].map(fingerprint));
    expect(page.unigramEntropy).toBe(host.unigramEntropy);
  });

  it('pieces: balanced, at least half a piece each, the whole epoch covered in order', () => {
    for (const [windows, max] of [[333, 66], [64, 64], [65, 64], [1000, 64], [10, 64]]) {
      const { starts, sizes } = pieceLayout(windows, max);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(windows);
      starts.forEach((s, p) => expect(s).toBe(p === 0 ? 0 : starts[p - 1] + sizes[p - 1]));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(max);
      if (sizes.length > 1) expect(Math.min(...sizes)).toBeGreaterThanOrEqual(MIN_PIECE_WINDOWS / 2);
    }
  });

  it('a pieced stream gives the whole stream\'s windows at every step: boundaries, epoch end, a jump', async () => {
    const s = { replicas: 2, batch: 2, T: 3 };
    const stream = Uint32Array.from({ length: 2003 }, (_, i) => (i * 7919 + 13) % 65_521);
    // 2 columns of 1001 tokens: 333 windows an epoch; pieces of 400 tokens hold 66 windows: 6 pieces.
    const submissions = [
      ...Array.from({ length: 11 }, (_, k) => ({ first: 32 * k, count: 32 })), // 0 .. 351: five boundaries and the wrap at 333
      { first: 352, count: 1 }, { first: 353, count: 7 },
      { first: 1000, count: 5 }, { first: 1005, count: 32 }, { first: 1037, count: 32 }, // a resume far ahead
      { first: 10, count: 20 }, // and back
    ];
    const out = await gpu().call<{ windows: Uint32Array; pieced: boolean }>(PROBE, 'trainingWindows', {
      raw: { ...s, sampleSize: 1, evalSize: 2 }, stream, chunkTokens: 400, submissions,
    });
    expect(out.pieced).toBe(true);
    const perStep = s.replicas * s.batch * (s.T + 1);
    const shape = { ...s, stream: stream.length, order: 'sequential' as const };
    let k = 0;
    for (const { first, count } of submissions) {
      for (let step = first; step < first + count; step++, k++) {
        const expected = tokenWindowsReference(shape, stream, step, [0, 1]);
        expect(Array.from(out.windows.subarray(k * perStep, (k + 1) * perStep)), `step ${step}`).toEqual(Array.from(expected));
      }
    }
  });

  it('a run from pieces, resumed in the middle, ends with the bits of a run from the whole stream', async () => {
    const config = {
      data: 'text', maxVocab: 300, T: 8, batch: 4, dModel: 16, nHeads: 2, dFF: 16, nLayers: 1, dropout: 0.1, scaleEmbed: true, init: 'tian',
      optimizer: 'sgd', lr: [2, 5], lrFfn: [4, 10], clip: 0.5, momentum: 0, replicas: 2, evalSize: 8, sampleSize: 2,
    };
    // 4 × (64 × 8 + 1) tokens: pieces of 64 windows (balanced: 64), so 150 steps cross two boundaries.
    const pieces = { ...config, chunkTokens: 4 * (64 * 8 + 1) };
    const whole = await gpu().call<TrainResult>(MODEL_PROBE, 'train', { config, steps: [150], metricsEvery: 50 });
    const pieced = await gpu().call<TrainResult>(MODEL_PROBE, 'train', { config: pieces, steps: [150], metricsEvery: 50 });
    expect(pieced.records).toEqual(whole.records);
    expect(bits(pieced.state)).toEqual(bits(whole.state));
    const resumed = await gpu().call<TrainResult>(MODEL_PROBE, 'trainResumed', { config: pieces, first: 70, total: 150 });
    expect(bits(resumed.state)).toEqual(bits(whole.state));
  });
});
