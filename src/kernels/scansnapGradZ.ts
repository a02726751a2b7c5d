// Host wrapper for shaders/scansnapGradZ.wgsl (per-row batch sum of the query-row gradients).
// Reference: src/reference/scansnap.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, paddedRow, scanSnapSizes, type ScanSnapShape } from './scansnapAttention';
import { strideGroups } from './grid';

/** Rows of Z the kernel writes: training passes the query tokens' rows; arbitrary batches pass all M rows. */
export interface ScanSnapRows {
  rowBase: number;
  rows: number;
}

export interface ScanSnapGradZBuffers {
  tokens: GPUBuffer;
  queryRowGrad: GPUBuffer;
  dZ: GPUBuffer;
}

export async function scansnapGradZ(kernels: KernelLibrary, s: ScanSnapShape, rows: ScanSnapRows = { rowBase: 0, rows: s.M }) {
  checkScanSnapShape('scansnapGradZ', s);
  if (!Number.isInteger(rows.rowBase) || !Number.isInteger(rows.rows) || rows.rowBase < 0 || rows.rows < 1 || rows.rowBase + rows.rows > s.M) {
    throw new RangeError(`scansnapGradZ: rows ${rows.rowBase}..${rows.rowBase + rows.rows - 1} must lie in 0..${s.M - 1}`);
  }
  const kernel = await kernels.kernel('scansnapGradZ', { constants: { BATCH: s.batch, CTX: s.L - 1, M: s.M, P: paddedRow(s.M), ROW_BASE: rows.rowBase } });
  const size = scanSnapSizes(s);
  return (buffers: ScanSnapGradZBuffers, label = 'scansnapGradZ'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(paddedRow(s.M), kernel.workgroupSize[0]), rows.rows, s.replicas], {
      label,
      minBytes: { tokens: size.tokens, queryRowGrad: size.perSequenceRow, dZ: size.params },
      flops: s.replicas * rows.rows * s.M * s.batch,
      bytes: 4 * s.replicas * rows.rows * s.M * s.batch * 2,
    });
}
