// Host wrapper for shaders/scansnapGradY.wgsl (dY = Σ_b vn_b ⊗ dLogit_b over the sparse vn_b): two dispatches,
// listMembers then the sum. Reference: src/reference/scansnapGradY.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, paddedRow, scanSnapSizes, type ScanSnapShape } from './scansnapLayout';
import { strideGroups } from './grid';

export interface ScanSnapGradYBuffers {
  vnDense: GPUBuffer;
  dLogit: GPUBuffer;
  dY: GPUBuffer;
  /** Scratch, [R][M][batch] each, and [R][M]. */
  memberSeq: GPUBuffer;
  memberVn: GPUBuffer;
  memberCount: GPUBuffer;
}

/** Bytes of the member-list scratch buffers. */
export function gradYScratchBytes(s: ScanSnapShape): { memberList: number; memberCount: number } {
  return { memberList: 4 * s.replicas * s.M * s.batch, memberCount: 4 * s.replicas * s.M };
}

export async function scansnapGradY(kernels: KernelLibrary, s: ScanSnapShape, distinctPerSequence = s.L - 1) {
  checkScanSnapShape('scansnapGradY', s);
  const constants = { BATCH: s.batch, M: s.M, P4: paddedRow(s.M) / 4 };
  const [list, sum] = await Promise.all([
    kernels.kernel('scansnapGradY', { entryPoint: 'listMembers', constants }),
    kernels.kernel('scansnapGradY', { entryPoint: 'main', constants }),
  ]);
  const size = scanSnapSizes(s);
  const scratch = gradYScratchBytes(s);
  const sequences = s.replicas * s.batch;
  const nnz = Math.min(distinctPerSequence, s.L - 1, s.M);
  const blocks = Math.ceil(paddedRow(s.M) / 16);
  return (b: ScanSnapGradYBuffers, label = 'scansnapGradY'): Dispatch[] => [
    list.dispatch({ vnDense: b.vnDense, memberSeq: b.memberSeq, memberVn: b.memberVn, memberCount: b.memberCount },
      [strideGroups(s.M, list.workgroupSize[0]), s.replicas], {
        label: `${label} listMembers`,
        minBytes: { vnDense: size.perSequenceRow, memberSeq: scratch.memberList, memberVn: scratch.memberList, memberCount: scratch.memberCount },
        bytes: 4 * s.replicas * s.M * s.batch + 8 * sequences * nnz,
      }),
    sum.dispatch({ dLogit: b.dLogit, dY: b.dY, memberSeq: b.memberSeq, memberVn: b.memberVn, memberCount: b.memberCount },
      [strideGroups(s.M * blocks, sum.workgroupSize[0]), s.replicas], {
        label,
        minBytes: { dLogit: size.perSequenceRow, dY: size.params, memberSeq: scratch.memberList, memberVn: scratch.memberList, memberCount: scratch.memberCount },
        flops: 2 * sequences * nnz * paddedRow(s.M),
        bytes: 4 * sequences * nnz * paddedRow(s.M) + size.params,
      }),
  ];
}
