// The chunked LM head (shaders/vocabCrossEntropy.wgsl with gemm, gemmSplitK and reduceRows, built by
// vocabCrossEntropyHead) against the plain full-V float64 cross-entropy: loss per row and replica, dx, and the
// decoder's and b_dec's gradients inside a NaN-filled gradient slab.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { vocabCrossEntropyReference } from '../../src/reference/vocabCrossEntropy';
import { vocabChunkColumns, vocabCrossEntropyHead, vocabCrossEntropyVariants, type VocabHeadShape } from '../../src/kernels/vocabCrossEntropy';
import { bits, expectSlab } from '../slabCompare';

const PROBE = '/tests/probes/vocabCrossEntropy.ts';
const BIG_BUDGET = 1 << 30;

type Run = { rowLoss: Float32Array; loss: Float32Array; dx?: Float32Array; grads?: Float32Array };
type Result = { results: Run[]; chunks: { start: number; width: number }[]; vocabChunk: number; dispatches: number };

const up64 = (n: number) => Math.ceil(n / 64) * 64;

/**
 * Slab offsets with NaN tensors around the head: decoder then b_dec (W_dec), or b_dec first (as with a tied `embed`
 * decoder early in the slab and b_dec late, or the other way round; the kernels must not care).
 */
function layout(V: number, dModel: number, biasFirst = false) {
  if (biasFirst) {
    const decoderOffset = up64(V) + 64;
    return { biasOffset: 0, decoderOffset, slabSize: up64(decoderOffset + V * dModel) + 64 };
  }
  const biasOffset = up64(64 + V * dModel) + 64;
  return { decoderOffset: 64, biasOffset, slabSize: up64(biasOffset + V) + 128 };
}

type BaseShape = Omit<VocabHeadShape, 'slabSize' | 'decoderOffset' | 'biasOffset' | 'budgetBytes'> & Partial<VocabHeadShape>;

function shape(base: BaseShape, biasFirst = false): VocabHeadShape {
  return { ...layout(base.V, base.dModel, biasFirst), budgetBytes: BIG_BUDGET, ...base };
}

function inputs(s: VocabHeadShape, seed: number) {
  const rng = new Random(seed);
  const rows = s.replicas * s.batch * s.T;
  const x = seededArray(rng, rows * s.dModel);
  const params = new Float32Array(s.replicas * s.slabSize).fill(NaN);
  for (let r = 0; r < s.replicas; r++) {
    // Replicas differ in scale, so that their softmaxes differ in sharpness.
    for (let i = 0; i < s.V * s.dModel; i++) params[r * s.slabSize + s.decoderOffset + i] = rng.range(-1, 1) * (r + 1);
    for (let v = 0; v < s.V; v++) params[r * s.slabSize + s.biasOffset + v] = rng.range(-0.5, 0.5);
  }
  const tokens = Uint32Array.from({ length: s.replicas * s.batch * (s.T + 1) }, () => rng.int(s.V));
  return { x, params, tokens };
}

function expectMatchesReference(s: VocabHeadShape, got: Run, x: Float32Array, tokens: Uint32Array, params: Float32Array) {
  const want = vocabCrossEntropyReference(s, x, tokens, params);
  expectClose(got.rowLoss, want.rowLoss, 2e-6, 'row loss');
  expectClose(got.loss, want.loss, 2e-6, 'loss');
  if (got.dx) expectClose(got.dx, want.dx, 1e-5, 'dx');
  if (got.grads) expectSlab(got.grads, want.grads, 1e-5, 'gradient slab');
}

// Most cases share R = 3, B·T = 10 rows per replica, dModel = 7 and one slab size, so that they share gemm
// pipelines (compiling those is most of this file's time on SwiftShader): V = 130 in chunks of 64 (last one 2
// columns) or whole; T = 1 with b_dec before the decoder and the budget forcing the chunks; V = 1 (loss and every
// gradient exactly 0). Rows (30) are not a multiple of any workgroup size. The row kernels run in the variant the
// tuner's defaults give this adapter (on SwiftShader a thread per row), except where a case names one: a tree of 16
// lanes per row (GPUs' kind), and a tree of 4 lanes with 8 rows to a workgroup and the backward a thread per row.
const FAMILY = { replicas: 3, dModel: 7, slabSize: Math.max(layout(130, 7).slabSize, layout(130, 7, true).slabSize) };
const CHUNKED = shape({ ...FAMILY, batch: 2, T: 5, V: 130, vocabChunk: 64 });
const TREE = { rowWg: 16, rowsPerGroup: 1, elementWg: 64, backwardByRow: false };
const SMALL_TREES = { rowWg: 4, rowsPerGroup: 8, elementWg: 3, backwardByRow: true };
const CASES: { shape: VocabHeadShape; chunks: number[] }[] = [
  { shape: shape({ ...FAMILY, batch: 2, T: 5, V: 1 }), chunks: [1] },
  { shape: shape({ ...FAMILY, batch: 10, T: 1, V: 130, budgetBytes: 4 * 30 * 70, rows: TREE }, true), chunks: [64, 64, 2] },
  { shape: { ...CHUNKED, rows: SMALL_TREES }, chunks: [64, 64, 2] },
];

describe('vocabCrossEntropy head (chunked) against the full-V float64 reference', () => {
  const gpu = useGpu();
  for (const { shape: s, chunks } of CASES) {
    it(`${JSON.stringify(s)}`, async () => {
      const { x, params, tokens } = inputs(s, s.V * 13 + s.T);
      const got = await gpu().call<Result>(PROBE, 'runVocabHead', { shape: s, x, tokens, params, mode: 'training', runs: 1 });
      expect(got.chunks.map((c) => c.width)).toEqual(chunks);
      expectMatchesReference(s, got.results[0], x, tokens, params);
      if (s.V === 1) {
        expect(Array.from(got.results[0].loss)).toEqual([0, 0, 0]);
        expect(Array.from(got.results[0].dx!).every((v) => v === 0)).toBe(true);
      }
    });
  }

  it('V = 130 in chunks of 64, 64, 2 matches the reference and the one-chunk result; every reduction repeats bit for bit', async () => {
    const { x, params, tokens } = inputs(CHUNKED, 5);
    const chunked = await gpu().call<Result>(PROBE, 'runVocabHead', { shape: CHUNKED, x, tokens, params, mode: 'training', runs: 2 });
    const whole = await gpu().call<Result>(PROBE, 'runVocabHead', { shape: { ...CHUNKED, vocabChunk: undefined }, x, tokens, params, mode: 'training', runs: 1 });
    expect(chunked.chunks.map((c) => c.width)).toEqual([64, 64, 2]);
    expect(whole.chunks.map((c) => c.width)).toEqual([130]);
    const [many, again, one] = [chunked.results[0], chunked.results[1], whole.results[0]];
    expectMatchesReference(CHUNKED, many, x, tokens, params);
    expectMatchesReference(CHUNKED, one, x, tokens, params);
    expectClose(many.loss, one.loss, 1e-6, 'loss, chunked vs whole');
    expectClose(many.rowLoss, one.rowLoss, 1e-6, 'row loss, chunked vs whole');
    expectClose(many.dx!, one.dx!, 1e-6, 'dx, chunked vs whole');
    const written = (a: Float32Array) => Array.from(a).filter((v) => !Number.isNaN(v));
    expectClose(written(many.grads!), written(one.grads!), 1e-6, 'gradients, chunked vs whole');
    for (const k of ['rowLoss', 'loss', 'dx', 'grads'] as const) expect(bits(again[k]!), `${k}: second run, same bits`).toEqual(bits(many[k]!));
  });

  it('evaluation (loss only) gives the training pass\'s loss bit for bit', async () => {
    const { x, params, tokens } = inputs(CHUNKED, 9);
    const evaluation = await gpu().call<Result>(PROBE, 'runVocabHead', { shape: CHUNKED, x, tokens, params, mode: 'evaluation', runs: 1 });
    const training = await gpu().call<Result>(PROBE, 'runVocabHead', { shape: CHUNKED, x, tokens, params, mode: 'training', runs: 1 });
    expect(evaluation.dispatches).toBe(2 * 3 + 1);
    expectMatchesReference(CHUNKED, evaluation.results[0], x, tokens, params);
    expect(bits(evaluation.results[0].loss)).toEqual(bits(training.results[0].loss));
    expect(bits(evaluation.results[0].rowLoss)).toEqual(bits(training.results[0].rowLoss));
  });

  it('a V = 50 000 head (GPT-2 size vocabulary) in chunks from a small budget', async () => {
    const s = shape({ replicas: 1, batch: 1, T: 2, dModel: 8, V: 50_000, budgetBytes: 4 * 2 * 25_024 });
    const { x, params, tokens } = inputs(s, 50);
    tokens.set([0, 49_999, 25_000]); // the vocabulary's last token and one in the middle are the targets
    const got = await gpu().call<Result>(PROBE, 'runVocabHead', { shape: s, x, tokens, params, mode: 'training', runs: 1 });
    expect(got.chunks.map((c) => c.width)).toEqual([25_024, 24_976]);
    expectMatchesReference(s, got.results[0], x, tokens, params);
  });
});

describe('vocabCrossEntropy chunk choice and shape checks', () => {
  it('row kernels: CPU adapters get a thread per row first (with enough rows), GPUs a workgroup tree per row', () => {
    const thread = { rowWg: 1, rowsPerGroup: 64, elementWg: 64, backwardByRow: true };
    const tree = { rowWg: 64, rowsPerGroup: 1, elementWg: 256, backwardByRow: false };
    expect(vocabCrossEntropyVariants(700, true)[0]).toEqual(thread);
    expect(vocabCrossEntropyVariants(8, true)[0]).toEqual(tree);
    expect(vocabCrossEntropyVariants(700, false)[0]).toEqual(tree);
  });
  it('takes all of V when it fits, else equal 64-multiple chunks as few as fit', () => {
    const s = { replicas: 4, batch: 20, T: 35, V: 10_000 }; // Tian et al.'s WikiText head: 2800 rows
    expect(vocabChunkColumns(s, 4 * 2800 * 10_000)).toBe(10_000);
    expect(vocabChunkColumns(s, 4 * 2800 * 9_999)).toBe(5_056); // 2 chunks: 5056 + 4944
    expect(vocabChunkColumns({ ...s, V: 50_000 }, 256 * 2 ** 20)).toBe(16_704); // 23 967 fit -> 3 chunks (16 704, 16 704, 16 592)
    expect(() => vocabChunkColumns(s, 4 * 2800 * 63)).toThrow('vocabCrossEntropyHead: a chunk of 64 columns needs 716800 bytes of logits (R·B·T = 2800 rows); the budget allows 705600');
  });
  it('names the field, value and what is allowed', async () => {
    const noGpu = { kernels: { device: { limits: { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 } } } } as never;
    const s = shape({ replicas: 1, batch: 1, T: 2, dModel: 4, V: 100 });
    await expect(vocabCrossEntropyHead(noGpu, { ...s, decoderOffset: 32 })).rejects.toThrow('vocabCrossEntropyHead: decoderOffset = 32; it must be a non-negative multiple of 64');
    await expect(vocabCrossEntropyHead(noGpu, { ...s, biasOffset: 64 })).rejects.toThrow(/biasOffset = 64; b_dec \[64, 164\) overlaps the decoder \[64, 464\)/);
    await expect(vocabCrossEntropyHead(noGpu, { ...s, vocabChunk: 50 })).rejects.toThrow('vocabCrossEntropyHead: vocabChunk = 50; it must be >= V (100) or a multiple of 64');
    await expect(vocabCrossEntropyHead(noGpu, { ...s, slabSize: 448 })).rejects.toThrow(/decoderOffset = 64; the decoder \(V·dModel = 400 floats\) ends past the slab \(448\)/);
  });
});
