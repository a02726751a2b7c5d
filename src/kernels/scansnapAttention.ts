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
  uniqueVn: GPUBuffer;
  /** Written by the general entry only (a slot list's ids and count are implied by its slots). */
  uniqueIds?: GPUBuffer;
  uniqueCount?: GPUBuffer;
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
    const { tokens, Z, uniqueVn, uniqueIds, uniqueCount, vnDense, slotCounts } = buffers;
    const need = (name: string, buffer: GPUBuffer | undefined): GPUBuffer => {
      if (!buffer) throw new Error(`scansnapAttention: the ${slots ? (countsGiven ? 'slotsFromCounts' : 'slots') : 'general'} entry needs ${name}; pass it`);
      return buffer;
    };
    const bound: Record<string, GPUBuffer> = slots
      ? { tokens, Z, uniqueVn, ...(countsGiven ? { slotCounts: need('slotCounts', slotCounts) } : {}) }
      : { tokens, Z, uniqueVn, uniqueIds: need('uniqueIds', uniqueIds), uniqueCount: need('uniqueCount', uniqueCount), vnDense: need('vnDense', vnDense) };
    return kernel.dispatch(bound, [strideGroups(s.batch, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: {
        tokens: size.tokens, Z: zBytes(s, rows), uniqueVn: size.uniqueList,
        ...(slots ? {} : { uniqueIds: size.uniqueList, uniqueCount: size.uniqueCount, vnDense: size.perSequenceRow }),
        ...(countsGiven ? { slotCounts: 32 * sequences } : {}),
      },
      // Per sequence: the context ids (or 8 words of counts) in; per slot a Z load, an exp and the list out.
      flops: slots ? sequences * 12 * slotCount(slots) : sequences * 8 * (s.L - 1),
      bytes: slots
        ? sequences * (4 * (countsGiven ? 8 + 2 : s.L + 1) + 12 * slotCount(slots))
        : sequences * (4 * (s.L + 1) + 24 * (s.L - 1) + 4 * s.M),
    });
  };
}
