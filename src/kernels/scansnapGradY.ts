// Host wrapper for shaders/scansnapGradY.wgsl (dY = Σ_b vn_b ⊗ dLogit_b over the sparse vn_b): two dispatches,
// listMembers then the sum; or, for slot lists (batches drawn from a token layout), the slot sum over the member
// lists of listByNext (scansnapListByNext, which the slot entries of the other kernels read too).
// Reference: src/reference/scansnapGradY.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, checkSlots, memberListBytes, paddedRow, scanSnapSizes, slotCount, type ScanSnapShape, type ScanSnapSlots } from './scansnapLayout';
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
  uniqueVn: GPUBuffer;
  dLogit: GPUBuffer;
  Y: GPUBuffer;
  dY: GPUBuffer;
  /** Attention backward's products, [R][batch][slots][columnThreads] (gradYSlotLayout's partialBytes). */
  dvnPartial: GPUBuffer;
  /** The sequences of each next token, [R][K][batch], and their counts [R][K] (scansnapListByNext). */
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

const DEFAULT_SLOT_VARIANT = { rowsPerThread: 5, columnVecs: 4 };

/** Column threads of the slot sum (each takes columnVecs vec4 columns), and the bytes of its dvn parts. */
export function gradYSlotLayout(s: ScanSnapShape, slots: ScanSnapSlots, variant: GradYSlotVariant = {}): { columnThreads: number; partialBytes: number } {
  const columnThreads = Math.ceil(paddedRow(s.M) / 4 / (variant.columnVecs ?? DEFAULT_SLOT_VARIANT.columnVecs));
  return { columnThreads, partialBytes: 4 * s.replicas * s.batch * slotCount(slots) * columnThreads };
}

export interface ScanSnapMemberListBuffers {
  tokens: GPUBuffer;
  memberSeq: GPUBuffer;
  memberCount: GPUBuffer;
}

/**
 * The sequences of each next token in batch order (entry listByNext): what every slot sum reads (the logits, dY
 * and dZ), listed once a step.
 */
export async function scansnapListByNext(kernels: KernelLibrary, s: ScanSnapShape, slots: ScanSnapSlots) {
  checkScanSnapShape('scansnapGradY', s);
  checkSlots('scansnapGradY', s, slots);
  const list = await kernels.kernel('scansnapGradY', {
    entryPoint: 'listByNext', constants: { BATCH: s.batch, M: s.M, P4: paddedRow(s.M) / 4, CTX: s.L - 1, K: slots.K, NEXT_BASE: slots.nextBase },
  });
  const size = scanSnapSizes(s);
  const members = memberListBytes(s, slots);
  return (b: ScanSnapMemberListBuffers, label = 'scansnapGradY listByNext'): Dispatch =>
    list.dispatch({ ...b }, [strideGroups(slots.K, list.workgroupSize[0]), s.replicas], {
      label,
      minBytes: { tokens: size.tokens, ...members },
      bytes: 4 * s.replicas * s.batch * (slots.K + 1),
    });
}

/**
 * dY from slot lists (scansnapAttention's `slots` entry) and the member lists of scansnapListByNext: the same sum
 * as scansnapGradY, grouped by next token, and in the same pass attention backward's products (dvnPartial;
 * scansnapAttentionBackwardFromPartials sums them).
 */
export async function scansnapGradYSlots(kernels: KernelLibrary, s: ScanSnapShape, slots: ScanSnapSlots, variant: GradYSlotVariant = {}) {
  checkScanSnapShape('scansnapGradY', s);
  checkSlots('scansnapGradY', s, slots);
  const { rowsPerThread, columnVecs } = { ...DEFAULT_SLOT_VARIANT, ...variant };
  if (!Number.isInteger(rowsPerThread) || rowsPerThread < 1 || rowsPerThread > 5) {
    throw new RangeError(`scansnapGradY: rowsPerThread = ${rowsPerThread}; it must be an integer 1..5`);
  }
  if (!Number.isInteger(columnVecs) || columnVecs < 1 || columnVecs > 4) {
    throw new RangeError(`scansnapGradY: columnVecs = ${columnVecs}; it must be an integer 1..4`);
  }
  const constants = {
    BATCH: s.batch, M: s.M, P4: paddedRow(s.M) / 4, CTX: s.L - 1, NUM_COMMON: slots.numCommon, DISTINCT: slots.distinctPerNext, K: slots.K,
    NEXT_BASE: slots.nextBase, ROWS_PER_THREAD: rowsPerThread, COLUMN_VECS: columnVecs,
  };
  const sum = await kernels.kernel('scansnapGradY', { entryPoint: 'slots', constants });
  const size = scanSnapSizes(s);
  const members = memberListBytes(s, slots);
  const layout = gradYSlotLayout(s, slots, { columnVecs });
  const blocks = (rows: number) => Math.ceil(rows / rowsPerThread);
  const tasks = blocks(slots.numCommon) + slots.K * blocks(slots.distinctPerNext) + s.M - (slots.numCommon + slots.K * slots.distinctPerNext);
  const groups = Math.ceil((tasks * layout.columnThreads) / sum.workgroupSize[0]);
  if (groups > 65535) throw new RangeError(`scansnapGradY: M = ${s.M} needs ${groups} workgroups of the slot sum; at most 65535`);
  const sequences = s.replicas * s.batch;
  const S = slotCount(slots);
  return (b: ScanSnapGradYSlotBuffers, label = 'scansnapGradY'): Dispatch =>
    sum.dispatch({ ...b }, [groups, s.replicas], {
      label,
      minBytes: {
        uniqueVn: size.uniqueList, dLogit: size.perSequenceRow, Y: size.params, dY: size.params, dvnPartial: layout.partialBytes, ...members,
      },
      flops: 4 * sequences * S * paddedRow(s.M),
      bytes: 4 * sequences * paddedRow(s.M) * Math.ceil(S / rowsPerThread) + size.params,
    });
}
