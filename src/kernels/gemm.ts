// Host wrapper for shaders/gemm.wgsl: C[b] = alpha op(A[b]) op(B[b]) + beta C[b]. Reference: src/reference/gemm.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt } from './grid';

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
  /** Threads per workgroup side (tile side 4x this). 8 suits most GPUs; must be <= 16. */
  wgSide?: number;
}

/** Whole buffers or windows into them (e.g. one chunk of a larger activation). */
export interface GemmBuffers {
  A: BufferBinding;
  B: BufferBinding;
  C: BufferBinding;
}

export async function gemm(kernels: KernelLibrary, s: GemmShape) {
  for (const k of ['batch', 'M', 'N', 'K'] as const) assertPositiveInt('gemm', k, s[k]);
  const wgSide = s.wgSide ?? 8;
  if (!Number.isInteger(wgSide) || wgSide < 1 || wgSide > 16) throw new RangeError(`gemm: wgSide = ${wgSide}; allowed 1..16`);
  const strideA = s.shareA ? 0 : s.M * s.K;
  const strideB = s.shareB ? 0 : s.K * s.N;
  const strideC = s.M * s.N;
  const kernel = await kernels.kernel('gemm', {
    constants: {
      M: s.M, N: s.N, K: s.K,
      TRANS_A: s.transA ? 1 : 0, TRANS_B: s.transB ? 1 : 0,
      STRIDE_A: strideA, STRIDE_B: strideB, STRIDE_C: strideC,
      ALPHA: s.alpha ?? 1, BETA: s.beta ?? 0, WG_SIDE: wgSide,
    },
  });
  const tile = 4 * wgSide;
  const beta = s.beta ?? 0;
  return (buffers: GemmBuffers, label = 'gemm'): Dispatch =>
    kernel.dispatch({ ...buffers }, [Math.ceil(s.N / tile), Math.ceil(s.M / tile), s.batch], {
      label,
      minBytes: {
        A: 4 * (s.shareA ? s.M * s.K : s.batch * s.M * s.K),
        B: 4 * (s.shareB ? s.K * s.N : s.batch * s.K * s.N),
        C: 4 * s.batch * s.M * s.N,
      },
      flops: 2 * s.batch * s.M * s.N * s.K,
      bytes: 4 * ((s.shareA ? 1 : s.batch) * s.M * s.K + (s.shareB ? 1 : s.batch) * s.K * s.N + s.batch * s.M * s.N * (beta ? 2 : 1)),
    });
}
