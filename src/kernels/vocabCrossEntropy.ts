// Host wrappers for shaders/vocabCrossEntropy.wgsl: the language-model head (logits = x W_decᵀ + b_dec, mean
// cross-entropy over the B·T positions of each replica) chunked over the vocabulary.
//   vocabCrossEntropy:     the file's three entries (chunkForward, finish, chunkBackward) as dispatch builders.
//   vocabCrossEntropyHead: the whole head for given shapes: per chunk a gemm for the logits and chunkForward, then
//                          finish (the loss; `evaluation`), and per chunk, last to first, the logits again (not for
//                          the last chunk, whose logits the forward left in the buffer; so one chunk computes
//                          them once), chunkBackward, dx (+)= dlogits·W_dec_chunk, dW_dec_chunk = dlogitsᵀ·x
//                          (gemmSplitK) and db_dec_chunk = column sums (reduceRows) (`training`), those two in
//                          the variants the context's tuner picks, as it does the logits' and dx's products and
//                          the row kernels' variants. The chunk width comes from a byte budget for the chunk's
//                          logits.
// Reference: src/reference/vocabCrossEntropy.ts (the plain full-V softmax cross-entropy).
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { tunedGemm, tunedGemmSplitK } from './gemm';
import { tunedReduceRows } from './reduceRows';

/** Floats per slab alignment unit (256 bytes, WebGPU's minStorageBufferOffsetAlignment). */
const ALIGN = 64;
const MAX_GRID = 65535;

export interface VocabCrossEntropyShape {
  replicas: number;
  batch: number;
  T: number;
  V: number;
  /** Floats between replicas of b_dec in the bias window (the slab size P). */
  biasStride: number;
  /** Threads per row in chunkForward and per replica in finish: a power of two up to 256 (default 64). */
  rowWg?: number;
  /** Rows per workgroup of chunkForward (default 1); rowWg · rowsPerGroup <= 256. */
  rowsPerGroup?: number;
  /** Threads per workgroup of chunkBackward (default 256). */
  elementWg?: number;
  /** chunkBackward a thread per row (default false: per element); the same values. */
  backwardByRow?: boolean;
}

/** The row kernels' variant fields of a shape. */
export type VocabRowVariant = Pick<VocabCrossEntropyShape, 'rowWg' | 'rowsPerGroup' | 'elementWg' | 'backwardByRow'>;

/**
 * The row kernels' variants for R·B·T `rows`, the adapter class's default first: a workgroup per row with a tree
 * (GPUs), or a thread per row, 64 rows to a workgroup, and the backward a thread per row (CPU adapters, which pay
 * for every barrier: SwiftShader ran the Tian-size head's row kernels in 4.1 ms so, 11.5 ms with trees). With
 * fewer than 16 rows a thread per row leaves a CPU's cores idle (8 rows of a 50 000 vocabulary: 5.5 ms against
 * 4.3 ms with trees), so there the trees come first on CPU adapters too. Unlike the other variants of this file's
 * callers, the two sum a row's exponentials in different orders: each gives its own bits (the same on every run).
 */
export function vocabCrossEntropyVariants(rows: number, software: boolean): VocabRowVariant[] {
  const tree = { rowWg: 64, rowsPerGroup: 1, elementWg: 256, backwardByRow: false };
  const thread = { rowWg: 1, rowsPerGroup: 64, elementWg: 64, backwardByRow: true };
  return software && rows >= 16 ? [thread, tree] : [tree, thread];
}

export interface VocabChunkBuffers {
  /** [R][N][width]: the chunk's x·W_decᵀ; chunkBackward overwrites it with dlogits. */
  logits: BufferBinding;
  /** b_dec's window: starts at b_dec's slab offset, replica r at r·biasStride. */
  bias: BufferBinding;
  /** u32 [R][B][T + 1] */
  tokens: BufferBinding;
  /** u32 [start, width] of this chunk (a 256-byte-aligned window into a chunk table). */
  chunk: BufferBinding;
  /** [R·N] vec4: running max, running Σ exp, target logit, lse. */
  rowStats: BufferBinding;
}

export interface VocabFinishBuffers {
  rowStats: BufferBinding;
  /** out [R][B][T]: −log softmax(logits)[target] */
  rowLoss: BufferBinding;
  /** out [R]: the mean of rowLoss per replica */
  loss: BufferBinding;
}

function powerOfTwoUpTo256(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(Math.log2(value)) || value > 256) throw new RangeError(`${kernel}: ${name} = ${value}; it must be a power of two, at most 256`);
}

/** The file's entries; `width` is the chunk's column count (for the byte checks and the work counts). */
export async function vocabCrossEntropy(kernels: KernelLibrary, s: VocabCrossEntropyShape) {
  for (const k of ['replicas', 'batch', 'T', 'V', 'biasStride'] as const) assertPositiveInt('vocabCrossEntropy', k, s[k]);
  if (s.biasStride < s.V) throw new RangeError(`vocabCrossEntropy: biasStride = ${s.biasStride}; it must be >= V (${s.V})`);
  if (s.replicas > MAX_GRID) throw new RangeError(`vocabCrossEntropy: replicas = ${s.replicas}; allowed at most ${MAX_GRID} (the grid's limit)`);
  const rowWg = s.rowWg ?? 64;
  const rowsPerGroup = s.rowsPerGroup ?? 1;
  const elementWg = s.elementWg ?? 256;
  powerOfTwoUpTo256('vocabCrossEntropy', 'rowWg', rowWg);
  assertPositiveInt('vocabCrossEntropy', 'rowsPerGroup', rowsPerGroup);
  if (rowWg * rowsPerGroup > 256) throw new RangeError(`vocabCrossEntropy: rowWg * rowsPerGroup = ${rowWg * rowsPerGroup}; allowed at most 256`);
  if (!Number.isInteger(elementWg) || elementWg < 1 || elementWg > 256) throw new RangeError(`vocabCrossEntropy: elementWg = ${elementWg}; allowed 1..256`);
  const N = s.batch * s.T;
  const rows = s.replicas * N;
  const base = { ROWS: rows, ROWS_PER_REPLICA: N, T: s.T, TOKEN_STRIDE: s.T + 1, BIAS_STRIDE: s.biasStride };
  const [forward, finish, backward] = await Promise.all([
    kernels.kernel('vocabCrossEntropy', { entryPoint: 'chunkForward', constants: { ...base, WG: rowWg, ROWS_PER_GROUP: rowsPerGroup } }),
    kernels.kernel('vocabCrossEntropy', { entryPoint: 'finish', constants: { ...base, WG: rowWg } }),
    kernels.kernel('vocabCrossEntropy', { entryPoint: 'chunkBackward', constants: { ...base, WG: elementWg, BACKWARD_BY_ROW: s.backwardByRow ? 1 : 0 } }),
  ]);
  const tokenBytes = 4 * s.replicas * s.batch * (s.T + 1);
  const chunkBytes = (width: number) => ({
    logits: 4 * rows * width,
    bias: 4 * ((s.replicas - 1) * s.biasStride + width),
    tokens: tokenBytes,
    chunk: 8,
    rowStats: 16 * rows,
  });
  return {
    chunkForward: (b: VocabChunkBuffers, width: number, label = 'vocabCrossEntropy.chunkForward'): Dispatch =>
      forward.dispatch({ ...b }, [Math.min(Math.ceil(rows / rowsPerGroup), MAX_GRID)], {
        label,
        minBytes: chunkBytes(width),
        flops: 5 * rows * width, // bias add, compare, subtract, exp, add
        bytes: 4 * (rows * width + s.replicas * width + rows * 9),
      }),
    finish: (b: VocabFinishBuffers, label = 'vocabCrossEntropy.finish'): Dispatch =>
      finish.dispatch({ ...b }, [s.replicas], {
        label,
        minBytes: { rowStats: 16 * rows, rowLoss: 4 * rows, loss: 4 * s.replicas },
        flops: 4 * rows,
        bytes: 4 * (rows * 10 + s.replicas),
      }),
    chunkBackward: (b: VocabChunkBuffers, width: number, label = 'vocabCrossEntropy.chunkBackward'): Dispatch =>
      backward.dispatch({ ...b }, [strideGroups(s.backwardByRow ? rows : rows * width, elementWg)], {
        label,
        minBytes: chunkBytes(width),
        flops: 5 * rows * width,
        bytes: 4 * (2 * rows * width + s.replicas * width + rows * 2),
      }),
  };
}

export interface VocabHeadShape {
  replicas: number;
  batch: number;
  T: number;
  dModel: number;
  V: number;
  /** Floats per replica of the parameter and gradient slabs (P, a multiple of 64). */
  slabSize: number;
  /** Slab offset of the decoder [V][dModel]: W_dec, or `embed` for a tied decoder (a multiple of 64). */
  decoderOffset: number;
  /** Slab offset of b_dec [V] (a multiple of 64). */
  biasOffset: number;
  /**
   * Bytes the chunk's logits [R][N][width] may take; the adapter's maxStorageBufferBindingSize caps it too.
   * The split-K scratch of dW_dec (small: only chunks narrow enough to leave the GPU idle are split) is extra.
   */
  budgetBytes: number;
  /** Columns per chunk instead of the budget's choice: >= V (one chunk) or a multiple of 64 within the budget. */
  vocabChunk?: number;
  /** The row kernels' variant (default: the one the context's tuner picks). */
  rows?: VocabRowVariant;
}

/**
 * Columns per chunk: all of V when its logits fit in `limitBytes`, else as few chunks as fit, of equal width
 * rounded up to a multiple of 64 (so that every chunk's decoder rows and bias start 256-byte aligned in the
 * slab), the last one narrower.
 */
export function vocabChunkColumns(s: { replicas: number; batch: number; T: number; V: number }, limitBytes: number): number {
  const rowBytes = 4 * s.replicas * s.batch * s.T;
  const fit = Math.floor(limitBytes / rowBytes);
  if (fit >= s.V) return s.V;
  const widest = Math.floor(fit / ALIGN) * ALIGN;
  if (widest < ALIGN) {
    throw new RangeError(
      `vocabCrossEntropyHead: a chunk of ${ALIGN} columns needs ${ALIGN * rowBytes} bytes of logits (R·B·T = ${rowBytes / 4} rows); ` +
        `the budget allows ${limitBytes}`,
    );
  }
  const chunks = Math.ceil(s.V / widest);
  return Math.ceil(s.V / chunks / ALIGN) * ALIGN;
}

export interface VocabHeadEvalBuffers {
  /** [R][B][T][dModel]: the last layer's output */
  x: BufferBinding;
  /** u32 [R][B][T + 1] */
  tokens: BufferBinding;
  /** the parameter slab [R][P] */
  params: GPUBuffer;
  /** out [R][B][T] */
  rowLoss: BufferBinding;
  /** out [R] */
  loss: BufferBinding;
}

export interface VocabHeadTrainBuffers extends VocabHeadEvalBuffers {
  /** the gradient slab [R][P]: the decoder's and b_dec's regions are overwritten, nothing else touched */
  grads: GPUBuffer;
  /** out [R][B][T][dModel]: dLoss/dx (overwritten) */
  dx: BufferBinding;
}

/** The head picks its dW_dec split and db_dec reduction through the context's tuner. */
export type VocabHeadContext = GpuContext;

/**
 * The chunked LM head. `evaluation` is the loss alone; `training` is the loss and every gradient of the head
 * (dx, the decoder's and b_dec's). With a tied decoder (decoderOffset = embed's) dW_dec overwrites the embed
 * gradient: the embedding's backward (tokenEmbedding, which adds) must run after this head's. Buffers owned here
 * (chunk logits, row statistics, chunk table, split-K scratch) come from the pool; `release()` returns them.
 */
export async function vocabCrossEntropyHead(ctx: VocabHeadContext, s: VocabHeadShape) {
  const name = 'vocabCrossEntropyHead';
  for (const k of ['replicas', 'batch', 'T', 'dModel', 'V', 'slabSize', 'budgetBytes'] as const) assertPositiveInt(name, k, s[k]);
  for (const k of ['slabSize', 'decoderOffset', 'biasOffset'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 0 || s[k] % ALIGN !== 0) throw new RangeError(`${name}: ${k} = ${s[k]}; it must be a non-negative multiple of ${ALIGN}`);
  }
  const decoderEnd = s.decoderOffset + s.V * s.dModel;
  const biasEnd = s.biasOffset + s.V;
  if (decoderEnd > s.slabSize) throw new RangeError(`${name}: decoderOffset = ${s.decoderOffset}; the decoder (V·dModel = ${s.V * s.dModel} floats) ends past the slab (${s.slabSize})`);
  if (biasEnd > s.slabSize) throw new RangeError(`${name}: biasOffset = ${s.biasOffset}; b_dec (${s.V} floats) ends past the slab (${s.slabSize})`);
  if (s.biasOffset < decoderEnd && s.decoderOffset < biasEnd) {
    throw new RangeError(`${name}: biasOffset = ${s.biasOffset}; b_dec [${s.biasOffset}, ${biasEnd}) overlaps the decoder [${s.decoderOffset}, ${decoderEnd})`);
  }
  const limits = ctx.kernels.device.limits;
  const limitBytes = Math.min(s.budgetBytes, limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const rows = s.replicas * s.batch * s.T;
  let vocabChunk = vocabChunkColumns(s, limitBytes);
  if (s.vocabChunk !== undefined) {
    assertPositiveInt(name, 'vocabChunk', s.vocabChunk);
    if (s.vocabChunk < s.V && s.vocabChunk % ALIGN !== 0) throw new RangeError(`${name}: vocabChunk = ${s.vocabChunk}; it must be >= V (${s.V}) or a multiple of ${ALIGN}`);
    if (4 * rows * Math.min(s.vocabChunk, s.V) > limitBytes) {
      throw new RangeError(`${name}: vocabChunk = ${s.vocabChunk}; its logits need ${4 * rows * Math.min(s.vocabChunk, s.V)} bytes, the budget allows ${limitBytes}`);
    }
    vocabChunk = Math.min(s.vocabChunk, s.V);
  }
  const chunks: { start: number; width: number }[] = [];
  for (let start = 0; start < s.V; start += vocabChunk) chunks.push({ start, width: Math.min(vocabChunk, s.V - start) });

  const N = s.batch * s.T;
  const P = s.slabSize;
  const R = s.replicas;
  const ce = await vocabCrossEntropy(ctx.kernels, { replicas: R, batch: s.batch, T: s.T, V: s.V, biasStride: P, ...(s.rows ?? (await tunedRowVariant(ctx, s, vocabChunk))) });
  // The backward walks the chunks last to first: the last chunk's logits are still in the buffer from the forward
  // (only the others are recomputed), and dx's first (overwriting) product is the narrow last chunk's while the
  // full chunks accumulate, so that usually one dx pipeline per chunk width is built (gemm pipelines are the
  // costly part of building the head).
  const backwardOrder = chunks.map((_, i) => chunks.length - 1 - i);
  const dxBeta = (i: number) => (i === backwardOrder[0] ? 0 : 1);
  const widths = [...new Set(chunks.map((c) => c.width))];
  const dxKinds = [...new Set(chunks.map((c, i) => `${c.width}:${dxBeta(i)}`))];
  const [perWidth, dxProducts] = await Promise.all([
    Promise.all(
      widths.map(async (w) => {
        const [logits, dW, db] = await Promise.all([
          tunedGemm(ctx, { batch: R, M: N, N: w, K: s.dModel, transB: true, strideA: N * s.dModel, strideB: P, strideC: N * w }),
          tunedGemmSplitK(ctx, { batch: R, M: w, N: s.dModel, K: N, transA: true, strideA: N * w, strideB: N * s.dModel, strideC: P }),
          tunedReduceRows(ctx, { rows: R, batch: N, cols: w, outStride: P }),
        ]);
        return [w, { logits, dW, db }] as const;
      }),
    ),
    Promise.all(
      dxKinds.map(async (kind) => {
        const [w, beta] = kind.split(':').map(Number);
        const dx = await tunedGemm(ctx, { batch: R, M: N, N: s.dModel, K: w, strideA: N * w, strideB: P, strideC: N * s.dModel, beta });
        return [kind, dx] as const;
      }),
    ),
  ]);
  const products = new Map(perWidth);
  const dxProduct = new Map(dxProducts);

  const logits = ctx.pool.acquire(4 * rows * vocabChunk, 'vocabCrossEntropy chunk logits');
  const rowStats = ctx.pool.acquire(16 * rows, 'vocabCrossEntropy row statistics');
  const table = new Uint32Array(chunks.length * ALIGN);
  chunks.forEach((c, i) => table.set([c.start, c.width], i * ALIGN));
  const chunkTable = ctx.pool.upload(table, 'vocabCrossEntropy chunk table');

  // Windows into the slabs: replica r of the window is r·P floats in (gemm's and reduceRows' batch strides).
  const slabWindow = (buffer: GPUBuffer, offset: number, floats: number): BufferBinding =>
    ({ buffer, offset: 4 * offset, size: 4 * ((R - 1) * P + floats) });
  const decoderRows = (buffer: GPUBuffer, c: { start: number; width: number }) => slabWindow(buffer, s.decoderOffset + c.start * s.dModel, c.width * s.dModel);
  const chunkEntry = (i: number): BufferBinding => ({ buffer: chunkTable, offset: 4 * ALIGN * i, size: 8 });

  const forward = (b: VocabHeadEvalBuffers, label: string): Dispatch[] => {
    const bias = slabWindow(b.params, s.biasOffset, s.V);
    const list = chunks.flatMap((c, i) => [
      products.get(c.width)!.logits({ A: b.x, B: decoderRows(b.params, c), C: logits }, `${label} logits ${i}`),
      ce.chunkForward({ logits, bias, tokens: b.tokens, chunk: chunkEntry(i), rowStats }, c.width, `${label} chunkForward ${i}`),
    ]);
    return [...list, ce.finish({ rowStats, rowLoss: b.rowLoss, loss: b.loss }, `${label} finish`)];
  };

  return {
    vocabChunk,
    chunks,
    logits,
    rowStats,
    chunkTable,
    /** The loss alone (per row and per replica). */
    evaluation: (b: VocabHeadEvalBuffers, label = 'vocabCrossEntropy'): Dispatch[] => forward(b, label),
    /** The loss, then dx, dW_dec (or d embed, tied) and db_dec. */
    training: (b: VocabHeadTrainBuffers, label = 'vocabCrossEntropy'): Dispatch[] => {
      const bias = slabWindow(b.params, s.biasOffset, s.V);
      const backward = backwardOrder.flatMap((i) => {
        const c = chunks[i];
        const p = products.get(c.width)!;
        const weights = decoderRows(b.params, c);
        return [
          ...(i === backwardOrder[0] ? [] : [p.logits({ A: b.x, B: weights, C: logits }, `${label} logits again ${i}`)]),
          ce.chunkBackward({ logits, bias, tokens: b.tokens, chunk: chunkEntry(i), rowStats }, c.width, `${label} chunkBackward ${i}`),
          dxProduct.get(`${c.width}:${dxBeta(i)}`)!({ A: logits, B: weights, C: b.dx }, `${label} dx ${i}`),
          ...p.dW({ A: logits, B: b.x, C: decoderRows(b.grads, c) }, `${label} dW_dec ${i}`),
          p.db({ x: logits, out: slabWindow(b.grads, s.biasOffset + c.start, c.width) }, `${label} db_dec ${i}`),
        ];
      });
      return [...forward(b, label), ...backward];
    },
    release: () => {
      [logits, rowStats, chunkTable].forEach((buffer) => ctx.pool.release(buffer));
      for (const p of products.values()) p.dW.release();
    },
  };
}

/**
 * The row kernels' variant the adapter's tuner picks for this head, timed on a chunk of `width` columns in scratch
 * buffers (forward, finish, backward). The chunk table is written for real: the kernels loop over its width.
 */
async function tunedRowVariant(ctx: GpuContext, s: VocabHeadShape, width: number): Promise<VocabRowVariant> {
  const scratch = new TuningScratch(ctx.pool);
  const shape = { replicas: s.replicas, batch: s.batch, T: s.T, V: s.V, biasStride: s.slabSize };
  const rows = s.replicas * s.batch * s.T;
  return ctx.tuner.pick(ctx.device, 'vocabCrossEntropy', { ...shape, width }, vocabCrossEntropyVariants(rows, ctx.adapter.isSoftware) as Variant[], async (v) => {
    const ce = await vocabCrossEntropy(ctx.kernels, { ...shape, ...v });
    const chunk = scratch.get('chunk', 16);
    ctx.device.queue.writeBuffer(chunk, 0, Uint32Array.of(0, width));
    const buffers = {
      logits: scratch.get('logits', 4 * rows * width),
      bias: scratch.get('bias', 4 * ((s.replicas - 1) * s.slabSize + width)),
      tokens: scratch.get('tokens', 4 * s.replicas * s.batch * (s.T + 1)),
      chunk,
      rowStats: scratch.get('rowStats', 16 * rows),
    };
    return [
      ce.chunkForward(buffers, width),
      ce.finish({ rowStats: buffers.rowStats, rowLoss: scratch.get('rowLoss', 4 * rows), loss: scratch.get('loss', 4 * s.replicas) }),
      ce.chunkBackward(buffers, width),
    ];
  }, scratch) as Promise<VocabRowVariant>;
}
