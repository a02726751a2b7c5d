// Host wrapper for shaders/layerNorm.wgsl: forward (saves mean and rstd), backward (dx) and backwardParams
// (dg, db in two fixed-order stages). Reference: src/reference/layerNorm.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { assertPositiveInt, strideGroups } from './grid';

export interface LayerNormShape {
  replicas: number;
  /** Rows per replica: its B·T positions. */
  rows: number;
  dModel: number;
  /** Added to the variance (default 1e-5, PyTorch's). */
  eps?: number;
  /** Floats between consecutive replicas' g and b, and dg and db (default dModel; a slab's P inside one). */
  gStride?: number;
  bStride?: number;
  /**
   * Threads per row in forward and backward, a power of two (default 32: a workgroup tree per row, for GPUs);
   * 1 is a thread per row without barriers (faster on SwiftShader).
   */
  rowThreads?: number;
  /** Rows per workgroup in forward and backward (default 256 / rowThreads, at most 256 threads in all). */
  rowsPerWorkgroup?: number;
  /** Rows each backwardParams partial sums (default 64); more rows, fewer partials and less parallelism. */
  paramBlockRows?: number;
  /** Columns per workgroup in backwardParams (default 64). */
  paramWg?: number;
  /** backward adds its gradient to dx instead of overwriting it (pre-LN: dx already holds the residual's gradient). */
  accumulate?: boolean;
}

export interface LayerNormForwardBuffers {
  /** [replicas][rows][dModel] */
  x: BufferBinding;
  /** [replicas] of [dModel] at gStride / bStride. */
  g: BufferBinding;
  b: BufferBinding;
  y: BufferBinding;
  /** [replicas][rows]: saved for the backward. */
  mean: BufferBinding;
  rstd: BufferBinding;
}

export interface LayerNormBackwardBuffers {
  x: BufferBinding;
  g: BufferBinding;
  mean: BufferBinding;
  rstd: BufferBinding;
  dy: BufferBinding;
  dx: BufferBinding;
}

export interface LayerNormParamBuffers {
  x: BufferBinding;
  mean: BufferBinding;
  rstd: BufferBinding;
  dy: BufferBinding;
  /** Scratch of layerNormPartialsBytes(shape). */
  partials: BufferBinding;
  /** [replicas] of [dModel] at gStride / bStride: overwritten (padding between replicas untouched). */
  dg: BufferBinding;
  db: BufferBinding;
}

const MAX_THREADS = 256; // shaders/layerNorm.wgsl MAX_THREADS
const MAX_GROUPS = 65535;

function paramBlocks(s: LayerNormShape): number {
  return Math.ceil(s.rows / (s.paramBlockRows ?? 64));
}

/** Bytes of the backwardParams scratch: (dg, db) partial sums per replica, row block and column. */
export function layerNormPartialsBytes(s: LayerNormShape): number {
  return 8 * s.replicas * paramBlocks(s) * s.dModel;
}

function check(s: LayerNormShape) {
  for (const k of ['replicas', 'rows', 'dModel'] as const) assertPositiveInt('layerNorm', k, s[k]);
  const eps = s.eps ?? 1e-5;
  if (!(eps > 0 && Number.isFinite(eps))) throw new RangeError(`layerNorm: eps = ${eps}; it must be a positive finite number`);
  const strides = { gStride: s.gStride ?? s.dModel, bStride: s.bStride ?? s.dModel };
  for (const [k, v] of Object.entries(strides)) {
    if (!Number.isInteger(v) || v < 0 || (s.replicas > 1 && v < s.dModel)) {
      throw new RangeError(`layerNorm: ${k} = ${v}; it must be an integer >= dModel (${s.dModel})`);
    }
  }
  const rowThreads = s.rowThreads ?? 32;
  if (!Number.isInteger(Math.log2(rowThreads)) || rowThreads > MAX_THREADS) {
    throw new RangeError(`layerNorm: rowThreads = ${rowThreads}; it must be a power of two up to ${MAX_THREADS}`);
  }
  const rowsPerWorkgroup = s.rowsPerWorkgroup ?? MAX_THREADS / rowThreads;
  if (!Number.isInteger(rowsPerWorkgroup) || rowsPerWorkgroup < 1 || rowThreads * rowsPerWorkgroup > MAX_THREADS) {
    throw new RangeError(`layerNorm: rowsPerWorkgroup = ${rowsPerWorkgroup}; it must be a positive integer with rowThreads·rowsPerWorkgroup <= ${MAX_THREADS}`);
  }
  const paramBlockRows = s.paramBlockRows ?? 64;
  assertPositiveInt('layerNorm', 'paramBlockRows', paramBlockRows);
  const paramWg = s.paramWg ?? 64;
  if (!Number.isInteger(paramWg) || paramWg < 1 || paramWg > MAX_THREADS) throw new RangeError(`layerNorm: paramWg = ${paramWg}; allowed 1..${MAX_THREADS}`);
  if (paramBlocks(s) > MAX_GROUPS || s.replicas > MAX_GROUPS) {
    throw new RangeError(`layerNorm: ${paramBlocks(s)} row blocks x ${s.replicas} replicas; each allowed at most ${MAX_GROUPS} (raise paramBlockRows)`);
  }
  return { eps, ...strides, rowThreads, rowsPerWorkgroup, paramBlockRows, paramWg };
}

export async function layerNorm(kernels: KernelLibrary, s: LayerNormShape) {
  const v = check(s);
  const rows = s.replicas * s.rows;
  const n = rows * s.dModel;
  const constants = {
    ROWS: rows, ROWS_PER_REPLICA: s.rows, D_MODEL: s.dModel, EPS: v.eps, G_STRIDE: v.gStride, B_STRIDE: v.bStride,
    ROW_THREADS: v.rowThreads, ROWS_PER_GROUP: v.rowsPerWorkgroup, PARAM_BLOCK_ROWS: v.paramBlockRows, PARAM_WG: v.paramWg,
  };
  const [forwardKernel, backwardKernel, partialsKernel, finishG, finishB] = await Promise.all([
    kernels.kernel('layerNorm', { entryPoint: 'forward', constants }),
    kernels.kernel('layerNorm', { entryPoint: 'backward', constants: s.accumulate ? { ...constants, ACCUMULATE: 1 } : constants }),
    kernels.kernel('layerNorm', { entryPoint: 'paramPartials', constants }),
    kernels.kernel('layerNorm', { entryPoint: 'paramFinish', constants }),
    kernels.kernel('layerNorm', { entryPoint: 'paramFinish', constants: { ...constants, FINISH_BIAS: 1 } }),
  ]);
  const rowGroups: [number] = [strideGroups(rows, v.rowsPerWorkgroup)];
  const columnGroups = Math.ceil(s.dModel / v.paramWg);
  const blocks = paramBlocks(s);
  const gBytes = 4 * ((s.replicas - 1) * v.gStride + s.dModel);
  const bBytes = 4 * ((s.replicas - 1) * v.bStride + s.dModel);
  const params = 4 * s.replicas * s.dModel;
  return {
    forward: (buffers: LayerNormForwardBuffers, label = 'layerNorm.forward'): Dispatch =>
      forwardKernel.dispatch({ ...buffers }, rowGroups, {
        label,
        minBytes: { x: 4 * n, y: 4 * n, g: gBytes, b: bBytes, mean: 4 * rows, rstd: 4 * rows },
        // sum; subtract, square, add; subtract, two products, add
        flops: 8 * n,
        bytes: 4 * 3 * n + 2 * params + 8 * rows, // x read three times, y written; g, b; mean, rstd
      }),
    backward: (buffers: LayerNormBackwardBuffers, label = 'layerNorm.backward'): Dispatch =>
      backwardKernel.dispatch({ ...buffers }, rowGroups, {
        label,
        minBytes: { x: 4 * n, dy: 4 * n, dx: 4 * n, g: gBytes, mean: 4 * rows, rstd: 4 * rows },
        flops: 14 * n,
        bytes: 4 * (5 + (s.accumulate ? 1 : 0)) * n + params + 8 * rows, // x and dy read twice, dx written (and read when accumulating); g; mean, rstd
      }),
    backwardParams: (buffers: LayerNormParamBuffers, label = 'layerNorm.backwardParams'): Dispatch[] => {
      const partials = 2 * s.replicas * blocks * s.dModel;
      return [
        partialsKernel.dispatch(
          { x: buffers.x, mean: buffers.mean, rstd: buffers.rstd, dy: buffers.dy, partials: buffers.partials },
          [columnGroups, blocks, s.replicas],
          {
            label: `${label} partials`,
            minBytes: { x: 4 * n, dy: 4 * n, mean: 4 * rows, rstd: 4 * rows, partials: 4 * partials },
            flops: 5 * n,
            bytes: 4 * (2 * n + partials) + 8 * rows,
          },
        ),
        // dg and db in separate dispatches: in one gradient slab their windows overlap across replicas.
        finishG.dispatch({ partials: buffers.partials, dParam: buffers.dg }, [columnGroups, s.replicas], {
          label: `${label} finish dg`,
          minBytes: { partials: 4 * partials, dParam: gBytes },
          flops: partials / 2,
          bytes: 4 * partials + params,
        }),
        finishB.dispatch({ partials: buffers.partials, dParam: buffers.db }, [columnGroups, s.replicas], {
          label: `${label} finish db`,
          minBytes: { partials: 4 * partials, dParam: bBytes },
          flops: partials / 2,
          bytes: 4 * partials + params,
        }),
      ];
    },
  };
}

/**
 * Row variants, the adapter class's default first: a workgroup tree per row (GPUs: dModel 768 is 24 columns a
 * lane) or a thread per row without barriers (CPU adapters: 2.8 vs 168 ms on SwiftShader at the Tian size).
 */
export function layerNormVariants(software: boolean): Variant[] {
  const tree = { rowThreads: 32 };
  const thread = { rowThreads: 1 };
  return software ? [thread, tree] : [tree, thread];
}

/** layerNorm with the variant the adapter's tuner picks, timed on a forward, a backward and the parameter sums. */
export async function tunedLayerNorm(ctx: GpuContext, s: LayerNormShape) {
  const scratch = new TuningScratch(ctx.pool);
  const n = 4 * s.replicas * s.rows * s.dModel;
  const params = 4 * ((s.replicas - 1) * Math.max(s.gStride ?? s.dModel, s.bStride ?? s.dModel) + s.dModel);
  const variant = await ctx.tuner.pick(ctx.device, 'layerNorm', { ...s, accumulate: undefined }, layerNormVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await layerNorm(ctx.kernels, { ...s, ...v });
    const b = (name: string, bytes: number) => scratch.get(name, bytes);
    const rows = 4 * s.replicas * s.rows;
    return [
      op.forward({ x: b('x', n), g: b('g', params), b: b('b', params), y: b('y', n), mean: b('mean', rows), rstd: b('rstd', rows) }),
      op.backward({ x: b('x', n), g: b('g', params), mean: b('mean', rows), rstd: b('rstd', rows), dy: b('dy', n), dx: b('dx', n) }),
      ...op.backwardParams({ x: b('x', n), mean: b('mean', rows), rstd: b('rstd', rows), dy: b('dy', n), partials: b('partials', layerNormPartialsBytes(s)), dg: b('dg', params), db: b('db', params) }),
    ];
  }, scratch);
  return layerNorm(ctx.kernels, { ...s, ...variant });
}
