// Host wrapper for shaders/scansnapGradY.wgsl (dY = Σ_b vn_b ⊗ dLogit_b over the sparse vn_b).
// Reference: src/reference/scansnap.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, paddedRow, scanSnapSizes, type ScanSnapShape } from './scansnapAttention';

export interface ScanSnapGradYBuffers {
  vnDense: GPUBuffer;
  dLogit: GPUBuffer;
  dY: GPUBuffer;
}

export async function scansnapGradY(kernels: KernelLibrary, s: ScanSnapShape, distinctPerSequence = s.L - 1) {
  checkScanSnapShape('scansnapGradY', s);
  const kernel = await kernels.kernel('scansnapGradY', { constants: { BATCH: s.batch, M: s.M, P4: paddedRow(s.M) / 4 } });
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  const nnz = Math.min(distinctPerSequence, s.L - 1, s.M);
  return (buffers: ScanSnapGradYBuffers, label = 'scansnapGradY'): Dispatch =>
    kernel.dispatch({ ...buffers }, [s.M, s.replicas], {
      label,
      minBytes: { vnDense: size.perSequenceRow, dLogit: size.perSequenceRow, dY: size.params },
      flops: 2 * sequences * nnz * s.M,
      bytes: size.perSequenceRow + 4 * sequences * nnz * s.M + size.params,
    });
}
