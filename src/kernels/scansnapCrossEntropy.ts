// Host wrapper for shaders/scansnapCrossEntropy.wgsl (sparse logits, cross-entropy, dLogit; for slot lists the
// logits by next token, then the softmax). Reference: src/reference/scansnapCrossEntropy.ts (both).
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { checkScanSnapShape, checkSlots, memberListBytes, paddedRow, scanSnapSizes, slotCount, type ScanSnapShape, type ScanSnapSlots } from './scansnapLayout';
import { strideGroups } from './grid';

export interface ScanSnapCrossEntropyBuffers {
  tokens: GPUBuffer;
  Y: GPUBuffer;
  uniqueIds: GPUBuffer;
  uniqueVn: GPUBuffer;
  uniqueCount: GPUBuffer;
  dLogit: GPUBuffer;
  loss: GPUBuffer;
}

export async function scansnapCrossEntropy(kernels: KernelLibrary, s: ScanSnapShape, distinctPerSequence = s.L - 1) {
  checkScanSnapShape('scansnapCrossEntropy', s);
  const kernel = await kernels.kernel('scansnapCrossEntropy', { constants: { BATCH: s.batch, CTX: s.L - 1, M: s.M, P4: paddedRow(s.M) / 4 } });
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  const nnz = Math.min(distinctPerSequence, s.L - 1, s.M);
  return (buffers: ScanSnapCrossEntropyBuffers, label = 'scansnapCrossEntropy'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(s.batch, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: {
        tokens: size.tokens, Y: size.params, uniqueIds: size.uniqueList, uniqueVn: size.uniqueList,
        uniqueCount: size.uniqueCount, dLogit: size.perSequenceRow, loss: size.loss,
      },
      flops: sequences * s.M * (2 * nnz + 8),
      bytes: sequences * 4 * s.M * (nnz + 3),
    });
}

export interface ScanSnapCrossEntropySlotBuffers {
  tokens: GPUBuffer;
  Y: GPUBuffer;
  uniqueVn: GPUBuffer;
  dLogit: GPUBuffer;
  loss: GPUBuffer;
  /** The sequences of each next token, [R][K][batch], and their counts [R][K] (scansnapListByNext). */
  memberSeq: GPUBuffer;
  memberCount: GPUBuffer;
}

/**
 * A thread's block: sequences of one next token (1 .. 8) by vec4 columns (1 .. 4); the default suits a CPU adapter.
 * `quads`: a quad's four lanes share the vn loads (the shader's QUADS; needs the device's `subgroups` feature).
 */
export interface CrossEntropySlotVariant {
  tileSeqs?: number;
  columnVecs?: number;
  quads?: boolean;
}

/** slotLogits' column threads per chunk: P4 / columnVecs, with quads rounded up to whole quads. */
export function logitColumnThreads(M: number, columnVecs: number, quads: boolean): number {
  const threads = Math.ceil(paddedRow(M) / 4 / columnVecs);
  return quads ? Math.ceil(threads / 4) * 4 : threads;
}

/**
 * The slot logits' variant for this device and vocabulary: quads where the adapter is a CPU one that offers
 * subgroups (on SwiftShader a quad is one SIMD group, and a load costs about ten FMAs), unless rounding the column
 * threads up to whole quads adds more than an eighth of idle columns; elsewhere the default (no GPU has timed quads
 * yet). Measured on SwiftShader at R 160 (grid packs): M 240 75–91 → 59–64 ms, M 125 35.5 → 25.7 ms; with 3 vec4
 * columns a thread instead (no idle columns at M 240) 73–75 ms, and at M 33 (a quarter of the columns idle either
 * way) quads gained nothing with 3 columns and lost a third with 4.
 */
export function defaultCrossEntropySlotVariant(device: GPUDevice, isSoftware: boolean, M: number): CrossEntropySlotVariant {
  if (!isSoftware || !device.features.has('subgroups')) return {};
  return logitColumnThreads(M, 4, true) * 4 <= (paddedRow(M) / 4) * 1.125 ? { quads: true } : {};
}

/** Cross-entropy from slot lists: slotLogits, then softmax. The same bits as scansnapCrossEntropy on the same lists. */
export async function scansnapCrossEntropySlots(kernels: KernelLibrary, s: ScanSnapShape, slots: ScanSnapSlots, variant: CrossEntropySlotVariant = {}) {
  checkScanSnapShape('scansnapCrossEntropy', s);
  checkSlots('scansnapCrossEntropy', s, slots);
  const tileSeqs = variant.tileSeqs ?? 8;
  const columnVecs = variant.columnVecs ?? 4;
  const quads = variant.quads ?? false;
  if (quads && !kernels.device.features.has('subgroups')) {
    throw new RangeError('scansnapCrossEntropy: quads = true needs the subgroups feature, which this device lacks; use quads = false');
  }
  if (!Number.isInteger(tileSeqs) || tileSeqs < 1 || tileSeqs > 8) throw new RangeError(`scansnapCrossEntropy: tileSeqs = ${tileSeqs}; it must be an integer 1..8`);
  if (!Number.isInteger(columnVecs) || columnVecs < 1 || columnVecs > 4) throw new RangeError(`scansnapCrossEntropy: columnVecs = ${columnVecs}; it must be an integer 1..4`);
  const P4 = paddedRow(s.M) / 4;
  const constants = {
    BATCH: s.batch, CTX: s.L - 1, M: s.M, P4, NUM_COMMON: slots.numCommon, DISTINCT: slots.distinctPerNext, K: slots.K,
    TILE_SEQS: tileSeqs, COLUMN_VECS: columnVecs, QUADS: quads ? 1 : 0,
  };
  const [logits, softmax] = await Promise.all([
    kernels.kernel('scansnapCrossEntropy', { entryPoint: 'slotLogits', constants }),
    kernels.kernel('scansnapCrossEntropy', { entryPoint: 'softmax', constants }),
  ]);
  const size = scanSnapSizes(s);
  const sequences = s.replicas * s.batch;
  const chunks = Math.ceil(s.batch / tileSeqs) + slots.K - 1;
  const groups = Math.ceil((chunks * logitColumnThreads(s.M, columnVecs, quads)) / logits.workgroupSize[0]);
  if (groups > 65535) throw new RangeError(`scansnapCrossEntropy: batch ${s.batch} and M = ${s.M} need ${groups} workgroups of slotLogits; at most 65535`);
  const members = memberListBytes(s, slots);
  const S = slotCount(slots);
  return (b: ScanSnapCrossEntropySlotBuffers, label = 'scansnapCrossEntropy'): Dispatch[] => [
    logits.dispatch({ Y: b.Y, uniqueVn: b.uniqueVn, dLogit: b.dLogit, memberSeq: b.memberSeq, memberCount: b.memberCount }, [groups, s.replicas], {
      label: `${label} slotLogits`,
      minBytes: { Y: size.params, uniqueVn: size.uniqueList, dLogit: size.perSequenceRow, ...members },
      flops: 2 * sequences * S * paddedRow(s.M),
      bytes: 4 * sequences * paddedRow(s.M) * (1 + S / tileSeqs),
    }),
    softmax.dispatch({ tokens: b.tokens, dLogit: b.dLogit, loss: b.loss }, [strideGroups(s.batch, softmax.workgroupSize[0]), s.replicas], {
      label: `${label} softmax`,
      minBytes: { tokens: size.tokens, dLogit: size.perSequenceRow, loss: size.loss },
      flops: sequences * paddedRow(s.M) * 8,
      bytes: sequences * 4 * paddedRow(s.M) * 4,
    }),
  ];
}
