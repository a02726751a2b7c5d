// Host wrapper for shaders/scansnapGradY.wgsl (dY = Σ_b vn_b ⊗ dLogit_b over the sparse vn_b): two dispatches,
// listMembers then the sum; or, for slot lists (batches drawn from a token layout), listByNext then the slot sum.
// Reference: src/reference/scansnapGradY.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, checkSlots, paddedRow, scanSnapSizes, slotCount, type ScanSnapShape, type ScanSnapSlots } from './scansnapLayout';
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

export interface ScanSnapGradYSlotBuffers {
  tokens: GPUBuffer;
  uniqueVn: GPUBuffer;
  dLogit: GPUBuffer;
  Y: GPUBuffer;
  dY: GPUBuffer;
  /** Attention backward's products, [R][batch][slots][columnThreads] (gradYSlotLayout's partialBytes). */
  dvnPartial: GPUBuffer;
  /** Scratch: the sequences of each next token, [R][K][batch], and their counts [R][K] (gradYScratchBytes fits). */
  memberSeq: GPUBuffer;
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

/** A thread's block: rows of one group (1 .. 5) by vec4 columns (1 .. 4); the default suits a CPU adapter. */
export interface GradYSlotVariant {
  rowsPerThread?: number;
  columnVecs?: number;
}

/** Column threads of the slot sum (each takes columnVecs vec4 columns), and the bytes of its dvn parts. */
export function gradYSlotLayout(s: ScanSnapShape, slots: ScanSnapSlots, variant: GradYSlotVariant = {}): { columnThreads: number; partialBytes: number } {
  const columnThreads = Math.ceil(paddedRow(s.M) / 4 / (variant.columnVecs ?? 4));
  return { columnThreads, partialBytes: 4 * s.replicas * s.batch * slotCount(slots) * columnThreads };
}

/**
 * dY from slot lists (scansnapAttention's `slots` entry): the same sum as scansnapGradY, grouped by next token,
 * and in the same pass attention backward's products (dvnPartial; scansnapAttentionBackwardFromPartials sums them).
 */
export async function scansnapGradYSlots(kernels: KernelLibrary, s: ScanSnapShape, slots: ScanSnapSlots, variant: GradYSlotVariant = {}) {
  checkScanSnapShape('scansnapGradY', s);
  checkSlots('scansnapGradY', s, slots);
  const rowsPerThread = variant.rowsPerThread ?? 5;
  const columnVecs = variant.columnVecs ?? 4;
  if (!Number.isInteger(rowsPerThread) || rowsPerThread < 1 || rowsPerThread > 5) {
    throw new RangeError(`scansnapGradY: rowsPerThread = ${rowsPerThread}; it must be an integer 1..5`);
  }
  if (!Number.isInteger(columnVecs) || columnVecs < 1 || columnVecs > 4) {
    throw new RangeError(`scansnapGradY: columnVecs = ${columnVecs}; it must be an integer 1..4`);
  }
  const P4 = paddedRow(s.M) / 4;
  const constants = {
    BATCH: s.batch, M: s.M, P4, CTX: s.L - 1, NUM_COMMON: slots.numCommon, DISTINCT: slots.distinctPerNext, K: slots.K,
    NEXT_BASE: slots.nextBase, ROWS_PER_THREAD: rowsPerThread, COLUMN_VECS: columnVecs,
  };
  const [list, sum] = await Promise.all([
    kernels.kernel('scansnapGradY', { entryPoint: 'listByNext', constants }),
    kernels.kernel('scansnapGradY', { entryPoint: 'slots', constants }),
  ]);
  const size = scanSnapSizes(s);
  const memberList = 4 * s.replicas * slots.K * s.batch;
  const memberCount = 4 * s.replicas * slots.K;
  const blocks = (rows: number) => Math.ceil(rows / rowsPerThread);
  const tasks = blocks(slots.numCommon) + slots.K * blocks(slots.distinctPerNext) + s.M - (slots.numCommon + slots.K * slots.distinctPerNext);
  const columnThreads = Math.ceil(P4 / columnVecs);
  const groups = Math.ceil((tasks * columnThreads) / sum.workgroupSize[0]);
  if (groups > 65535) throw new RangeError(`scansnapGradY: M = ${s.M} needs ${groups} workgroups of the slot sum; at most 65535`);
  const sequences = s.replicas * s.batch;
  const S = slotCount(slots);
  return (b: ScanSnapGradYSlotBuffers, label = 'scansnapGradY'): Dispatch[] => [
    list.dispatch({ tokens: b.tokens, memberSeq: b.memberSeq, memberCount: b.memberCount }, [strideGroups(slots.K, list.workgroupSize[0]), s.replicas], {
      label: `${label} listByNext`,
      minBytes: { tokens: size.tokens, memberSeq: memberList, memberCount },
      bytes: 4 * sequences * (slots.K + 1),
    }),
    sum.dispatch({ uniqueVn: b.uniqueVn, dLogit: b.dLogit, Y: b.Y, dY: b.dY, dvnPartial: b.dvnPartial, memberSeq: b.memberSeq, memberCount: b.memberCount },
      [groups, s.replicas], {
        label,
        minBytes: {
          uniqueVn: size.uniqueList, dLogit: size.perSequenceRow, Y: size.params, dY: size.params,
          dvnPartial: gradYSlotLayout(s, slots, variant).partialBytes, memberSeq: memberList, memberCount,
        },
        flops: 4 * sequences * S * paddedRow(s.M),
        bytes: 4 * sequences * paddedRow(s.M) * Math.ceil(S / rowsPerThread) + size.params,
      }),
  ];
}
