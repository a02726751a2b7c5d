// The GPU layout every scansnap* kernel shares (shapes, padded rows, the rows of Z held on the GPU, buffer
// sizes), in one place rather than in one kernel's wrapper.
import { assertPositiveInt } from './grid';

/** Shapes shared by the scansnap* kernels: R replicas of `batch` sequences of L tokens (L − 1 context + query), vocabulary M. */
export interface ScanSnapShape {
  replicas: number;
  batch: number;
  L: number;
  M: number;
}

export function checkScanSnapShape(kernel: string, s: ScanSnapShape): void {
  for (const k of ['replicas', 'batch', 'L', 'M'] as const) assertPositiveInt(kernel, k, s[k]);
  if (s.L < 2) throw new RangeError(`${kernel}: L = ${s.L}; a sequence needs at least one context token and the query (L >= 2)`);
}

/** Rows of Z held on the GPU (and given gradient): training holds the query tokens' rows; arbitrary batches all M. */
export interface ScanSnapRows {
  rowBase: number;
  rows: number;
}

export function checkRows(kernel: string, s: ScanSnapShape, rows: ScanSnapRows): void {
  if (!Number.isInteger(rows.rowBase) || !Number.isInteger(rows.rows) || rows.rowBase < 0 || rows.rows < 1 || rows.rowBase + rows.rows > s.M) {
    throw new RangeError(`${kernel}: rows ${rows.rowBase}..${rows.rowBase + rows.rows - 1} must lie in 0..${s.M - 1}`);
  }
}

/** Bytes of Z (or dZ, or its momentum) on the GPU: R × rows × padded row. */
export function zBytes(s: ScanSnapShape, rows: ScanSnapRows): number {
  return 4 * s.replicas * rows.rows * paddedRow(s.M);
}

/**
 * Row length of Y, Z, their gradients and the per-sequence rows on the GPU: M rounded up to whole vec4s, so
 * that the kernels bound by loads read four columns at once. Padding columns hold zeros and get zero gradient.
 */
export function paddedRow(M: number): number {
  return Math.ceil(M / 4) * 4;
}

/** Bytes of each scansnap buffer for R replicas. */
export function scanSnapSizes(s: ScanSnapShape) {
  const sequences = s.replicas * s.batch;
  const P = paddedRow(s.M);
  return {
    tokens: 4 * sequences * (s.L + 1),
    uniqueList: 4 * sequences * (s.L - 1),
    uniqueCount: 4 * sequences,
    perSequenceRow: 4 * sequences * P,
    params: 4 * s.replicas * s.M * P,
    loss: 4 * sequences,
  };
}
