// Host wrapper for shaders/scansnapAttention.wgsl (forward attention, merged sparse vn and its dense copy).
// Reference: src/reference/scansnapAttention.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { strideGroups } from './grid';
import { checkRows, checkScanSnapShape, paddedRow, scanSnapSizes, zBytes, type ScanSnapRows, type ScanSnapShape } from './scansnapLayout';

export interface ScanSnapAttentionBuffers {
  tokens: GPUBuffer;
  Z: GPUBuffer;
  uniqueIds: GPUBuffer;
  uniqueVn: GPUBuffer;
  uniqueCount: GPUBuffer;
  vnDense: GPUBuffer;
}

/** Every query in the batch must lie in `rows` (Z holds only those rows). */
export async function scansnapAttention(kernels: KernelLibrary, s: ScanSnapShape, rows: ScanSnapRows = { rowBase: 0, rows: s.M }) {
  checkScanSnapShape('scansnapAttention', s);
  checkRows('scansnapAttention', s, rows);
  const kernel = await kernels.kernel('scansnapAttention', {
    constants: { BATCH: s.batch, CTX: s.L - 1, M: s.M, P: paddedRow(s.M), ROW_BASE: rows.rowBase, ROWS: rows.rows },
  });
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  return (buffers: ScanSnapAttentionBuffers, label = 'scansnapAttention'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(s.batch, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: {
        tokens: size.tokens, Z: zBytes(s, rows), uniqueIds: size.uniqueList, uniqueVn: size.uniqueList,
        uniqueCount: size.uniqueCount, vnDense: size.perSequenceRow,
      },
      flops: sequences * 8 * (s.L - 1),
      bytes: sequences * (4 * (s.L + 1) + 24 * (s.L - 1) + 4 * s.M),
    });
}
