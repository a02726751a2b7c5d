// Host wrapper for shaders/scansnapGradZ.wgsl (per-row batch sum of the query-row gradients): two dispatches,
// listMembers then the sum (by token, or for slot lists by slot). Reference: src/reference/scansnapGradZ.ts.
import type { KernelLibrary, Dispatch, Kernel } from '../runtime/kernels';
import { checkRows, checkScanSnapShape, checkSlots, memberListBytes, paddedRow, scanSnapSizes, zBytes, type ScanSnapRows, type ScanSnapShape, type ScanSnapSlots } from './scansnapLayout';
import { strideGroups } from './grid';

export type { ScanSnapRows } from './scansnapLayout';

export interface ScanSnapGradZBuffers {
  tokens: GPUBuffer;
  queryRowGrad: GPUBuffer;
  dZ: GPUBuffer;
  /** Scratch, [R][rows][batch] and [R][rows]. */
  rowMembers: GPUBuffer;
  rowMemberCount: GPUBuffer;
}

export function gradZScratchBytes(s: ScanSnapShape, rows: ScanSnapRows): { rowMembers: number; rowMemberCount: number } {
  return { rowMembers: 4 * s.replicas * rows.rows * s.batch, rowMemberCount: 4 * s.replicas * rows.rows };
}

/** The listMembers dispatch both sums start with: each query row's sequences in batch order. */
function listMembers(list: Kernel, s: ScanSnapShape, rows: ScanSnapRows) {
  const scratch = gradZScratchBytes(s, rows);
  return (b: Pick<ScanSnapGradZBuffers, 'tokens' | 'rowMembers' | 'rowMemberCount'>, label: string): Dispatch =>
    list.dispatch({ tokens: b.tokens, rowMembers: b.rowMembers, rowMemberCount: b.rowMemberCount }, [strideGroups(rows.rows, list.workgroupSize[0]), s.replicas], {
      label: `${label} listMembers`,
      minBytes: { tokens: scanSnapSizes(s).tokens, rowMembers: scratch.rowMembers, rowMemberCount: scratch.rowMemberCount },
      bytes: 4 * s.replicas * rows.rows * s.batch,
    });
}

export async function scansnapGradZ(kernels: KernelLibrary, s: ScanSnapShape, rows: ScanSnapRows = { rowBase: 0, rows: s.M }) {
  checkScanSnapShape('scansnapGradZ', s);
  checkRows('scansnapGradZ', s, rows);
  const P = paddedRow(s.M);
  const constants = { BATCH: s.batch, CTX: s.L - 1, M: s.M, P, ROW_BASE: rows.rowBase, ROWS: rows.rows };
  const [list, sum] = await Promise.all([
    kernels.kernel('scansnapGradZ', { entryPoint: 'listMembers', constants }),
    kernels.kernel('scansnapGradZ', { entryPoint: 'main', constants }),
  ]);
  const size = scanSnapSizes(s);
  const scratch = gradZScratchBytes(s, rows);
  const rowLists = listMembers(list, s, rows);
  return (b: ScanSnapGradZBuffers, label = 'scansnapGradZ'): Dispatch[] => [
    rowLists(b, label),
    sum.dispatch({ queryRowGrad: b.queryRowGrad, dZ: b.dZ, rowMembers: b.rowMembers, rowMemberCount: b.rowMemberCount },
      [strideGroups(P, sum.workgroupSize[0]), rows.rows, s.replicas], {
        label,
        minBytes: { queryRowGrad: size.perSequenceRow, dZ: zBytes(s, rows), rowMembers: scratch.rowMembers, rowMemberCount: scratch.rowMemberCount },
        flops: s.replicas * s.batch * P,
        bytes: 4 * s.replicas * (s.batch * P * 2 + rows.rows * P),
      }),
  ];
}

export interface ScanSnapGradZSlotBuffers {
  tokens: GPUBuffer;
  /** [R][batch][P], entry j of a row slot j's gradient (scansnapAttentionBackwardFromPartials). */
  queryRowGrad: GPUBuffer;
  dZ: GPUBuffer;
  rowMembers: GPUBuffer;
  rowMemberCount: GPUBuffer;
  /** The sequences of each next token, [R][K][batch], and their counts [R][K] (scansnapListByNext). */
  memberSeq: GPUBuffer;
  memberCount: GPUBuffer;
}

/** dZ from query-row gradients by slot: the same sums as scansnapGradZ on the same values by token. */
export async function scansnapGradZSlots(kernels: KernelLibrary, s: ScanSnapShape, rows: ScanSnapRows, slots: ScanSnapSlots) {
  checkScanSnapShape('scansnapGradZ', s);
  checkRows('scansnapGradZ', s, rows);
  checkSlots('scansnapGradZ', s, slots);
  const P = paddedRow(s.M);
  const constants = {
    BATCH: s.batch, CTX: s.L - 1, M: s.M, P, ROW_BASE: rows.rowBase, ROWS: rows.rows, NUM_COMMON: slots.numCommon,
    DISTINCT: slots.distinctPerNext, K: slots.K, QUERY_BASE: slots.queryBase, NEXT_PER_QUERY: slots.nextPerQuery,
  };
  const [list, sum] = await Promise.all([
    kernels.kernel('scansnapGradZ', { entryPoint: 'listMembers', constants }),
    kernels.kernel('scansnapGradZ', { entryPoint: 'slots', constants }),
  ]);
  const size = scanSnapSizes(s);
  const scratch = gradZScratchBytes(s, rows);
  const rowLists = listMembers(list, s, rows);
  const byNext = memberListBytes(s, slots);
  return (b: ScanSnapGradZSlotBuffers, label = 'scansnapGradZ'): Dispatch[] => [
    rowLists(b, label),
    sum.dispatch({ queryRowGrad: b.queryRowGrad, dZ: b.dZ, rowMembers: b.rowMembers, rowMemberCount: b.rowMemberCount, memberSeq: b.memberSeq, memberCount: b.memberCount },
      [strideGroups(P, sum.workgroupSize[0]), rows.rows, s.replicas], {
        label,
        minBytes: { queryRowGrad: size.perSequenceRow, dZ: zBytes(s, rows), rowMembers: scratch.rowMembers, rowMemberCount: scratch.rowMemberCount, ...byNext },
        flops: s.replicas * s.batch * (slots.numCommon + slots.distinctPerNext),
        bytes: 4 * s.replicas * (s.batch * 2 * (slots.numCommon + slots.distinctPerNext) + rows.rows * P),
      }),
  ];
}
