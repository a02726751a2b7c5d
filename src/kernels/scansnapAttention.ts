// Host wrapper for shaders/scansnapAttention.wgsl (forward attention, merged sparse vn and its dense copy; or,
// for batches drawn from a token layout, slot lists). Reference: src/reference/scansnapAttention.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { strideGroups } from './grid';
import {
  checkRows, checkScanSnapShape, checkSlots, paddedRow, scanSnapSizes, slotCount, zBytes, type ScanSnapRows, type ScanSnapShape, type ScanSnapSlots,
} from './scansnapLayout';

export interface ScanSnapAttentionBuffers {
  tokens: GPUBuffer;
  Z: GPUBuffer;
  uniqueIds: GPUBuffer;
  uniqueVn: GPUBuffer;
  uniqueCount: GPUBuffer;
  /** Written by the general entry only (slot lists leave it alone). */
  vnDense?: GPUBuffer;
  /** Slot lists with countsGiven: scansnapBatchGenerate's slot counts, [R][batch][8] words. */
  slotCounts?: GPUBuffer;
}

/**
 * Every query in the batch must lie in `rows` (Z holds only those rows). With `slots` the batch must be drawn
 * from that token layout (ScanSnapSlots), and the lists come out as slot lists; with `countsGiven` too the slot
 * counts come from scansnapBatchGenerate (countSlots) and the context ids are not read.
 */
export async function scansnapAttention(
  kernels: KernelLibrary, s: ScanSnapShape, rows: ScanSnapRows = { rowBase: 0, rows: s.M }, slots?: ScanSnapSlots, countsGiven = false,
) {
  checkScanSnapShape('scansnapAttention', s);
  checkRows('scansnapAttention', s, rows);
  if (slots) checkSlots('scansnapAttention', s, slots);
  const constants: Record<string, number> = { BATCH: s.batch, CTX: s.L - 1, M: s.M, P: paddedRow(s.M), ROW_BASE: rows.rowBase, ROWS: rows.rows };
  if (countsGiven && !slots) throw new RangeError('scansnapAttention: countsGiven needs slots (the counts are per slot)');
  if (slots) Object.assign(constants, { NUM_COMMON: slots.numCommon, DISTINCT: slots.distinctPerNext, NEXT_BASE: slots.nextBase });
  const kernel = await kernels.kernel('scansnapAttention', { entryPoint: slots ? (countsGiven ? 'slotsFromCounts' : 'slots') : 'main', constants });
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  return (buffers: ScanSnapAttentionBuffers, label = 'scansnapAttention'): Dispatch => {
    const { vnDense, slotCounts, ...lists } = buffers;
    if (!slots && !vnDense) throw new Error('scansnapAttention: the general entry writes vnDense; pass it');
    if (countsGiven && !slotCounts) throw new Error('scansnapAttention: countsGiven reads slotCounts; pass it');
    const bound = slots ? (countsGiven ? { ...lists, slotCounts: slotCounts! } : lists) : { ...lists, vnDense: vnDense! };
    return kernel.dispatch(bound, [strideGroups(s.batch, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: {
        tokens: size.tokens, Z: zBytes(s, rows), uniqueIds: size.uniqueList, uniqueVn: size.uniqueList, uniqueCount: size.uniqueCount,
        ...(slots ? {} : { vnDense: size.perSequenceRow }),
        ...(countsGiven ? { slotCounts: 32 * sequences } : {}),
      },
      // Per sequence: the context ids (or 8 words of counts) in; per slot a Z load, an exp and the list out.
      flops: slots ? sequences * 12 * slotCount(slots) : sequences * 8 * (s.L - 1),
      bytes: slots
        ? sequences * (4 * (countsGiven ? 8 + 2 : s.L + 1) + 20 * slotCount(slots))
        : sequences * (4 * (s.L + 1) + 24 * (s.L - 1) + 4 * s.M),
    });
  };
}
