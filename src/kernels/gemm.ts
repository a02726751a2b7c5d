// Host wrappers for shaders/gemm.wgsl: C[b] = alpha op(A[b]) op(B[b]) + beta C[b], as one dispatch (gemm) or
// split along K with a fixed-order reduction (gemmSplitK). Reference for both: src/reference/gemm.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import type { BufferPool } from '../runtime/buffers';
import { assertPositiveInt } from './grid';
import { reduceRows } from './reduceRows';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { dropoutThreshold } from '../util/random';

export interface GemmShape {
  batch: number;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** Broadcast one A (or B) to every batch entry instead of one per batch. */
  shareA?: boolean;
  shareB?: boolean;
  alpha?: number;
  /** 0 (default) overwrites C; 1 accumulates into it. */
  beta?: number;
  /** Threads per workgroup side (tile 4·wgSide columns by threadRows·wgSide rows). 8 suits most GPUs; <= 16. */
  wgSide?: number;
  /**
   * Stage K slabs of A and B through workgroup memory (default true, what GPUs want), or let each thread read its
   * operands straight from memory with no barrier (what CPU adapters want). Both give the same bits.
   */
  workgroupTiles?: boolean;
  /** Rows of C per thread: 4 (default) or 8 (fewer loads per product; with workgroup tiles, wgSide <= 8). */
  threadRows?: 4 | 8;
  /** Columns of C per thread: 4 (default) or 8 (the same). */
  threadCols?: 4 | 8;
  /**
   * Without workgroup tiles: a quad's lanes share their loads of A (and with wgSide 2 of B), the shader's QUADS
   * (needs the device's `subgroups` feature; wgSide 2 or a multiple of 4). The same bits.
   */
  quads?: boolean;
  /**
   * Elements between consecutive batch entries of A, B or C when they are not packed (default M·K, K·N, M·N; 0
   * for a shared operand). A tensor inside a parameter slab [R][P] has stride P (docs/transformer.md); elements
   * between the windows are never read (A, B) or written (C).
   */
  strideA?: number;
  strideB?: number;
  strideC?: number;
}

/** The batch strides a shape uses: given, or packed (0 for a shared operand). */
export function gemmStrides(s: GemmShape): { A: number; B: number; C: number } {
  return {
    A: s.strideA ?? (s.shareA ? 0 : s.M * s.K),
    B: s.strideB ?? (s.shareB ? 0 : s.K * s.N),
    C: s.strideC ?? s.M * s.N,
  };
}

/** Floats a strided operand spans: (batch − 1)·stride + one matrix. */
function span(batch: number, stride: number, size: number): number {
  return (batch - 1) * stride + size;
}

/** Whole buffers or windows into them (e.g. one chunk of a larger activation). */
export interface GemmBuffers {
  A: BufferBinding;
  B: BufferBinding;
  C: BufferBinding;
}

interface SplitPlan {
  splits: number;
  kPerSplit: number;
}

/** Rows (and columns) a workgroup tile of the tiled product holds: shaders/gemm.wgsl MAX_TILE. */
const MAX_TILE = 64;

function checkShape(name: string, s: GemmShape): number {
  for (const k of ['batch', 'M', 'N', 'K'] as const) assertPositiveInt(name, k, s[k]);
  const wgSide = s.wgSide ?? 8;
  if (!Number.isInteger(wgSide) || wgSide < 1 || wgSide > 16) throw new RangeError(`${name}: wgSide = ${wgSide}; allowed 1..16`);
  for (const k of ['threadRows', 'threadCols'] as const) {
    const block = s[k] ?? 4;
    if (block !== 4 && block !== 8) throw new RangeError(`${name}: ${k} = ${block}; allowed 4 or 8`);
    // The tiled product's workgroup arrays hold MAX_TILE rows and columns (shaders/gemm.wgsl).
    if ((s.workgroupTiles ?? true) && block * wgSide > MAX_TILE) {
      throw new RangeError(`${name}: ${k} = ${block} with wgSide ${wgSide} makes tiles of ${block * wgSide}; with workgroupTiles at most ${MAX_TILE} (wgSide <= ${MAX_TILE / block})`);
    }
  }
  if (s.quads && (s.workgroupTiles ?? true)) throw new RangeError(`${name}: quads = true needs workgroupTiles false (the tiled product shares through workgroup memory)`);
  if (s.quads && wgSide !== 2 && wgSide % 4 !== 0) throw new RangeError(`${name}: quads = true needs wgSide 2 or a multiple of 4; wgSide = ${wgSide}`);
  const strides = gemmStrides(s);
  const need = { A: s.shareA ? 0 : s.M * s.K, B: s.shareB ? 0 : s.K * s.N, C: s.M * s.N };
  for (const k of ['A', 'B', 'C'] as const) {
    const stride = strides[k];
    if (!Number.isInteger(stride) || stride < 0 || (s.batch > 1 && stride > 0 && stride < need[k])) {
      throw new RangeError(`${name}: stride${k} = ${stride}; it must be an integer >= ${need[k]} (one matrix), or 0 to share ${k}${k === 'C' ? ' (not allowed for C)' : ''}`);
    }
  }
  if (s.batch > 1 && strides.C === 0) throw new RangeError(`${name}: strideC = 0 with batch ${s.batch}: every batch entry needs its own C`);
  return wgSide;
}

/** What an epilogue entry of shaders/gemm.wgsl adds to the plain product: its entry, constants and traffic. */
interface Epilogue {
  entryPoint: string;
  constants: Record<string, number>;
  /** Extra bindings' minimum sizes in bytes. */
  minBytes: Record<string, number>;
  /** Extra floating-point operations and bytes per output element. */
  flopsPerOutput: number;
  bytesPerOutput: number;
  /** Bytes read once per dispatch (a bias per batch entry). */
  bytes: number;
}

/**
 * The gemm pipeline and its dispatch. With a split plan, z runs over batch * splits and C receives the raw
 * partial sums [batch][splits][M][N] (alpha and beta are left to the reduction). An epilogue (never split)
 * picks one of the shader's epilogue entries.
 */
async function gemmKernel(kernels: KernelLibrary, s: GemmShape, wgSide: number, split?: SplitPlan, epilogue?: Epilogue) {
  const strides = gemmStrides(s);
  const strideA = strides.A;
  const strideB = strides.B;
  // Split partials go to packed scratch [batch][splits][M][N]; the reduction writes C at its own stride.
  const strideC = split ? s.M * s.N : strides.C;
  const splits = split?.splits ?? 1;
  if (s.quads && !kernels.device.features.has('subgroups')) {
    throw new RangeError('gemm: quads = true needs the subgroups feature, which this device lacks; use quads = false');
  }
  const kernel = await kernels.kernel('gemm', {
    ...(epilogue && { entryPoint: epilogue.entryPoint }),
    constants: {
      M: s.M, N: s.N, K: s.K,
      TRANS_A: s.transA ? 1 : 0, TRANS_B: s.transB ? 1 : 0,
      STRIDE_A: strideA, STRIDE_B: strideB, STRIDE_C: strideC,
      ALPHA: split ? 1 : (s.alpha ?? 1), BETA: split ? 0 : (s.beta ?? 0), WG_SIDE: wgSide,
      WORKGROUP_TILES: (s.workgroupTiles ?? true) ? 1 : 0, THREAD_ROWS: s.threadRows ?? 4, THREAD_COLS: s.threadCols ?? 4,
      QUADS: s.quads ? 1 : 0,
      ...(split && { SPLITS: split.splits, K_SPLIT: split.kPerSplit }),
      ...epilogue?.constants,
    },
  });
  const beta = split ? 0 : (s.beta ?? 0);
  const outputs = s.batch * splits * s.M * s.N;
  return (buffers: GemmBuffers & { bias?: BufferBinding; pre?: BufferBinding }, label: string): Dispatch =>
    kernel.dispatch({ ...buffers }, [Math.ceil(s.N / ((s.threadCols ?? 4) * wgSide)), Math.ceil(s.M / ((s.threadRows ?? 4) * wgSide)), s.batch * splits], {
      label,
      minBytes: {
        A: 4 * span(s.batch, strideA, s.M * s.K),
        B: 4 * span(s.batch, strideB, s.K * s.N),
        C: 4 * span(s.batch * splits, strideC, s.M * s.N),
        ...epilogue?.minBytes,
      },
      flops: 2 * s.batch * s.M * s.N * s.K + outputs * (epilogue?.flopsPerOutput ?? 0),
      bytes: 4 * ((s.shareA ? 1 : s.batch) * s.M * s.K + (s.shareB ? 1 : s.batch) * s.K * s.N + outputs * (beta ? 2 : 1)) +
        outputs * (epilogue?.bytesPerOutput ?? 0) + (epilogue?.bytes ?? 0),
    });
}

export async function gemm(kernels: KernelLibrary, s: GemmShape) {
  const wgSide = checkShape('gemm', s);
  const op = await gemmKernel(kernels, s, wgSide);
  return (buffers: GemmBuffers, label = 'gemm'): Dispatch => op(buffers, label);
}

/** The FFN's activations; gemm's epilogues apply them (and their derivatives) to the product. */
export type GemmActivation = 'relu' | 'gelu';
const ACTIVATION_CODE: Record<GemmActivation, number> = { relu: 1, gelu: 2 }; // shaders/gemm.wgsl ACTIVATION
/** Flops counted per activation (and per derivative): erf's polynomial, exp, and the products around them. */
const ACTIVATION_FLOPS: Record<GemmActivation, number> = { relu: 1, gelu: 24 };

export interface GemmBiasShape extends GemmShape {
  /** Applied after the bias (default none); with one, the pre-activation is written to `pre` too. */
  activation?: 'none' | GemmActivation;
  /** Floats between consecutive batch entries' bias vectors (default N; 0 shares one; a slab's P inside one). */
  strideBias?: number;
}

export interface GemmBiasBuffers extends GemmBuffers {
  /** [batch][N] at strideBias. */
  bias: BufferBinding;
  /** The pre-activation alpha·AB + bias, C's layout: given exactly when there is an activation. */
  pre?: BufferBinding;
}

function checkActivation(name: string, activation: unknown, allowNone: boolean): void {
  const allowed = [...(allowNone ? ['none'] : []), ...Object.keys(ACTIVATION_CODE)];
  if (!allowed.includes(activation as string)) throw new RangeError(`${name}: activation = ${String(activation)}; allowed ${allowed.join(', ')}`);
}

/**
 * C[b] = act(alpha op(A[b]) op(B[b]) + bias[b]) + beta C[b], the bias broadcast over rows (a linear layer
 * y = x Wᵀ + b is transB with A = x, B = W). With an activation, `pre` receives alpha·AB + bias (what
 * gemmActivationGrad needs in the backward). One dispatch; the product is gemm's own, summed in the same order.
 */
export async function gemmBias(kernels: KernelLibrary, s: GemmBiasShape) {
  const wgSide = checkShape('gemmBias', s);
  const activation = s.activation ?? 'none';
  checkActivation('gemmBias', activation, true);
  const strideBias = s.strideBias ?? s.N;
  if (!Number.isInteger(strideBias) || strideBias < 0 || (s.batch > 1 && strideBias > 0 && strideBias < s.N)) {
    throw new RangeError(`gemmBias: strideBias = ${strideBias}; it must be an integer >= N (${s.N}), or 0 to share one bias`);
  }
  const withActivation = activation !== 'none';
  const epilogue: Epilogue = {
    entryPoint: withActivation ? 'withBiasActivation' : 'withBias',
    constants: { STRIDE_BIAS: strideBias, ...(withActivation && { ACTIVATION: ACTIVATION_CODE[activation] }) },
    minBytes: {
      bias: 4 * span(s.batch, strideBias, s.N),
      ...(withActivation && { pre: 4 * span(s.batch, gemmStrides(s).C, s.M * s.N) }),
    },
    flopsPerOutput: 1 + (withActivation ? ACTIVATION_FLOPS[activation] : 0),
    bytesPerOutput: withActivation ? 4 : 0,
    bytes: 4 * (strideBias === 0 ? 1 : s.batch) * s.N,
  };
  const op = await gemmKernel(kernels, s, wgSide, undefined, epilogue);
  return (buffers: GemmBiasBuffers, label = 'gemmBias'): Dispatch => {
    if (withActivation !== (buffers.pre !== undefined)) {
      throw new RangeError(`gemmBias: buffer 'pre' is ${withActivation ? 'required with' : 'not used without'} an activation (activation = ${activation})`);
    }
    return op({ ...buffers }, label);
  };
}

export interface GemmActivationGradShape extends GemmShape {
  activation: GemmActivation;
  /**
   * The dropout that followed the activation in the forward (docs/transformer.md; index row·N + col of each batch
   * entry): its mask is redrawn here, so dZ = (AB ∘ keep / (1 − p)) ∘ act'(pre). Needs `seeds` and `step`.
   */
  dropout?: { p: number; layer: number; site: number };
}

export interface GemmActivationGradBuffers extends GemmBuffers {
  /** The forward's pre-activation (gemmBias's `pre`), C's layout. */
  pre: BufferBinding;
  /** With `dropout`: u32 [batch] seeds and the u32 [1] step counter. */
  seeds?: BufferBinding;
  step?: BufferBinding;
}

/**
 * C[b] = (alpha op(A[b]) op(B[b])) ∘ act'(pre[b]): the gradient through an activation in the product's own pass
 * (the FFN backward dH = (dY W_2) ∘ act'(pre)). beta must be 0: the result overwrites C.
 */
export async function gemmActivationGrad(kernels: KernelLibrary, s: GemmActivationGradShape) {
  const wgSide = checkShape('gemmActivationGrad', s);
  checkActivation('gemmActivationGrad', s.activation, false);
  if ((s.beta ?? 0) !== 0) throw new RangeError(`gemmActivationGrad: beta = ${s.beta}; allowed only 0 (C is overwritten)`);
  const drop = s.dropout;
  if (drop && !(drop.p >= 0 && drop.p < 1)) throw new RangeError(`gemmActivationGrad: dropout.p = ${drop.p}; allowed 0 <= p < 1`);
  const epilogue: Epilogue = {
    entryPoint: drop ? 'activationGradDropout' : 'activationGrad',
    constants: {
      ACTIVATION: ACTIVATION_CODE[s.activation],
      ...(drop && { DROP_THRESHOLD: dropoutThreshold(drop.p), DROP_SCALE: 1 / (1 - drop.p), DROP_LAYER: drop.layer, DROP_SITE: drop.site }),
    },
    minBytes: { pre: 4 * span(s.batch, gemmStrides(s).C, s.M * s.N), ...(drop && { seeds: 4 * s.batch, step: 4 }) },
    flopsPerOutput: 1 + ACTIVATION_FLOPS[s.activation],
    bytesPerOutput: 4,
    bytes: 0,
  };
  const op = await gemmKernel(kernels, s, wgSide, undefined, epilogue);
  return (buffers: GemmActivationGradBuffers, label = 'gemmActivationGrad'): Dispatch => {
    if ((drop !== undefined) !== (buffers.seeds !== undefined && buffers.step !== undefined)) {
      throw new RangeError(`gemmActivationGrad: buffers 'seeds' and 'step' are ${drop ? 'required with' : 'not used without'} dropout`);
    }
    return op({ ...buffers }, label);
  };
}

export interface GemmSplitKShape extends GemmShape {
  /** K ranges summed by separate workgroups (at most K); default: splitKCount's rule. 1 is plain gemm. */
  splits?: number;
  /** Sum the partials with one thread per output (no tree, no barrier: what CPU adapters want). */
  reduceByColumn?: boolean;
}

/**
 * Workgroups a split-K gemm aims for: about two per SM of a large GPU (an H100 has 132). Measured on an H100
 * (README, bench section): ICL's dW (M = N = 40, batch 4, K = 5376, 16 tiles) went from 0.534 ms unsplit to
 * 0.047 ms at 16 splits (256 workgroups) and 0.042 ms at 42 (672): past 256 the gain is small.
 */
export const SPLIT_K_TARGET_WORKGROUPS = 256;
/**
 * The shortest split: one K slab of shaders/gemm.wgsl. Not longer, because these products are latency-bound:
 * on the H100, K = 256 (ICL's dW_Q, batch 4, M = N = 40) took 0.033 ms unsplit, 0.022 ms in 2 splits of 128
 * and 0.009 ms in 16 splits of 16; the partials' extra traffic (splits x M x N floats) costs less than idle SMs.
 */
export const SPLIT_K_MIN_K = 16;
const KSLAB = SPLIT_K_MIN_K; // shaders/gemm.wgsl KSLAB
const MAX_GRID_Z = 65535;

/**
 * The automatic split count: enough splits that tiles x batch x splits reaches SPLIT_K_TARGET_WORKGROUPS,
 * but no split shorter than SPLIT_K_MIN_K, and each split a whole number of K slabs so that no workgroup loads
 * a half-empty slab. Shapes that already fill the GPU (or K < 2 slabs) get 1: plain gemm.
 */
export function splitKCount(s: GemmShape): number {
  const wgSide = s.wgSide ?? 8;
  const workgroups = Math.ceil(s.M / ((s.threadRows ?? 4) * wgSide)) * Math.ceil(s.N / ((s.threadCols ?? 4) * wgSide)) * s.batch;
  const wanted = Math.min(
    Math.ceil(SPLIT_K_TARGET_WORKGROUPS / workgroups),
    Math.floor(s.K / SPLIT_K_MIN_K),
    Math.floor(MAX_GRID_Z / s.batch),
  );
  if (wanted <= 1) return 1;
  const kPerSplit = Math.ceil(Math.ceil(s.K / wanted) / KSLAB) * KSLAB;
  return Math.ceil(s.K / kPerSplit);
}

/** The host-side pieces a split-K gemm needs: kernels, and the pool its scratch comes from. */
export interface SplitKContext {
  kernels: KernelLibrary;
  pool: BufferPool;
}

/**
 * C[b] = alpha op(A[b]) op(B[b]) + beta C[b] (the same contract as gemm) for small M x N and long K: each of
 * `splits` K ranges is summed by its own workgroups into a scratch buffer [batch][splits][M][N] taken from the
 * pool here, then reduceRows adds the partials in a fixed order and applies alpha and beta. Deterministic (no
 * atomics); the bits differ from gemm's (another summation order) but not from run to run. With one split it
 * is gemm's own single dispatch and needs no scratch. Dispatches built from one instance share its scratch,
 * which is safe in one plan because dispatches run in order; `release()` returns `scratch` to the pool.
 */
export async function gemmSplitK(ctx: SplitKContext, s: GemmSplitKShape) {
  const wgSide = checkShape('gemmSplitK', s);
  const requested = s.splits ?? splitKCount(s);
  if (!Number.isInteger(requested) || requested < 1 || requested > s.K) {
    throw new RangeError(`gemmSplitK: splits = ${requested}; allowed 1..K (K = ${s.K})`);
  }
  const kPerSplit = Math.ceil(s.K / requested);
  const splits = Math.ceil(s.K / kPerSplit); // drops trailing empty ranges (e.g. K = 9, 4 splits of 3)
  if (s.batch * splits > MAX_GRID_Z) {
    throw new RangeError(`gemmSplitK: batch x splits = ${s.batch} x ${splits}; allowed at most ${MAX_GRID_Z} (the grid's z limit)`);
  }
  if (splits === 1) {
    const op = await gemmKernel(ctx.kernels, s, wgSide);
    const build = (buffers: GemmBuffers, label = 'gemmSplitK'): Dispatch[] => [op(buffers, label)];
    return Object.assign(build, { splits, kPerSplit, scratch: null, release: () => {} });
  }
  // Few splits: fewer batch lanes and more columns per workgroup, so that no lane idles.
  const wgBatch = s.reduceByColumn ? 1 : Math.min(16, 2 ** Math.floor(Math.log2(splits)));
  const [partials, reduce] = await Promise.all([
    gemmKernel(ctx.kernels, s, wgSide, { splits, kPerSplit }),
    reduceRows(ctx.kernels, {
      rows: s.batch, batch: splits, cols: s.M * s.N, scale: s.alpha ?? 1, beta: s.beta ?? 0,
      wgBatch, wgCols: s.reduceByColumn ? 64 : 256 / wgBatch, outStride: gemmStrides(s).C,
    }),
  ]);
  const scratch = ctx.pool.acquire(4 * s.batch * splits * s.M * s.N, 'gemmSplitK partials');
  const build = (buffers: GemmBuffers, label = 'gemmSplitK'): Dispatch[] => [
    partials({ A: buffers.A, B: buffers.B, C: scratch }, `${label} partials`),
    reduce({ x: scratch, out: buffers.C }, `${label} reduce`),
  ];
  return Object.assign(build, { splits, kPerSplit, scratch, release: () => ctx.pool.release(scratch) });
}

/**
 * How the product is formed, the adapter class's default first. The variants give the same bits (each output is
 * fma-accumulated over k in increasing order either way), so the choice is speed alone. GPUs stage K slabs
 * through workgroup memory; CPU adapters read operands straight from memory: SwiftShader runs a workgroup with
 * barriers as coroutines, and ICL's 256 x 40 x 40 product took 10.8 ms tiled there, 0.75 ms without workgroup
 * memory in 8 x 8 threads and 0.66 ms in 2 x 2 (4 threads: one SIMD group of its 4 lanes). There a load costs
 * about ten FMAs, so the larger a thread's block the better: 8 x 8 blocks (64 products for 16 loads, 8 with
 * quads) in 2 x 2 threads beat 8 x 4 blocks in 4 x 4 threads at every shape timed, from 16 x 8 x 12 to the
 * transformer head's 700 x 10 000 x 200 (README, Kernels). The tiled product is not offered there: across the
 * 112 shapes of a SwiftShader tuning cache it was 4.5-16x slower than the best, and timing it cost minutes at the
 * tutorial-size head.
 */
export function gemmVariants(s: GemmShape, software: boolean, subgroups = false): Variant[] {
  if (!software) {
    // 64 x 64 tiles in 8 x 8 blocks: the usual shape of a fast GPU product for large matrices (not yet timed on a
    // GPU here; the tuner decides, and the measured 32 x 32 tiles stay the default).
    const large: Variant[] = s.M >= 64 && s.N >= 64 ? [{ workgroupTiles: true, wgSide: 16 }, { workgroupTiles: true, wgSide: 8, threadRows: 8, threadCols: 8 }] : [];
    return [{ workgroupTiles: true, wgSide: 8 }, ...large, { workgroupTiles: false, wgSide: 8, threadRows: 4 }];
  }
  const block8 = { workgroupTiles: false, wgSide: 2, threadRows: 8, threadCols: 8 };
  const large = { workgroupTiles: false, wgSide: 4, threadRows: 8 };
  const small = { workgroupTiles: false, wgSide: 2, threadRows: 4 };
  // Quads first where the device has subgroups (they halve the loads of A, and in 2 x 2 threads of B too).
  if (subgroups) return [{ ...block8, quads: true }, { ...large, quads: true }, { ...small, quads: true }, block8];
  return [block8, large, small];
}

/**
 * Whether `v` is a product variant this build runs for `s`, offered or not (any block, workgroup, tile and quad
 * combination the shader takes; a split count within K): a resumed run keeps the choice it recorded even when an
 * older build offered it and this one no longer does (the tuner's `retired`). Products give the same bits in every
 * variant, and a recorded split count is the run's own.
 */
export function runnableVariant(s: GemmShape, v: Variant, subgroups: boolean): boolean {
  const fields = ['workgroupTiles', 'wgSide', 'threadRows', 'threadCols', 'quads', 'splits', 'reduceByColumn'];
  if (Object.keys(v).some((k) => !fields.includes(k)) || (v.quads && !subgroups)) return false;
  if (v.splits !== undefined && !(Number.isInteger(v.splits) && (v.splits as number) >= 1 && (v.splits as number) <= s.K)) return false;
  try {
    checkShape('gemm', { ...s, ...v } as GemmShape);
    return true;
  } catch {
    return false;
  }
}

/** Scratch operands for timing a variant of shape `s`: A, B and C over their batch strides. */
function timingBuffers(scratch: TuningScratch, s: GemmShape) {
  const strides = gemmStrides(s);
  return {
    A: scratch.get('A', 4 * span(s.batch, strides.A, s.M * s.K)),
    B: scratch.get('B', 4 * span(s.batch, strides.B, s.K * s.N)),
    C: scratch.get('C', 4 * span(s.batch, strides.C, s.M * s.N)),
  };
}

/** The shape without its variant fields: what the tuner keys a choice on. */
function tuningKey(s: GemmShape): GemmShape {
  return { ...s, workgroupTiles: undefined, wgSide: undefined, threadRows: undefined, threadCols: undefined, quads: undefined };
}

/** gemm with the product variant the adapter's tuner picks for this shape. */
export async function tunedGemm(ctx: GpuContext, s: GemmShape) {
  const scratch = new TuningScratch(ctx.pool);
  const subgroups = ctx.device.features.has('subgroups');
  const variant = await ctx.tuner.pick(ctx.device, 'gemm', tuningKey(s), gemmVariants(s, ctx.adapter.isSoftware, subgroups), async (v) => {
    const op = await gemm(ctx.kernels, { ...s, ...v });
    return [op(timingBuffers(scratch, s))];
  }, scratch, (v) => runnableVariant(s, v, subgroups));
  return gemm(ctx.kernels, { ...s, ...variant });
}

/** gemmBias with the product variant the adapter's tuner picks for this shape. */
export async function tunedGemmBias(ctx: GpuContext, s: GemmBiasShape) {
  const scratch = new TuningScratch(ctx.pool);
  const subgroups = ctx.device.features.has('subgroups');
  const withActivation = (s.activation ?? 'none') !== 'none';
  const variant = await ctx.tuner.pick(ctx.device, 'gemmBias', tuningKey(s), gemmVariants(s, ctx.adapter.isSoftware, subgroups), async (v) => {
    const op = await gemmBias(ctx.kernels, { ...s, ...v });
    const operands = timingBuffers(scratch, s);
    const bias = scratch.get('bias', 4 * span(s.batch, s.strideBias ?? s.N, s.N));
    return [op({ ...operands, bias, ...(withActivation && { pre: scratch.get('pre', operands.C.size) }) })];
  }, scratch, (v) => runnableVariant(s, v, subgroups));
  return gemmBias(ctx.kernels, { ...s, ...variant });
}

/** gemmActivationGrad with the product variant the adapter's tuner picks for this shape. */
export async function tunedGemmActivationGrad(ctx: GpuContext, s: GemmActivationGradShape) {
  const scratch = new TuningScratch(ctx.pool);
  const subgroups = ctx.device.features.has('subgroups');
  const variant = await ctx.tuner.pick(ctx.device, 'gemmActivationGrad', tuningKey(s), gemmVariants(s, ctx.adapter.isSoftware, subgroups), async (v) => {
    const op = await gemmActivationGrad(ctx.kernels, { ...s, ...v });
    const operands = timingBuffers(scratch, s);
    const dropout = s.dropout && { seeds: scratch.get('seeds', 4 * s.batch), step: scratch.get('step', 4) };
    return [op({ ...operands, pre: scratch.get('pre', operands.C.size), ...dropout })];
  }, scratch, (v) => runnableVariant(s, v, subgroups));
  return gemmActivationGrad(ctx.kernels, { ...s, ...variant });
}

/**
 * Split-K variants, the adapter class's default first. GPUs split long K to fill their cores (the H100 ran ICL's
 * dW 11x faster in 16 splits) and stage tiles in workgroup memory; CPU adapters have few cores and pay for the
 * extra pass and for barriers, so there the whole product without workgroup memory comes first (SwiftShader, ICL's
 * 40 x 40 x 256 weight gradient: 0.7 ms, against 14 ms tiled plus 25-95 ms for 16 splits and their 16 x 16 tree
 * reduction). Splitting changes the summation order, so the split count (not the product variant) changes bits.
 */
export function gemmSplitKVariants(s: GemmShape, software: boolean, subgroups = false): Variant[] {
  const auto = splitKCount(s);
  const products = gemmVariants(s, software, subgroups);
  const whole = products.map((p) => ({ splits: 1, ...p }));
  if (auto === 1) return whole;
  const [first] = products;
  const split = { splits: auto, ...first };
  const splitByColumn = { splits: auto, reduceByColumn: true, ...first };
  return software ? [...whole, splitByColumn] : [split, ...whole, splitByColumn];
}

/** gemmSplitK with the split count, reduction and product variant the adapter's tuner picks for this shape. */
export async function tunedGemmSplitK(ctx: GpuContext, s: GemmShape) {
  const scratch = new TuningScratch(ctx.pool);
  const subgroups = ctx.device.features.has('subgroups');
  const timed: (() => void)[] = [];
  const variant = await ctx.tuner.pick(ctx.device, 'gemmSplitK', tuningKey(s), gemmSplitKVariants(s, ctx.adapter.isSoftware, subgroups), async (v) => {
    const op = await gemmSplitK(ctx, { ...s, ...v });
    timed.push(op.release);
    return op(timingBuffers(scratch, s));
  }, scratch, (v) => runnableVariant(s, v, subgroups));
  for (const release of timed) release();
  return gemmSplitK(ctx, { ...s, ...variant });
}
