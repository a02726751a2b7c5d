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

/**
 * A batch drawn from a token layout (SPEC §2's data), which the `slots` entries of scansnapAttention and
 * the other scansnap kernels rely on: every context token of a sequence with next token nextBase + n is one of n's allowed
 * tokens, the numCommon common tokens 0 .. numCommon − 1 or n's distinctPerNext distinct tokens numCommon +
 * n · distinctPerNext + i. A sequence's list then holds exactly those numCommon + distinctPerNext tokens in
 * ascending order (vn 0 where the context lacks one), so that slot j is the same token for every sequence of n.
 */
export interface ScanSnapSlots {
  numCommon: number;
  distinctPerNext: number;
  /** Next tokens (K = numQuery · nextPerQuery); next token n has id nextBase + n and query queryBase + ⌊n / nextPerQuery⌋. */
  K: number;
  nextBase: number;
  queryBase: number;
  nextPerQuery: number;
}

/** Slots a sequence's list holds: the allowed tokens of its next token. */
export function slotCount(slots: ScanSnapSlots): number {
  return slots.numCommon + slots.distinctPerNext;
}

/**
 * Bytes of the per-next-token member lists (scansnapGradY's listByNext, read by every slot sum): memberSeq
 * [R][K][batch] and memberCount [R][K].
 */
export function memberListBytes(s: ScanSnapShape, slots: ScanSnapSlots): { memberSeq: number; memberCount: number } {
  return { memberSeq: 4 * s.replicas * slots.K * s.batch, memberCount: 4 * s.replicas * slots.K };
}

/** At most this many slots: their counts are packed four 8-bit counters to a word, eight words. */
export const MAX_SLOTS = 32;

/**
 * Why the slot kernels cannot take these shapes, or null when they can: the list must hold every slot, a count
 * must fit 8 bits, the ids must lie in the vocabulary.
 */
export function slotsUnsupported(s: ScanSnapShape, slots: ScanSnapSlots): string | null {
  const S = slotCount(slots);
  if (S > MAX_SLOTS) return `numCommon + distinctPerNext = ${S} slots; at most ${MAX_SLOTS}`;
  if (S > s.L - 1) return `numCommon + distinctPerNext = ${S} slots; a list holds L − 1 = ${s.L - 1}`;
  if (s.L - 1 > 255) return `L − 1 = ${s.L - 1} context tokens; a slot count has 8 bits (L <= 256)`;
  if (slots.numCommon + slots.K * slots.distinctPerNext > slots.nextBase || slots.nextBase + slots.K > s.M) {
    return `the allowed tokens (below ${slots.numCommon + slots.K * slots.distinctPerNext}) and next tokens ${slots.nextBase}..${slots.nextBase + slots.K - 1} must lie in the vocabulary of M = ${s.M} in that order`;
  }
  return null;
}

export function checkSlots(kernel: string, s: ScanSnapShape, slots: ScanSnapSlots): void {
  for (const k of ['distinctPerNext', 'K', 'nextPerQuery'] as const) assertPositiveInt(kernel, k, slots[k]);
  if (!Number.isInteger(slots.numCommon) || slots.numCommon < 0) throw new RangeError(`${kernel}: numCommon = ${slots.numCommon}; it must be an integer >= 0`);
  const why = slotsUnsupported(s, slots);
  if (why) throw new RangeError(`${kernel}: slot lists: ${why}`);
}
