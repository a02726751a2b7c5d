// Host wrapper for shaders/reduceRows.wgsl: out[r][j] = scale * sum_b x[r][b][j] (+ beta * out[r][j]) in a fixed order (bit-identical
// run to run). Reference: src/reference/reduceRows.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { assertPositiveInt } from './grid';

export interface ReduceRowsShape {
  /** Independent reductions, usually replicas. */
  rows: number;
  /** Entries summed per output (the batch axis). */
  batch: number;
  cols: number;
  /** Multiplies the sum: 1 (default) sums, 1 / batch averages. */
  scale?: number;
  /** 0 (default) overwrites out; 1 adds the result to it. */
  beta?: number;
  /** Columns per workgroup (default 16). */
  wgCols?: number;
  /** Threads summing along the batch per column, a power of two (default 16); wgCols * wgBatch <= 256. */
  wgBatch?: number;
  /** Floats between consecutive rows of out (default cols; a slab's P for a gradient inside it). */
  outStride?: number;
}

export interface ReduceRowsBuffers {
  /** [rows][batch][cols] */
  x: BufferBinding;
  /** [rows][cols] */
  out: BufferBinding;
}

const MAX_THREADS = 256; // shaders/reduceRows.wgsl MAX_THREADS

export async function reduceRows(kernels: KernelLibrary, s: ReduceRowsShape) {
  for (const k of ['rows', 'batch', 'cols'] as const) assertPositiveInt('reduceRows', k, s[k]);
  const scale = s.scale ?? 1;
  if (!Number.isFinite(scale)) throw new RangeError(`reduceRows: scale = ${scale}; it must be a finite number`);
  const beta = s.beta ?? 0;
  if (!Number.isFinite(beta)) throw new RangeError(`reduceRows: beta = ${beta}; it must be a finite number`);
  const wgCols = s.wgCols ?? 16;
  const wgBatch = s.wgBatch ?? 16;
  assertPositiveInt('reduceRows', 'wgCols', wgCols);
  if (!Number.isInteger(Math.log2(wgBatch))) throw new RangeError(`reduceRows: wgBatch = ${wgBatch}; it must be a power of two`);
  if (wgCols * wgBatch > MAX_THREADS) {
    throw new RangeError(`reduceRows: wgCols * wgBatch = ${wgCols * wgBatch}; allowed at most ${MAX_THREADS}`);
  }
  const outStride = s.outStride ?? s.cols;
  if (!Number.isInteger(outStride) || outStride < s.cols) throw new RangeError(`reduceRows: outStride = ${outStride}; it must be an integer >= cols (${s.cols})`);
  const kernel = await kernels.kernel('reduceRows', {
    constants: { BATCH: s.batch, COLS: s.cols, SCALE: scale, BETA: beta, WG_COLS: wgCols, WG_BATCH: wgBatch, OUT_STRIDE: outStride },
  });
  const n = s.rows * s.batch * s.cols;
  return (buffers: ReduceRowsBuffers, label = 'reduceRows'): Dispatch =>
    kernel.dispatch({ ...buffers }, [Math.ceil(s.cols / wgCols), s.rows], {
      label,
      minBytes: { x: 4 * n, out: 4 * ((s.rows - 1) * outStride + s.cols) },
      flops: n,
      bytes: 4 * (n + s.rows * s.cols * (beta ? 2 : 1)),
    });
}

/**
 * The workgroup shapes worth trying, the adapter class's default first: a 16-lane tree per column (GPUs: the H100
 * ran ICL's dW reduction 2.4x faster than one thread per column) or one thread per column with no barrier (CPU
 * adapters: 20x faster on SwiftShader, which pays for every barrier).
 */
export function reduceRowsVariants(s: ReduceRowsShape, software: boolean): Variant[] {
  const tree = { wgCols: 16, wgBatch: Math.min(16, 2 ** Math.floor(Math.log2(s.batch))) };
  const column = { wgCols: 64, wgBatch: 1 };
  return software ? [column, tree] : [tree, column];
}

/** reduceRows with the variant the adapter's tuner picks for this shape. */
export async function tunedReduceRows(ctx: GpuContext, s: ReduceRowsShape) {
  const scratch = new TuningScratch(ctx.pool);
  const stride = s.outStride ?? s.cols;
  const variant = await ctx.tuner.pick(ctx.device, 'reduceRows', s, reduceRowsVariants(s, ctx.adapter.isSoftware), async (v) => {
    const op = await reduceRows(ctx.kernels, { ...s, ...v });
    return [op({ x: scratch.get('x', 4 * s.rows * s.batch * s.cols), out: scratch.get('out', 4 * ((s.rows - 1) * stride + s.cols)) })];
  }, scratch);
  return reduceRows(ctx.kernels, { ...s, ...variant });
}
