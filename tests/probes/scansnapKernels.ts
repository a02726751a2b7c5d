// In-page probes for the Scan & Snap kernels, each run alone: upload its inputs, NaN-poison its outputs (and
// scratch), run the host wrapper's dispatches through a StepPlan, read every output back. Padded GPU layouts
// (rows of P = paddedRow(M) entries) go in and come out as they are; the tests pad and unpad.
import { getContext, assertNoDeviceErrors, type GpuContext } from '../../src/runtime/context';
import { poison, readU32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import type { Dispatch } from '../../src/runtime/kernels';
import { scansnapAttention } from '../../src/kernels/scansnapAttention';
import { memberListBytes, scanSnapSizes, zBytes, type ScanSnapRows, type ScanSnapShape, type ScanSnapSlots } from '../../src/kernels/scansnapLayout';
import { scansnapCrossEntropy, scansnapCrossEntropySlots, type CrossEntropySlotVariant } from '../../src/kernels/scansnapCrossEntropy';
import { scansnapAttentionBackward, scansnapAttentionBackwardFromPartials } from '../../src/kernels/scansnapAttentionBackward';
import { gradYScratchBytes, gradYSlotLayout, scansnapGradY, scansnapGradYSlots, scansnapListByNext, type GradYSlotVariant } from '../../src/kernels/scansnapGradY';
import { gradZScratchBytes, scansnapGradZ, scansnapGradZSlots } from '../../src/kernels/scansnapGradZ';

/** The per-sequence list of distinct context tokens that scansnapAttention writes and the later kernels read. */
export interface UniqueLists {
  uniqueIds: Uint32Array<ArrayBuffer>;
  uniqueVn: Float32Array<ArrayBuffer>;
  uniqueCount: Uint32Array<ArrayBuffer>;
}

/** Uploads `inputs`, acquires and poisons `outputs` (bytes), runs `dispatches`, returns the outputs' words. */
async function runAlone(
  ctx: GpuContext,
  label: string,
  inputs: Record<string, Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>>,
  outputs: Record<string, number>,
  dispatches: (b: Record<string, GPUBuffer>) => Dispatch[],
): Promise<Record<string, ArrayBuffer>> {
  const buffers: Record<string, GPUBuffer> = {};
  for (const [name, data] of Object.entries(inputs)) buffers[name] = ctx.pool.upload(data, `${label} ${name}`);
  for (const [name, bytes] of Object.entries(outputs)) {
    buffers[name] = ctx.pool.acquire(bytes, `${label} ${name}`);
    poison(ctx.device, buffers[name]);
  }
  new StepPlan(ctx.device, `${label} test`).add(...dispatches(buffers)).run();
  const out: Record<string, ArrayBuffer> = {};
  for (const [name, bytes] of Object.entries(outputs)) {
    out[name] = (await readU32(ctx.device, buffers[name], bytes / 4)).buffer as ArrayBuffer;
  }
  Object.values(buffers).forEach((b) => ctx.pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

/** scansnapAttention: Z is [R][rows][P] (only the rows that can be queries). */
export async function runAttention(args: { shape: ScanSnapShape; rows: ScanSnapRows; tokens: Uint32Array<ArrayBuffer>; Z: Float32Array<ArrayBuffer> }) {
  const ctx = await getContext();
  const size = scanSnapSizes(args.shape);
  if (args.Z.byteLength !== zBytes(args.shape, args.rows)) throw new Error(`Z has ${args.Z.byteLength} bytes; the rows need ${zBytes(args.shape, args.rows)}`);
  const op = await scansnapAttention(ctx.kernels, args.shape, args.rows);
  const out = await runAlone(ctx, 'scansnapAttention', { tokens: args.tokens, Z: args.Z },
    { uniqueIds: size.uniqueList, uniqueVn: size.uniqueList, uniqueCount: size.uniqueCount, vnDense: size.perSequenceRow },
    (b) => [op({ tokens: b.tokens, Z: b.Z, uniqueIds: b.uniqueIds, uniqueVn: b.uniqueVn, uniqueCount: b.uniqueCount, vnDense: b.vnDense })]);
  return {
    uniqueIds: new Uint32Array(out.uniqueIds),
    uniqueVn: new Float32Array(out.uniqueVn),
    uniqueCount: new Uint32Array(out.uniqueCount),
    vnDense: new Float32Array(out.vnDense),
  };
}

/** scansnapCrossEntropy: Y is [R][M][P] with zero padding columns. */
export async function runCrossEntropy(args: { shape: ScanSnapShape; tokens: Uint32Array<ArrayBuffer>; Y: Float32Array<ArrayBuffer>; lists: UniqueLists }) {
  const ctx = await getContext();
  const size = scanSnapSizes(args.shape);
  const op = await scansnapCrossEntropy(ctx.kernels, args.shape);
  const out = await runAlone(ctx, 'scansnapCrossEntropy', { tokens: args.tokens, Y: args.Y, ...args.lists },
    { dLogit: size.perSequenceRow, loss: size.loss },
    (b) => [op({ tokens: b.tokens, Y: b.Y, uniqueIds: b.uniqueIds, uniqueVn: b.uniqueVn, uniqueCount: b.uniqueCount, dLogit: b.dLogit, loss: b.loss })]);
  return { dLogit: new Float32Array(out.dLogit), loss: new Float32Array(out.loss) };
}

/** scansnapAttentionBackward: Y [R][M][P], dLogit [R][batch][P], both with zero padding columns. */
export async function runAttentionBackward(args: { shape: ScanSnapShape; Y: Float32Array<ArrayBuffer>; dLogit: Float32Array<ArrayBuffer>; lists: UniqueLists }) {
  const ctx = await getContext();
  const size = scanSnapSizes(args.shape);
  const op = await scansnapAttentionBackward(ctx.kernels, args.shape);
  const out = await runAlone(ctx, 'scansnapAttentionBackward', { Y: args.Y, dLogit: args.dLogit, ...args.lists },
    { queryRowGrad: size.perSequenceRow },
    (b) => [op({ Y: b.Y, dLogit: b.dLogit, uniqueIds: b.uniqueIds, uniqueVn: b.uniqueVn, uniqueCount: b.uniqueCount, queryRowGrad: b.queryRowGrad })]);
  return new Float32Array(out.queryRowGrad);
}

/** scansnapGradY (listMembers + sum): vnDense and dLogit [R][batch][P]; the scratch is poisoned too. */
export async function runGradY(args: { shape: ScanSnapShape; vnDense: Float32Array<ArrayBuffer>; dLogit: Float32Array<ArrayBuffer> }) {
  const ctx = await getContext();
  const size = scanSnapSizes(args.shape);
  const scratch = gradYScratchBytes(args.shape);
  const op = await scansnapGradY(ctx.kernels, args.shape);
  const out = await runAlone(ctx, 'scansnapGradY', { vnDense: args.vnDense, dLogit: args.dLogit },
    { dY: size.params, memberSeq: scratch.memberList, memberVn: scratch.memberList, memberCount: scratch.memberCount },
    (b) => op({ vnDense: b.vnDense, dLogit: b.dLogit, dY: b.dY, memberSeq: b.memberSeq, memberVn: b.memberVn, memberCount: b.memberCount }));
  return new Float32Array(out.dY);
}

/** scansnapGradZ (listMembers + sum): queryRowGrad [R][batch][P]; dZ comes back [R][rows][P]. */
export async function runGradZ(args: { shape: ScanSnapShape; rows: ScanSnapRows; tokens: Uint32Array<ArrayBuffer>; queryRowGrad: Float32Array<ArrayBuffer> }) {
  const ctx = await getContext();
  const scratch = gradZScratchBytes(args.shape, args.rows);
  const op = await scansnapGradZ(ctx.kernels, args.shape, args.rows);
  const out = await runAlone(ctx, 'scansnapGradZ', { tokens: args.tokens, queryRowGrad: args.queryRowGrad },
    { dZ: zBytes(args.shape, args.rows), rowMembers: scratch.rowMembers, rowMemberCount: scratch.rowMemberCount },
    (b) => op({ tokens: b.tokens, queryRowGrad: b.queryRowGrad, dZ: b.dZ, rowMembers: b.rowMembers, rowMemberCount: b.rowMemberCount }));
  return new Float32Array(out.dZ);
}

/**
 * scansnapAttention's `slots` entry, or with `slotCounts` ([R][batch][8] words) its `slotsFromCounts`: uniqueVn by
 * slot (the only list they write).
 */
export async function runAttentionSlots(args: {
  shape: ScanSnapShape; rows: ScanSnapRows; slots: ScanSnapSlots; tokens: Uint32Array<ArrayBuffer>; Z: Float32Array<ArrayBuffer>; slotCounts?: Uint32Array<ArrayBuffer>;
}) {
  const ctx = await getContext();
  const size = scanSnapSizes(args.shape);
  const op = await scansnapAttention(ctx.kernels, args.shape, args.rows, args.slots, args.slotCounts !== undefined);
  const inputs = { tokens: args.tokens, Z: args.Z, ...(args.slotCounts ? { slotCounts: args.slotCounts } : {}) };
  const out = await runAlone(ctx, 'scansnapAttention slots', inputs, { uniqueVn: size.uniqueList },
    (b) => [op({ tokens: b.tokens, Z: b.Z, uniqueVn: b.uniqueVn, slotCounts: b.slotCounts })]);
  return new Float32Array(out.uniqueVn);
}

/**
 * scansnapGradY's slot entries (scansnapListByNext, then slots), then scansnapAttentionBackward's fromPartials on the products
 * they leave: slot lists, dLogit [R][batch][P], Y [R][M][P]; returns dY and queryRowGrad (by slot); scratch poisoned.
 */
export async function runGradYSlots(args: {
  shape: ScanSnapShape; slots: ScanSnapSlots; variant: GradYSlotVariant; tokens: Uint32Array<ArrayBuffer>; lists: UniqueLists;
  dLogit: Float32Array<ArrayBuffer>; Y: Float32Array<ArrayBuffer>;
}) {
  const ctx = await getContext();
  const size = scanSnapSizes(args.shape);
  const layout = gradYSlotLayout(args.shape, args.slots, args.variant);
  const listByNext = await scansnapListByNext(ctx.kernels, args.shape, args.slots);
  const op = await scansnapGradYSlots(ctx.kernels, args.shape, args.slots, args.variant);
  const tail = await scansnapAttentionBackwardFromPartials(ctx.kernels, args.shape, args.slots, layout.columnThreads);
  const out = await runAlone(ctx, 'scansnapGradY slots', { tokens: args.tokens, ...args.lists, dLogit: args.dLogit, Y: args.Y },
    { dY: size.params, dvnPartial: layout.partialBytes, queryRowGrad: size.perSequenceRow, ...memberListBytes(args.shape, args.slots) },
    (b) => [
      listByNext({ tokens: b.tokens, memberSeq: b.memberSeq, memberCount: b.memberCount }),
      op({ uniqueVn: b.uniqueVn, dLogit: b.dLogit, Y: b.Y, dY: b.dY, dvnPartial: b.dvnPartial, memberSeq: b.memberSeq, memberCount: b.memberCount }),
      tail({ uniqueVn: b.uniqueVn, dvnPartial: b.dvnPartial, queryRowGrad: b.queryRowGrad }),
    ]);
  return { dY: new Float32Array(out.dY), queryRowGrad: new Float32Array(out.queryRowGrad) };
}

/** scansnapCrossEntropy's slot entries (slotLogits + softmax), after scansnapListByNext lists the members. */
export async function runCrossEntropySlots(args: {
  shape: ScanSnapShape; slots: ScanSnapSlots; variant: CrossEntropySlotVariant; tokens: Uint32Array<ArrayBuffer>; Y: Float32Array<ArrayBuffer>; uniqueVn: Float32Array<ArrayBuffer>;
}) {
  const ctx = await getContext();
  const size = scanSnapSizes(args.shape);
  const listByNext = await scansnapListByNext(ctx.kernels, args.shape, args.slots);
  const op = await scansnapCrossEntropySlots(ctx.kernels, args.shape, args.slots, args.variant);
  const out = await runAlone(ctx, 'scansnapCrossEntropy slots', { tokens: args.tokens, Y: args.Y, uniqueVn: args.uniqueVn },
    { dLogit: size.perSequenceRow, loss: size.loss, ...memberListBytes(args.shape, args.slots) },
    (b) => [
      listByNext({ tokens: b.tokens, memberSeq: b.memberSeq, memberCount: b.memberCount }),
      ...op({ tokens: b.tokens, Y: b.Y, uniqueVn: b.uniqueVn, dLogit: b.dLogit, loss: b.loss, memberSeq: b.memberSeq, memberCount: b.memberCount }),
    ]);
  return { dLogit: new Float32Array(out.dLogit), loss: new Float32Array(out.loss) };
}

/** scansnapGradZ's slot entries after scansnapListByNext: queryRowGrad [R][batch][P] by slot; dZ comes back [R][rows][P]. */
export async function runGradZSlots(args: { shape: ScanSnapShape; rows: ScanSnapRows; slots: ScanSnapSlots; tokens: Uint32Array<ArrayBuffer>; queryRowGrad: Float32Array<ArrayBuffer> }) {
  const ctx = await getContext();
  const zScratch = gradZScratchBytes(args.shape, args.rows);
  const listByNext = await scansnapListByNext(ctx.kernels, args.shape, args.slots);
  const op = await scansnapGradZSlots(ctx.kernels, args.shape, args.rows, args.slots);
  const out = await runAlone(ctx, 'scansnapGradZ slots', { tokens: args.tokens, queryRowGrad: args.queryRowGrad },
    { dZ: zBytes(args.shape, args.rows), rowMembers: zScratch.rowMembers, rowMemberCount: zScratch.rowMemberCount, ...memberListBytes(args.shape, args.slots) },
    (b) => [
      listByNext({ tokens: b.tokens, memberSeq: b.memberSeq, memberCount: b.memberCount }),
      ...op({ tokens: b.tokens, queryRowGrad: b.queryRowGrad, dZ: b.dZ, rowMembers: b.rowMembers, rowMemberCount: b.rowMemberCount, memberSeq: b.memberSeq, memberCount: b.memberCount }),
    ]);
  return new Float32Array(out.dZ);
}
