// Host wrapper for shaders/tokenEmbedding.wgsl: the embedding lookup and its deterministic gradient (a rank sort
// of the tokens, segment starts, then a fixed-order sum per vocabulary row). Reference: src/reference/tokenEmbedding.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';

export interface TokenEmbeddingShape {
  replicas: number;
  batch: number;
  /** Positions per sequence. */
  T: number;
  dModel: number;
  vocab: number;
  /** Multiply by √dModel (SPEC §4's scaleEmbed); default false. */
  scaleEmbed?: boolean;
  /** Floats between consecutive replicas' embed and dEmbed (default vocab·dModel; a slab's P inside one). */
  embedStride?: number;
  /** u32s between consecutive sequences' tokens (default T + 1: an LM batch's inputs and targets). */
  tokenStride?: number;
  /** The backward adds to dEmbed instead of overwriting it (tied embeddings). */
  accumulate?: boolean;
  /** Threads per workgroup of forward, sort and segment search (default 256). */
  wg?: number;
  /** The backward's workgroup: columns x vocabulary rows (default 64 x 4). */
  backwardWgCols?: number;
  backwardWgRows?: number;
  /**
   * Workgroups along the vocabulary in the backward's sum (default enough for one row a thread, at most 65535);
   * fewer make each thread stride over more rows, which pays on SwiftShader (a cost per workgroup).
   */
  backwardRowGroups?: number;
}

export interface TokenEmbeddingForwardBuffers {
  /**
   * u32 [replicas][batch][tokenStride]. A token >= vocab never indexes embed: it gets a zero row and adds to no
   * gradient row (the model validates tokens on the host; the kernels only stay in bounds).
   */
  tokens: BufferBinding;
  /** [replicas] of [vocab][dModel] at embedStride */
  embed: BufferBinding;
  /** [replicas][batch][T][dModel] */
  x: BufferBinding;
}

export interface TokenEmbeddingBackwardBuffers {
  tokens: BufferBinding;
  /** [replicas][batch][T][dModel] */
  dx: BufferBinding;
  /** Scratch of tokenEmbeddingScratchBytes(shape).sortedPairs: (token, position) per replica, sorted. */
  sortedPairs: BufferBinding;
  /** Scratch of tokenEmbeddingScratchBytes(shape).segmentStarts: where each token's run starts. */
  segmentStarts: BufferBinding;
  /** [replicas] of [vocab][dModel] at embedStride: every row written (padding between replicas untouched). */
  dEmbed: BufferBinding;
}

const MAX_GROUPS = 65535;

/** Bytes of the backward's two scratch buffers. */
export function tokenEmbeddingScratchBytes(s: TokenEmbeddingShape): { sortedPairs: number; segmentStarts: number } {
  return { sortedPairs: 8 * s.replicas * s.batch * s.T, segmentStarts: 4 * s.replicas * (s.vocab + 1) };
}

export async function tokenEmbedding(kernels: KernelLibrary, s: TokenEmbeddingShape) {
  for (const k of ['replicas', 'batch', 'T', 'dModel', 'vocab'] as const) assertPositiveInt('tokenEmbedding', k, s[k]);
  const table = s.vocab * s.dModel;
  const embedStride = s.embedStride ?? table;
  if (!Number.isInteger(embedStride) || (s.replicas > 1 && embedStride < table) || embedStride < 0) {
    throw new RangeError(`tokenEmbedding: embedStride = ${embedStride}; it must be an integer >= vocab·dModel (${table})`);
  }
  const tokenStride = s.tokenStride ?? s.T + 1;
  if (!Number.isInteger(tokenStride) || tokenStride < s.T) throw new RangeError(`tokenEmbedding: tokenStride = ${tokenStride}; it must be an integer >= T (${s.T})`);
  if (s.replicas > MAX_GROUPS) throw new RangeError(`tokenEmbedding: replicas = ${s.replicas}; allowed at most ${MAX_GROUPS} (the grid's limit)`);
  const wg = s.wg ?? 256;
  const wgCols = s.backwardWgCols ?? 64;
  const wgRows = s.backwardWgRows ?? 4;
  const rowGroups = s.backwardRowGroups ?? Math.min(Math.ceil(s.vocab / wgRows), MAX_GROUPS);
  for (const [k, v] of Object.entries({ wg, backwardWgCols: wgCols, backwardWgRows: wgRows, backwardRowGroups: rowGroups })) assertPositiveInt('tokenEmbedding', k, v);
  if (rowGroups > MAX_GROUPS) throw new RangeError(`tokenEmbedding: backwardRowGroups = ${rowGroups}; allowed at most ${MAX_GROUPS}`);
  if (wg > 256 || wgCols * wgRows > 256) throw new RangeError(`tokenEmbedding: workgroups of ${wg} and ${wgCols}x${wgRows} threads; allowed at most 256`);
  const scale = s.scaleEmbed ? Math.sqrt(s.dModel) : 1;
  const constants = {
    BATCH: s.batch, T: s.T, TOKEN_STRIDE: tokenStride, D_MODEL: s.dModel, VOCAB: s.vocab, EMBED_STRIDE: embedStride,
    SCALE: scale, ACCUMULATE: s.accumulate ? 1 : 0, WG: wg, WG_COLS: wgCols, WG_ROWS: wgRows,
  };
  const [forwardKernel, sortKernel, segmentKernel, backwardKernel] = await Promise.all(
    ['forward', 'sortTokens', 'findSegments', 'backward'].map((entryPoint) => kernels.kernel('tokenEmbedding', { entryPoint, constants })),
  );
  const positions = s.batch * s.T;
  const n = s.replicas * positions * s.dModel;
  const tokenBytes = 4 * s.replicas * s.batch * tokenStride;
  const embedBytes = 4 * ((s.replicas - 1) * embedStride + table);
  const scratch = tokenEmbeddingScratchBytes(s);
  const rows = s.replicas * s.vocab * s.dModel;
  return {
    forward: (buffers: TokenEmbeddingForwardBuffers, label = 'tokenEmbedding.forward'): Dispatch =>
      forwardKernel.dispatch({ ...buffers }, [strideGroups(positions * s.dModel, wg), s.replicas], {
        label,
        minBytes: { tokens: tokenBytes, embed: embedBytes, x: 4 * n },
        flops: n,
        bytes: 8 * n + 4 * s.replicas * positions,
      }),
    backward: (buffers: TokenEmbeddingBackwardBuffers, label = 'tokenEmbedding.backward'): Dispatch[] => {
      const { tokens, dx, sortedPairs, segmentStarts, dEmbed } = buffers;
      return [
        sortKernel.dispatch({ tokens, sortedPairs }, [strideGroups(positions, wg), s.replicas], {
          label: `${label} sort`,
          minBytes: { tokens: tokenBytes, sortedPairs: scratch.sortedPairs },
          // one comparison (counted as 3 integer operations) per pair of positions
          flops: 3 * s.replicas * positions * positions,
          bytes: 4 * s.replicas * positions * (positions + 1) + scratch.sortedPairs,
        }),
        segmentKernel.dispatch({ sortedPairs, segmentStarts }, [strideGroups(s.vocab + 1, wg), s.replicas], {
          label: `${label} segments`,
          minBytes: { sortedPairs: scratch.sortedPairs, segmentStarts: scratch.segmentStarts },
          flops: s.replicas * (s.vocab + 1) * Math.ceil(Math.log2(positions + 1)),
          bytes: 8 * s.replicas * (s.vocab + 1) * Math.ceil(Math.log2(positions + 1)) + scratch.segmentStarts,
        }),
        backwardKernel.dispatch({ sortedPairs, segmentStarts, dx, dEmbed },
          [Math.ceil(s.dModel / wgCols), rowGroups, s.replicas], {
            label: `${label} sum`,
            minBytes: { sortedPairs: scratch.sortedPairs, segmentStarts: scratch.segmentStarts, dx: 4 * n, dEmbed: embedBytes },
            flops: n + rows,
            bytes: 4 * n + 4 * rows * (s.accumulate ? 2 : 1) + scratch.sortedPairs + scratch.segmentStarts,
          }),
      ];
    },
  };
}

/**
 * Row-group variants of the backward, the adapter class's default first: one workgroup per few vocabulary rows
 * (GPUs) or 16 workgroups that loop over the rows (CPU adapters pay about 10 µs per workgroup: 42 vs 121 ms on
 * SwiftShader at the Tian size).
 */
export function tokenEmbeddingVariants(software: boolean): Variant[] {
  return software ? [{ backwardRowGroups: 16 }, { backwardRowGroups: 0 }] : [{ backwardRowGroups: 0 }, { backwardRowGroups: 16 }];
}

/** tokenEmbedding with the backward's row grouping the adapter's tuner picks (0: the wrapper's default). */
export async function tunedTokenEmbedding(ctx: GpuContext, s: TokenEmbeddingShape) {
  const scratch = new TuningScratch(ctx.pool);
  const asShape = (v: Variant) => ({ ...s, backwardRowGroups: (v.backwardRowGroups as number) || undefined });
  const variant = await ctx.tuner.pick(ctx.device, 'tokenEmbedding', s, tokenEmbeddingVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await tokenEmbedding(ctx.kernels, asShape(v));
    const bytes = tokenEmbeddingScratchBytes(s);
    const table = 4 * ((s.replicas - 1) * (s.embedStride ?? s.vocab * s.dModel) + s.vocab * s.dModel);
    const tokens = scratch.get('tokens', 4 * s.replicas * s.batch * (s.tokenStride ?? s.T + 1));
    return op.backward({
      tokens, dx: scratch.get('dx', 4 * s.replicas * s.batch * s.T * s.dModel),
      sortedPairs: scratch.get('sortedPairs', bytes.sortedPairs), segmentStarts: scratch.get('segmentStarts', bytes.segmentStarts), dEmbed: scratch.get('dEmbed', table),
    });
  }, scratch);
  return tokenEmbedding(ctx.kernels, asShape(variant));
}
