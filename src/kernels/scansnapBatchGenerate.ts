// Host wrapper for shaders/scansnapBatchGenerate.wgsl: Scan & Snap training sequences from a counter-based RNG
// on the GPU, and the step counter it reads. Reference: src/reference/scansnapBatchGenerate.ts (the model's fast
// CPU twin SequenceSampler gives the same ids).
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { assertPositiveInt, strideGroups } from './grid';

/** The token id ranges of Scan & Snap's synthetic layout (tokenLayout in src/models/scansnap/data.ts) the generator needs. */
export interface GeneratorTokenRanges {
  K: number;
  numCommon: number;
  distinctPerNext: number;
  distinctBase: number;
  queryBase: number;
  nextBase: number;
}

export interface ScansnapBatchGenerateShape {
  replicas: number;
  batch: number;
  L: number;
  nextPerQuery: number;
  layout: GeneratorTokenRanges;
  /**
   * The cumulative thresholds the `thresholds` buffer holds (tokenThresholds): up to INLINE_MAX of them are also
   * compiled into the pipeline, and the kernel then never reads the buffer (the same ids, no loads).
   */
  thresholdValues: ArrayLike<number>;
  /** A thread per sequence (default false: a thread per token); the ids are the same. */
  threadPerSequence?: boolean;
  /** Threads per workgroup (default 64). */
  wg?: number;
  /**
   * Entry generateCounts (a thread per sequence; threadPerSequence is then ignored): each sequence's slot counts
   * (`slotCounts`, [R][batch][8] words) and of its ids only the query and next token, for scansnapAttention's
   * slot lists (they never read the context ids).
   */
  countSlots?: boolean;
}

export interface ScansnapBatchGenerateBuffers {
  step: BufferBinding;
  /** [R]: seed + r (replicaSeedWords). */
  replicaSeeds: BufferBinding;
  /** tokenThresholds(layout), at least one word. */
  thresholds: BufferBinding;
  /** [R][batch][L + 1] ids. */
  tokens: BufferBinding;
  /** [R][batch][8] packed 8-bit slot counts: countSlots only. */
  slotCounts?: BufferBinding;
}

/** Bytes of the slot counts (countSlots): eight words a sequence. */
export function slotCountBytes(replicas: number, batch: number): number {
  return 32 * replicas * batch;
}

/** Thresholds compiled into the pipeline at most (the shader's T0 ... T31). */
export const INLINE_MAX = 32;

export async function scansnapBatchGenerate(kernels: KernelLibrary, s: ScansnapBatchGenerateShape) {
  for (const k of ['replicas', 'batch', 'L', 'nextPerQuery'] as const) assertPositiveInt('scansnapBatchGenerate', k, s[k]);
  const { layout } = s;
  const allowed = layout.numCommon + layout.distinctPerNext;
  const wg = s.wg ?? 64;
  assertPositiveInt('scansnapBatchGenerate', 'wg', wg);
  if (s.thresholdValues.length !== Math.max(1, allowed - 1)) {
    throw new RangeError(`scansnapBatchGenerate: thresholdValues has ${s.thresholdValues.length} entries; expected ${Math.max(1, allowed - 1)} (allowed tokens − 1, at least 1)`);
  }
  if (s.countSlots && (allowed > 32 || s.L - 1 > 255)) {
    throw new RangeError(`scansnapBatchGenerate: countSlots: ${allowed} allowed tokens and L − 1 = ${s.L - 1}; the counts take at most 32 slots of 8 bits (L <= 256)`);
  }
  const inline = allowed - 1 <= INLINE_MAX;
  const inlined: Record<string, number> = {};
  if (inline) for (let i = 0; i < allowed - 1; i++) inlined[`T${i}`] = s.thresholdValues[i];
  const constants = {
    WG: wg, THREAD_PER_SEQUENCE: s.threadPerSequence ? 1 : 0, INLINE_THRESHOLDS: inline ? 1 : 0, ...inlined,
    L: s.L, BATCH: s.batch, K: layout.K, NUM_COMMON: layout.numCommon, DISTINCT: layout.distinctPerNext, NEXT_PER_QUERY: s.nextPerQuery,
    DISTINCT_BASE: layout.distinctBase, QUERY_BASE: layout.queryBase, NEXT_BASE: layout.nextBase, THRESHOLDS: allowed - 1,
  };
  const generate = await kernels.kernel('scansnapBatchGenerate', { entryPoint: s.countSlots ? 'generateCounts' : 'generate', constants });
  const advance = await kernels.kernel('scansnapBatchGenerate', { entryPoint: 'advanceStep' });
  const perReplica = s.batch * (s.L + 1);
  return {
    generate: (buffers: ScansnapBatchGenerateBuffers, label = 'scansnapBatchGenerate'): Dispatch => {
      const { slotCounts, ...rest } = buffers;
      if (s.countSlots && !slotCounts) throw new Error('scansnapBatchGenerate: countSlots writes slotCounts; pass it');
      const counts = slotCountBytes(s.replicas, s.batch);
      return generate.dispatch(s.countSlots ? { ...rest, slotCounts: slotCounts! } : rest, [strideGroups(s.threadPerSequence || s.countSlots ? s.batch : perReplica, wg), s.replicas], {
        label,
        minBytes: {
          step: 4, replicaSeeds: 4 * s.replicas, thresholds: 4 * Math.max(1, allowed - 1), tokens: 4 * s.replicas * perReplica,
          ...(s.countSlots ? { slotCounts: counts } : {}),
        },
        flops: 0,
        bytes: s.countSlots ? counts + 8 * s.replicas * s.batch : 4 * s.replicas * perReplica,
      });
    },
    advanceStep: (stepCounter: BufferBinding): Dispatch => advance.dispatch({ stepCounter }, [1], { label: 'scansnapBatchGenerate step += 1', bytes: 8 }),
  };
}

/**
 * The adapter class's default first: a thread per token (GPUs: R·batch·(L + 1) threads) or a thread per sequence
 * (CPU adapters, which then hash a sequence's key and next token once instead of per token).
 */
export function scansnapBatchGenerateVariants(software: boolean): Variant[] {
  const token = { threadPerSequence: false, wg: 64 };
  const sequence = { threadPerSequence: true, wg: 16 };
  return software ? [sequence, token] : [token, sequence];
}

/** scansnapBatchGenerate with the variant the adapter's tuner picks (timed on the generate dispatch). */
export async function tunedScansnapBatchGenerate(ctx: GpuContext, s: ScansnapBatchGenerateShape) {
  const scratch = new TuningScratch(ctx.pool);
  const allowed = s.layout.numCommon + s.layout.distinctPerNext;
  const variant = await ctx.tuner.pick(ctx.device, 'scansnapBatchGenerate', { ...s, thresholdValues: undefined, threadPerSequence: undefined, wg: undefined }, scansnapBatchGenerateVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await scansnapBatchGenerate(ctx.kernels, { ...s, ...v });
    return [op.generate({
      step: scratch.get('step', 4),
      replicaSeeds: scratch.get('seeds', 4 * s.replicas),
      thresholds: scratch.get('thresholds', 4 * Math.max(1, allowed - 1)),
      tokens: scratch.get('tokens', 4 * s.replicas * s.batch * (s.L + 1)),
    })];
  }, scratch);
  return scansnapBatchGenerate(ctx.kernels, { ...s, ...variant });
}
