// Host wrapper for shaders/positionalEncoding.wgsl (add) and its backward (a reduceRows batch sum written at
// the slab stride), plus the sinusoidal table. Reference: src/reference/positionalEncoding.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';
import { reduceRows, reduceRowsVariants } from './reduceRows';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { elementwiseGridVariants } from './dropout';

export interface PositionalEncodingShape {
  replicas: number;
  batch: number;
  T: number;
  dModel: number;
  /**
   * Floats between consecutive replicas' PE: 0 (default) shares one table, e.g. the sinusoidal one; a learned
   * `pos` inside the parameter slab has the slab's P. Its gradient is written at the same stride.
   */
  peStride?: number;
  /** Threads per workgroup of `add` (default 256). */
  wg?: number;
  /** Workgroups per replica of `add` at most (default: a thread per element); threads stride over the rest. */
  maxGroups?: number;
  /** reduceRows' workgroup for the backward (default: as many batch lanes as the batch fills, up to 16). */
  backwardWgCols?: number;
  backwardWgBatch?: number;
}

export interface PositionalAddBuffers {
  /** [replicas][batch][T][dModel], updated in place. */
  x: BufferBinding;
  /** [T][dModel], or [replicas] of them at peStride. */
  pe: BufferBinding;
}

export interface PositionalBackwardBuffers {
  /** [replicas][batch][T][dModel] */
  dx: BufferBinding;
  /** [replicas] of [T][dModel] at peStride: overwritten (padding between replicas untouched). */
  dpos: BufferBinding;
}

/**
 * The sinusoidal table of the PyTorch tutorial, T x dModel, computed in float64 and rounded once to f32:
 * PE[t][2i] = sin(t·exp(−2i·ln(10000)/dModel)), PE[t][2i + 1] = cos(the same). For odd dModel the last column
 * (2i = dModel − 1) is a sine without its cosine partner (the tutorial's code needs an even dModel). PyTorch
 * computes the table in float32, so at large t its entries differ from these by up to about t·1e-7.
 */
export function sinusoidalTable(T: number, dModel: number): Float32Array {
  assertPositiveInt('sinusoidalTable', 'T', T);
  assertPositiveInt('sinusoidalTable', 'dModel', dModel);
  const table = new Float32Array(T * dModel);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < dModel; c++) {
      const twoI = c - (c % 2);
      const angle = t * Math.exp((-twoI * Math.log(10000)) / dModel);
      table[t * dModel + c] = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}

export async function positionalEncoding(kernels: KernelLibrary, s: PositionalEncodingShape) {
  for (const k of ['replicas', 'batch', 'T', 'dModel'] as const) assertPositiveInt('positionalEncoding', k, s[k]);
  const table = s.T * s.dModel;
  const peStride = s.peStride ?? 0;
  if (!Number.isInteger(peStride) || peStride < 0 || (s.replicas > 1 && peStride > 0 && peStride < table)) {
    throw new RangeError(`positionalEncoding: peStride = ${peStride}; it must be 0 (one shared table) or an integer >= T·dModel (${table})`);
  }
  if (s.replicas > 65535) throw new RangeError(`positionalEncoding: replicas = ${s.replicas}; allowed at most 65535 (the grid's y limit)`);
  const wg = s.wg ?? 256;
  if (!Number.isInteger(wg) || wg < 1 || wg > 256) throw new RangeError(`positionalEncoding: wg = ${wg}; allowed 1..256`);
  if (s.maxGroups !== undefined) assertPositiveInt('positionalEncoding', 'maxGroups', s.maxGroups);
  const size = s.batch * table;
  const n = s.replicas * size;
  const peBytes = 4 * ((s.replicas - 1) * peStride + table);
  const addKernel = await kernels.kernel('positionalEncoding', {
    entryPoint: 'add',
    constants: { BATCH: s.batch, T: s.T, D_MODEL: s.dModel, PE_STRIDE: peStride, WG: wg },
  });
  const add = (buffers: PositionalAddBuffers, label = 'positionalEncoding.add'): Dispatch =>
    addKernel.dispatch({ ...buffers }, [strideGroups(size, wg, s.maxGroups), s.replicas], {
      label,
      minBytes: { x: 4 * n, pe: peBytes },
      flops: n,
      bytes: 4 * (2 * n + (peStride === 0 ? 1 : s.replicas) * table),
    });
  // The backward exists only for a learned table: every replica owns its gradient.
  const wgBatch = s.backwardWgBatch ?? Math.min(16, 2 ** Math.floor(Math.log2(s.batch)));
  const sum = peStride === 0 && s.replicas > 1 ? null : await reduceRows(kernels, {
    rows: s.replicas, batch: s.batch, cols: table, outStride: Math.max(peStride, table),
    wgBatch, wgCols: s.backwardWgCols ?? 256 / wgBatch,
  });
  const backward = (buffers: PositionalBackwardBuffers, label = 'positionalEncoding.backward'): Dispatch => {
    if (!sum) throw new RangeError(`positionalEncoding: backward needs a learned table per replica; peStride = 0 shares one across ${s.replicas} replicas`);
    return sum({ x: buffers.dx, out: buffers.dpos }, label);
  };
  return { add, backward };
}

/**
 * Variants, the adapter class's default first: `add`'s grid (elementwiseGridVariants) and the backward's
 * reduction (reduceRows' tree or column, reduceRowsVariants), paired by class. The values are the same for every
 * `add` grid; the backward's bits follow its reduction.
 */
export function positionalEncodingVariants(s: PositionalEncodingShape, software: boolean): Variant[] {
  const reductions = reduceRowsVariants({ rows: s.replicas, batch: s.batch, cols: s.T * s.dModel }, software);
  return elementwiseGridVariants(s.replicas, software).map((grid, i) => {
    const { wgCols, wgBatch } = reductions[i] as { wgCols: number; wgBatch: number };
    return { ...grid, backwardWgCols: wgCols, backwardWgBatch: wgBatch };
  });
}

/** positionalEncoding with the variant the adapter's tuner picks (timed on `add`, and the backward when it exists). */
export async function tunedPositionalEncoding(ctx: GpuContext, s: PositionalEncodingShape) {
  const scratch = new TuningScratch(ctx.pool);
  const table = s.T * s.dModel;
  const stride = s.peStride ?? 0;
  const n = 4 * s.replicas * s.batch * table;
  const pe = 4 * ((s.replicas - 1) * stride + table);
  const key = { ...s, wg: undefined, maxGroups: undefined, backwardWgCols: undefined, backwardWgBatch: undefined };
  const variant = await ctx.tuner.pick(ctx.device, 'positionalEncoding', key, positionalEncodingVariants(s, ctx.adapter.isSoftware), async (v) => {
    const op = await positionalEncoding(ctx.kernels, { ...s, ...v });
    const learned = stride > 0 || s.replicas === 1;
    return [
      op.add({ x: scratch.get('x', n), pe: scratch.get('pe', pe) }),
      ...(learned ? [op.backward({ dx: scratch.get('x', n), dpos: scratch.get('pe', pe) })] : []),
    ];
  }, scratch);
  return positionalEncoding(ctx.kernels, { ...s, ...variant });
}
