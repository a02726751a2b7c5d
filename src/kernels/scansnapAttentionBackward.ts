// Host wrapper for shaders/scansnapAttentionBackward.wgsl (gradient of each sequence's query row of Z; for slot
// lists from the products scansnapGradY's slot entry left). Reference: src/reference/scansnapAttentionBackward.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, checkSlots, paddedRow, scanSnapSizes, slotCount, type ScanSnapShape, type ScanSnapSlots } from './scansnapLayout';
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

export interface ScanSnapAttentionBackwardPartialBuffers {
  uniqueVn: GPUBuffer;
  /** scansnapGradYSlots' products, [R][batch][slots][columnThreads]. */
  dvnPartial: GPUBuffer;
  /** [R][batch][P]: entry j of a row is slot j's gradient (the rest is not written). */
  queryRowGrad: GPUBuffer;
}

/**
 * From slot lists and the per-column-thread parts of dvn that scansnapGradYSlots wrote (its `columnThreads`); the
 * query-row gradients come out by slot, for scansnapGradZSlots.
 */
export async function scansnapAttentionBackwardFromPartials(kernels: KernelLibrary, s: ScanSnapShape, slots: ScanSnapSlots, columnThreads: number) {
  checkScanSnapShape('scansnapAttentionBackward', s);
  checkSlots('scansnapAttentionBackward', s, slots);
  const S = slotCount(slots);
  const kernel = await kernels.kernel('scansnapAttentionBackward', {
    entryPoint: 'fromPartials', constants: { BATCH: s.batch, CTX: s.L - 1, M: s.M, P4: paddedRow(s.M) / 4, SLOTS: S, COLUMN_THREADS: columnThreads },
  });
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  return (buffers: ScanSnapAttentionBackwardPartialBuffers, label = 'scansnapAttentionBackward'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(s.batch, kernel.workgroupSize[0]), s.replicas], {
      label: `${label} fromPartials`,
      minBytes: { uniqueVn: size.uniqueList, dvnPartial: 4 * sequences * S * columnThreads, queryRowGrad: size.perSequenceRow },
      flops: sequences * S * (columnThreads + 5),
      bytes: sequences * 4 * S * (columnThreads + 3),
    });
}
