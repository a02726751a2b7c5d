// Host wrapper for shaders/scansnapCrossEntropy.wgsl (sparse logits, cross-entropy, dLogit).
// Reference: src/reference/scansnapCrossEntropy.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, paddedRow, scanSnapSizes, type ScanSnapShape } from './scansnapLayout';
import { strideGroups } from './grid';

export interface ScanSnapCrossEntropyBuffers {
  tokens: GPUBuffer;
  Y: GPUBuffer;
  uniqueIds: GPUBuffer;
  uniqueVn: GPUBuffer;
  uniqueCount: GPUBuffer;
  dLogit: GPUBuffer;
  loss: GPUBuffer;
}

export async function scansnapCrossEntropy(kernels: KernelLibrary, s: ScanSnapShape, distinctPerSequence = s.L - 1) {
  checkScanSnapShape('scansnapCrossEntropy', s);
  const kernel = await kernels.kernel('scansnapCrossEntropy', { constants: { BATCH: s.batch, CTX: s.L - 1, M: s.M, P4: paddedRow(s.M) / 4 } });
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  const nnz = Math.min(distinctPerSequence, s.L - 1, s.M);
  return (buffers: ScanSnapCrossEntropyBuffers, label = 'scansnapCrossEntropy'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(s.batch, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: {
        tokens: size.tokens, Y: size.params, uniqueIds: size.uniqueList, uniqueVn: size.uniqueList,
        uniqueCount: size.uniqueCount, dLogit: size.perSequenceRow, loss: size.loss,
      },
      flops: sequences * s.M * (2 * nnz + 8),
      bytes: sequences * 4 * s.M * (nnz + 3),
    });
}
