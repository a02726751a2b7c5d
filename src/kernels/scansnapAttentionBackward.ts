// Host wrapper for shaders/scansnapAttentionBackward.wgsl (gradient of each sequence's query row of Z).
// Reference: src/reference/scansnapAttentionBackward.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, paddedRow, scanSnapSizes, type ScanSnapShape } from './scansnapLayout';
import { strideGroups } from './grid';

export interface ScanSnapAttentionBackwardBuffers {
  Y: GPUBuffer;
  dLogit: GPUBuffer;
  uniqueIds: GPUBuffer;
  uniqueVn: GPUBuffer;
  uniqueCount: GPUBuffer;
  queryRowGrad: GPUBuffer;
}

export async function scansnapAttentionBackward(kernels: KernelLibrary, s: ScanSnapShape, distinctPerSequence = s.L - 1) {
  checkScanSnapShape('scansnapAttentionBackward', s);
  const kernel = await kernels.kernel('scansnapAttentionBackward', { constants: { BATCH: s.batch, CTX: s.L - 1, M: s.M, P4: paddedRow(s.M) / 4 } });
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  const nnz = Math.min(distinctPerSequence, s.L - 1, s.M);
  return (buffers: ScanSnapAttentionBackwardBuffers, label = 'scansnapAttentionBackward'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(s.batch, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: {
        Y: size.params, dLogit: size.perSequenceRow, uniqueIds: size.uniqueList, uniqueVn: size.uniqueList,
        uniqueCount: size.uniqueCount, queryRowGrad: size.perSequenceRow,
      },
      flops: sequences * nnz * (2 * s.M + 4),
      bytes: sequences * 4 * (nnz * (2 * s.M + 3) + s.M),
    });
}
