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

/**
 * A thread's block: rows of one group (1 .. 5) by vec4 columns (1 .. 4); the default suits a CPU adapter.
 * `quads`: the entry slotPairs, whose quads share their loads (4 vec4 columns only; needs the device's `subgroups`
 * feature): the same dY and dvn parts. `workgroupSize`: lanes a workgroup (a multiple of 4), 64 by default.
 */
export interface GradYSlotVariant {
  rowsPerThread?: number;
  columnVecs?: number;
  quads?: boolean;
  workgroupSize?: number;
}

const DEFAULT_SLOT_VARIANT = { rowsPerThread: 5, columnVecs: 4, quads: false, workgroupSize: 64 };

/**
 * The slot sum's variant for this device: where the adapter is a CPU one that offers subgroups, quads in
 * workgroups of 256 (SwiftShader at R 160, M 240: 87–98 ms against 112–121 for the default; workgroups of 256
 * against 64 and 32: 87, 95, 98.5 ms). Elsewhere the default, since no GPU has timed quads yet.
 */
export function defaultGradYSlotVariant(device: GPUDevice, isSoftware: boolean): GradYSlotVariant {
  return isSoftware && device.features.has('subgroups') ? { quads: true, workgroupSize: 256 } : {};
}

/**
 * Column threads of the slot sum (each takes columnVecs vec4 columns), and the bytes of its dvn parts: one per
 * column thread, with quads rounded up to even (the extra one holds exact zeros; fromPartials sums `columnThreads`).
 */
export function gradYSlotLayout(s: ScanSnapShape, slots: ScanSnapSlots, variant: GradYSlotVariant = {}): { columnThreads: number; partialBytes: number } {
  const threads = Math.ceil(paddedRow(s.M) / 4 / (variant.columnVecs ?? DEFAULT_SLOT_VARIANT.columnVecs));
  const columnThreads = variant.quads ? threads + (threads % 2) : threads;
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
  const { rowsPerThread, columnVecs, quads, workgroupSize } = { ...DEFAULT_SLOT_VARIANT, ...variant };
  if (quads && !kernels.device.features.has('subgroups')) {
    throw new RangeError('scansnapGradY: quads = true needs the subgroups feature, which this device lacks; use quads = false');
  }
  if (quads && columnVecs !== 4) throw new RangeError(`scansnapGradY: quads = true takes columnVecs = 4, not ${columnVecs}`);
  if (!Number.isInteger(workgroupSize) || workgroupSize < 4 || workgroupSize % 4 !== 0 || workgroupSize > 256) {
    throw new RangeError(`scansnapGradY: workgroupSize = ${workgroupSize}; it must be a multiple of 4 in 4..256`);
  }
  if (!Number.isInteger(rowsPerThread) || rowsPerThread < 1 || rowsPerThread > 5) {
    throw new RangeError(`scansnapGradY: rowsPerThread = ${rowsPerThread}; it must be an integer 1..5`);
  }
  if (!Number.isInteger(columnVecs) || columnVecs < 1 || columnVecs > 4) {
    throw new RangeError(`scansnapGradY: columnVecs = ${columnVecs}; it must be an integer 1..4`);
  }
  const constants = {
    BATCH: s.batch, M: s.M, P4: paddedRow(s.M) / 4, CTX: s.L - 1, NUM_COMMON: slots.numCommon, DISTINCT: slots.distinctPerNext, K: slots.K,
    NEXT_BASE: slots.nextBase, ROWS_PER_THREAD: rowsPerThread, COLUMN_VECS: columnVecs, WG: workgroupSize,
  };
  const sum = await kernels.kernel('scansnapGradY', { entryPoint: quads ? 'slotPairs' : 'slots', constants });
  const size = scanSnapSizes(s);
  const members = memberListBytes(s, slots);
  const layout = gradYSlotLayout(s, slots, { columnVecs, quads });
  const blocks = (rows: number) => Math.ceil(rows / rowsPerThread);
  const zeroRows = s.M - (slots.numCommon + slots.K * slots.distinctPerNext);
  // slots: a task per row block and per zero row, columnThreads lanes each; slotPairs: row blocks in pairs,
  // 2 · columnThreads (even) lanes each, then a lane per zero row.
  const pairs = (rows: number) => Math.ceil(blocks(rows) / 2);
  const lanes = quads
    ? (pairs(slots.numCommon) + slots.K * pairs(slots.distinctPerNext)) * 2 * layout.columnThreads + zeroRows
    : (blocks(slots.numCommon) + slots.K * blocks(slots.distinctPerNext) + zeroRows) * layout.columnThreads;
  const groups = Math.ceil(lanes / sum.workgroupSize[0]);
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
