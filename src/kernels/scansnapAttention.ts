// Host wrapper for shaders/scansnapAttention.wgsl (forward attention, merged sparse vn and its dense copy).
// Reference: src/reference/scansnap.ts (scansnapForwardReference).
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

/** Shapes shared by the scansnap* kernels: R replicas of `batch` sequences of L tokens (L − 1 context + query), vocabulary M. */
export interface ScanSnapShape {
  replicas: number;
  batch: number;
  L: number;
  M: number;
}

export function checkScanSnapShape(kernel: string, s: ScanSnapShape): void {
  for (const k of ['replicas', 'batch', 'L', 'M'] as const) assertPositiveInt(kernel, k, s[k]);
  if (s.L < 2) throw new RangeError(`${kernel}: L = ${s.L}; a sequence needs at least one context token and the query (L >= 2)`);
}

/**
 * Row length of Y, Z, their gradients and the per-sequence rows on the GPU: M rounded up to whole vec4s, so
 * that the kernels bound by loads read four columns at once. Padding columns hold zeros and get zero gradient.
 */
export function paddedRow(M: number): number {
  return Math.ceil(M / 4) * 4;
}

/** Bytes of each scansnap buffer for R replicas. */
export function scanSnapSizes(s: ScanSnapShape) {
  const sequences = s.replicas * s.batch;
  const P = paddedRow(s.M);
  return {
    tokens: 4 * sequences * (s.L + 1),
    uniqueList: 4 * sequences * (s.L - 1),
    uniqueCount: 4 * sequences,
    perSequenceRow: 4 * sequences * P,
    params: 4 * s.replicas * s.M * P,
    loss: 4 * sequences,
  };
}

export interface ScanSnapAttentionBuffers {
  tokens: GPUBuffer;
  Z: GPUBuffer;
  uniqueIds: GPUBuffer;
  uniqueVn: GPUBuffer;
  uniqueCount: GPUBuffer;
  vnDense: GPUBuffer;
}

export async function scansnapAttention(kernels: KernelLibrary, s: ScanSnapShape) {
  checkScanSnapShape('scansnapAttention', s);
  const kernel = await kernels.kernel('scansnapAttention', { constants: { BATCH: s.batch, CTX: s.L - 1, M: s.M, P: paddedRow(s.M) } });
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  return (buffers: ScanSnapAttentionBuffers, label = 'scansnapAttention'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(s.batch, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: {
        tokens: size.tokens, Z: size.params, uniqueIds: size.uniqueList, uniqueVn: size.uniqueList,
        uniqueCount: size.uniqueCount, vnDense: size.perSequenceRow,
      },
      flops: sequences * 8 * (s.L - 1),
      bytes: sequences * (4 * (s.L + 1) + 24 * (s.L - 1) + 4 * s.M),
    });
}
