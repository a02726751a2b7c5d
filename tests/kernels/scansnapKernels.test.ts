// Each Scan & Snap kernel alone against the float64 reference of its own math (src/reference/<kernel>.ts), fed
// the inputs the GPU gets, so that a broken kernel fails its own test (tests/scansnap/gradients.test.ts checks the
// whole chain on the GPU; the first test here checks the references chained against the SPEC reference,
// src/reference/scansnap.ts). Inputs are uploaded in the GPU layouts (rows padded to paddedRow(M), Z holding only
// the query rows), outputs NaN-poisoned in the page (tests/probes/scansnapKernels.ts).
// Awkward sizes: L = 2 (one context token), contexts with repeated tokens, M not a multiple of 4 (and M = 70 >
// the 64-wide workgroup), replicas > 1, batch 70 (two workgroups, the second part-full) and 3 or 5.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { scansnapLossAndGradsReference } from '../../src/reference/scansnap';
import { scansnapAttentionReference, scansnapAttentionSlotsReference } from '../../src/reference/scansnapAttention';
import { scansnapCrossEntropyReference } from '../../src/reference/scansnapCrossEntropy';
import { scansnapAttentionBackwardReference } from '../../src/reference/scansnapAttentionBackward';
import { scansnapGradYReference, scansnapGradYSlotsReference } from '../../src/reference/scansnapGradY';
import { scansnapGradZReference } from '../../src/reference/scansnapGradZ';
import { paddedRow, slotCount, type ScanSnapRows, type ScanSnapShape } from '../../src/kernels/scansnapLayout';
import { defaultCrossEntropySlotVariant } from '../../src/kernels/scansnapCrossEntropy';
import { SequenceSampler, tokenLayout, tokenSlots, type ScanSnapDataSettings } from '../../src/models/scansnap/data';
import { padRows, selectRows, unpadRows } from '../../src/models/scansnap/model';
import type { UniqueLists } from '../probes/scansnapKernels';

const PROBE = '/tests/probes/scansnapKernels.ts';

interface Case extends ScanSnapShape {
  /** Contexts draw from tokens 0 .. vocab − 1 (small: frequent repeats, and tokens in no context). */
  vocab: number;
  /** Rows of Z on the GPU; queries are drawn from them. */
  rows: ScanSnapRows;
  scale: number;
}

const CASES: Case[] = [
  { replicas: 1, batch: 3, L: 2, M: 5, vocab: 5, rows: { rowBase: 0, rows: 5 }, scale: 1 },
  { replicas: 2, batch: 70, L: 6, M: 7, vocab: 3, rows: { rowBase: 2, rows: 4 }, scale: 2 },
  { replicas: 3, batch: 5, L: 9, M: 18, vocab: 18, rows: { rowBase: 0, rows: 18 }, scale: 3 },
];

const name = (c: Case) => `R=${c.replicas} batch=${c.batch} L=${c.L} M=${c.M} (P=${paddedRow(c.M)}), contexts from ${c.vocab} tokens, Z rows ${c.rows.rowBase}..${c.rows.rowBase + c.rows.rows - 1}`;

/**
 * Random Y and Z ([R][M][M], float32 values) and ids [R][batch][L + 1]; queries lie in `rows`, and with more
 * than two rows the last of them is never a query (its gradient must come out zero).
 */
function makeInputs(c: Case, seed: number) {
  const rng = new Random(seed);
  const mm = c.M * c.M;
  const Y = seededArray(rng, c.replicas * mm, -c.scale, c.scale);
  const Z = seededArray(rng, c.replicas * mm, -c.scale, c.scale);
  const ids = new Uint32Array(c.replicas * c.batch * (c.L + 1));
  const queryChoices = c.rows.rows > 2 ? c.rows.rows - 1 : c.rows.rows;
  for (let s = 0; s < c.replicas * c.batch; s++) {
    const context = Array.from({ length: c.L - 1 }, () => rng.int(c.vocab));
    const query = c.rows.rowBase + rng.int(queryChoices);
    const next = rng.int(c.M);
    ids.set([...context, query, next], s * (c.L + 1));
  }
  return { Y, Z, ids };
}

/** scansnapAttention's float64 outputs for Z's rows `c.rows` (the rows the GPU holds). */
function attentionOf(c: Case, Z: Float32Array, ids: Uint32Array) {
  return scansnapAttentionReference(c, c.rows, ids, selectRows(Z, c.M, c.rows));
}

/**
 * The lists scansnapAttention would write, from its float64 reference rounded to float32. Entries past each
 * count are NaN (vn) and 0 (id), as stale entries are in training: a kernel that reads them produces NaN.
 */
function uniqueLists(c: Case, attention: ReturnType<typeof scansnapAttentionReference>): UniqueLists {
  const CTX = c.L - 1;
  const uniqueVn = new Float32Array(attention.uniqueVn.length).fill(NaN);
  attention.uniqueCount.forEach((count, s) => uniqueVn.set(attention.uniqueVn.subarray(s * CTX, s * CTX + count), s * CTX));
  return { uniqueIds: Uint32Array.from(attention.uniqueIds), uniqueVn, uniqueCount: Uint32Array.from(attention.uniqueCount) };
}

/** Padding columns of rows of length P must be exactly zero (later kernels read them as vec4s). */
function expectZeroPadding(padded: Float32Array, M: number, what: string): void {
  const P = paddedRow(M);
  for (let i = 0; i < padded.length; i++) {
    if (i % P >= M) expect(padded[i], `${what}: padding element ${i}`).toBe(0);
  }
}

describe('the scansnap kernel references chained are the SPEC loss and gradients (src/reference/scansnap.ts)', () => {
  // Attention, cross-entropy, attention backward (whose collapsed formula this checks against the textbook chain
  // rule through b and ‖v‖), GradY and GradZ, with every row of Z: per replica the batch-mean loss, dY and dZ.
  for (const c of CASES) {
    it(name(c), () => {
      const { Y, Z, ids } = makeInputs(c, 83 + c.M);
      const all: ScanSnapRows = { rowBase: 0, rows: c.M };
      const attention = scansnapAttentionReference(c, all, ids, Z);
      const lists = [attention.uniqueIds, attention.uniqueVn, attention.uniqueCount] as const;
      const { loss, dLogit } = scansnapCrossEntropyReference(c, ids, Y, ...lists);
      const dY = scansnapGradYReference(c, attention.vnDense, dLogit);
      const dZ = scansnapGradZReference(c, all, ids, scansnapAttentionBackwardReference(c, Y, dLogit, ...lists));
      const mm = c.M * c.M;
      for (let r = 0; r < c.replicas; r++) {
        const sequences = ids.subarray(r * c.batch * (c.L + 1), (r + 1) * c.batch * (c.L + 1));
        const spec = scansnapLossAndGradsReference(c.M, Y.subarray(r * mm, (r + 1) * mm), Z.subarray(r * mm, (r + 1) * mm), sequences, c.batch, c.L);
        const meanLoss = loss.subarray(r * c.batch, (r + 1) * c.batch).reduce((a, v) => a + v, 0) / c.batch;
        expect(meanLoss, `replica ${r} loss`).toBeCloseTo(spec.loss, 12);
        expectClose(dY.subarray(r * mm, (r + 1) * mm), spec.dY, 1e-12, `replica ${r} dY`);
        expectClose(dZ.subarray(r * mm, (r + 1) * mm), spec.dZ, 1e-12, `replica ${r} dZ`);
      }
    });
  }
});

describe('scansnapAttention (shaders/scansnapAttention.wgsl)', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(name(c), async () => {
      const { Z, ids } = makeInputs(c, 11 + c.M);
      const got = await gpu().call<{ uniqueIds: Uint32Array; uniqueVn: Float32Array; uniqueCount: Uint32Array; vnDense: Float32Array }>(PROBE, 'runAttention', {
        shape: c, rows: c.rows, tokens: ids, Z: padRows(selectRows(Z, c.M, c.rows), c.M),
      });
      const want = attentionOf(c, Z, ids);
      const CTX = c.L - 1;
      expectZeroPadding(got.vnDense, c.M, 'vnDense');
      const vnDense = unpadRows(got.vnDense, c.M);
      const listVn: number[] = [];
      const wantListVn: number[] = [];
      for (let s = 0; s < c.replicas * c.batch; s++) {
        const tokens = Array.from(want.uniqueIds.subarray(s * CTX, s * CTX + want.uniqueCount[s]));
        expect(got.uniqueCount[s], `sequence ${s}: distinct context tokens`).toBe(tokens.length);
        const listed = Array.from(got.uniqueIds.subarray(s * CTX, s * CTX + tokens.length));
        expect([...listed].sort((a, b) => a - b), `sequence ${s}: uniqueIds`).toEqual([...tokens].sort((a, b) => a - b));
        listed.forEach((k, j) => {
          listVn.push(got.uniqueVn[s * CTX + j]);
          wantListVn.push(want.vnDense[s * c.M + k]);
        });
        // GradY finds a sequence's tokens by vn != 0: every other entry must be exactly zero.
        for (let k = 0; k < c.M; k++) if (!tokens.includes(k)) expect(vnDense[s * c.M + k], `sequence ${s}: vnDense[${k}]`).toBe(0);
      }
      expectClose(listVn, wantListVn, 1e-6, 'uniqueVn');
      expectClose(vnDense, want.vnDense, 1e-6, 'vnDense');
    });
  }
});

describe('scansnapCrossEntropy (shaders/scansnapCrossEntropy.wgsl)', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(name(c), async () => {
      const { Y, Z, ids } = makeInputs(c, 23 + c.M);
      const lists = uniqueLists(c, attentionOf(c, Z, ids));
      const got = await gpu().call<{ dLogit: Float32Array; loss: Float32Array }>(PROBE, 'runCrossEntropy', {
        shape: c, tokens: ids, Y: padRows(Y, c.M), lists,
      });
      expectZeroPadding(got.dLogit, c.M, 'dLogit');
      const want = scansnapCrossEntropyReference(c, ids, Y, lists.uniqueIds, lists.uniqueVn, lists.uniqueCount);
      expectClose(got.loss, want.loss, 1e-5, 'loss');
      expectClose(unpadRows(got.dLogit, c.M), want.dLogit, 1e-5, 'dLogit');
    });
  }
});

describe('scansnapAttentionBackward (shaders/scansnapAttentionBackward.wgsl)', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(name(c), async () => {
      const { Y, Z, ids } = makeInputs(c, 37 + c.M);
      const lists = uniqueLists(c, attentionOf(c, Z, ids));
      const rng = new Random(41 + c.M);
      const dLogit = seededArray(rng, c.replicas * c.batch * c.M);
      const got = await gpu().call<Float32Array>(PROBE, 'runAttentionBackward', {
        shape: c, Y: padRows(Y, c.M), dLogit: padRows(dLogit, c.M), lists,
      });
      expectZeroPadding(got, c.M, 'queryRowGrad');
      const want = scansnapAttentionBackwardReference(c, Y, dLogit, lists.uniqueIds, lists.uniqueVn, lists.uniqueCount);
      expectClose(unpadRows(got, c.M), want, 2e-5, 'queryRowGrad');
    });
  }
});

const GRAD_Y_CASES: Case[] = [...CASES, { replicas: 1, batch: 5, L: 4, M: 70, vocab: 70, rows: { rowBase: 0, rows: 70 }, scale: 1 }];

describe('scansnapGradY (shaders/scansnapGradY.wgsl)', () => {
  const gpu = useGpu();
  for (const c of GRAD_Y_CASES) {
    it(name(c), async () => {
      const { Z, ids } = makeInputs(c, 53 + c.M);
      const rng = new Random(59 + c.M);
      const dLogit = seededArray(rng, c.replicas * c.batch * c.M);
      const vnDense = Float32Array.from(attentionOf(c, Z, ids).vnDense);
      const got = await gpu().call<Float32Array>(PROBE, 'runGradY', { shape: c, vnDense: padRows(vnDense, c.M), dLogit: padRows(dLogit, c.M) });
      expectZeroPadding(got, c.M, 'dY');
      const want = scansnapGradYReference(c, vnDense, dLogit);
      expectClose(unpadRows(got, c.M), want, 1e-6, 'dY');
    });
  }
});

describe('scansnapGradZ (shaders/scansnapGradZ.wgsl)', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(name(c), async () => {
      const { ids } = makeInputs(c, 67 + c.M);
      const rng = new Random(71 + c.M);
      const queryRowGrad = seededArray(rng, c.replicas * c.batch * c.M);
      const got = await gpu().call<Float32Array>(PROBE, 'runGradZ', { shape: c, rows: c.rows, tokens: ids, queryRowGrad: padRows(queryRowGrad, c.M) });
      expectZeroPadding(got, c.M, 'dZ');
      const want = scansnapGradZReference(c, c.rows, ids, queryRowGrad);
      expectClose(unpadRows(got, c.M), want, 1e-6, 'dZ');
    });
  }
});

// Slot lists: batches drawn from a token layout (SequenceSampler), as training has them. The layouts: slots in one
// row block and in two (the second part-full), no common tokens, one slot past a word of counts; next tokens with
// no sequence in a small batch (their distinct rows of dY must come out zero, not NaN).
interface SlotCase {
  data: ScanSnapDataSettings;
  replicas: number;
  batch: number;
  gradY: { rowsPerThread: number; columnVecs: number; quads?: boolean; workgroupSize?: number };
  crossEntropy: { tileSeqs: number; columnVecs: number; quads?: boolean };
}

const SLOT_CASES: SlotCase[] = [
  { data: { numCommon: 2, numQuery: 2, nextPerQuery: 2, distinctPerNext: 3, L: 9 }, replicas: 2, batch: 70, gradY: { rowsPerThread: 5, columnVecs: 4 }, crossEntropy: { tileSeqs: 8, columnVecs: 4 } },
  { data: { numCommon: 0, numQuery: 1, nextPerQuery: 3, distinctPerNext: 7, L: 8 }, replicas: 3, batch: 3, gradY: { rowsPerThread: 2, columnVecs: 3 }, crossEntropy: { tileSeqs: 3, columnVecs: 2 } },
  { data: { numCommon: 7, numQuery: 3, nextPerQuery: 1, distinctPerNext: 6, L: 30 }, replicas: 1, batch: 5, gradY: { rowsPerThread: 1, columnVecs: 1 }, crossEntropy: { tileSeqs: 5, columnVecs: 1 } },
  // Quads (the subgroups feature: every adapter these tests run on has it). The logits: 8 and 3 sequences a thread,
  // chunks with fewer members than lanes share, column threads rounded up to whole quads. gradY's slotPairs: an
  // even and an odd count of column threads (the last quad's second one idle), a group of one row block (its pair
  // repeats it) and one of two, workgroups of 64 and 256.
  { data: { numCommon: 2, numQuery: 2, nextPerQuery: 2, distinctPerNext: 3, L: 9 }, replicas: 2, batch: 70, gradY: { rowsPerThread: 5, columnVecs: 4, quads: true }, crossEntropy: { tileSeqs: 8, columnVecs: 4, quads: true } },
  { data: { numCommon: 3, numQuery: 2, nextPerQuery: 3, distinctPerNext: 5, L: 12 }, replicas: 2, batch: 9, gradY: { rowsPerThread: 3, columnVecs: 4, quads: true, workgroupSize: 256 }, crossEntropy: { tileSeqs: 3, columnVecs: 3, quads: true } },
];

function slotCase(c: SlotCase) {
  const layout = tokenLayout(c.data);
  const shape: ScanSnapShape = { replicas: c.replicas, batch: c.batch, L: c.data.L, M: layout.M };
  const rows: ScanSnapRows = { rowBase: layout.queryBase, rows: c.data.numQuery };
  const slots = tokenSlots(c.data);
  const ids = new SequenceSampler(c.data).step(new Uint32Array(c.replicas * c.batch * (c.data.L + 1)), c.replicas, c.batch, 5, 3);
  return { shape, rows, slots, ids };
}

const slotName = (c: SlotCase) => {
  const { shape, slots } = slotCase(c);
  return `R=${c.replicas} batch=${c.batch} L=${c.data.L} M=${shape.M}, ${slotCount(slots)} slots (${c.data.numCommon} common), K=${slots.K}, gradY ${c.gradY.rowsPerThread} rows x ${c.gradY.columnVecs} vec4${c.gradY.quads ? ' in quad pairs' : ''}, cross-entropy ${c.crossEntropy.tileSeqs} sequences x ${c.crossEntropy.columnVecs} vec4${c.crossEntropy.quads ? ' in quads' : ''}`;
};

describe('scansnapAttention slot lists (entries slots, slotsFromCounts)', () => {
  const gpu = useGpu();
  for (const c of SLOT_CASES) {
    it(slotName(c), async () => {
      const { shape, rows, slots, ids } = slotCase(c);
      const Z = seededArray(new Random(13), c.replicas * shape.M * shape.M, -2, 2);
      const got = await gpu().call<Float32Array>(PROBE, 'runAttentionSlots', { shape, rows, slots, tokens: ids, Z: padRows(selectRows(Z, shape.M, rows), shape.M) });
      const want = scansnapAttentionSlotsReference(shape, rows, slots, ids, selectRows(Z, shape.M, rows));
      const CTX = shape.L - 1;
      const S = slotCount(slots);
      const listed = (a: ArrayLike<number>) => Array.from({ length: c.replicas * c.batch * S }, (_, i) => a[Math.floor(i / S) * CTX + (i % S)]);
      const wantVn = listed(want.uniqueVn);
      // Absent tokens: exactly zero (the slot sums add them as zeros).
      listed(got).forEach((v, i) => { if (wantVn[i] === 0) expect(v, `slot entry ${i}`).toBe(0); });
      expect(wantVn.some((v) => v === 0), 'some allowed token is absent from some context').toBe(true);
      expectClose(listed(got), wantVn, 1e-6, 'uniqueVn');
      // slotsFromCounts: the generator's packed counts instead of the context ids (poisoned here): the same bits.
      const slotCounts = new Uint32Array(8 * c.replicas * c.batch);
      const context = Uint32Array.from(ids);
      for (let seq = 0; seq < c.replicas * c.batch; seq++) {
        const n = ids[seq * (shape.L + 1) + shape.L] - slots.nextBase;
        for (let t = 0; t < CTX; t++) {
          const k = ids[seq * (shape.L + 1) + t];
          const j = k < slots.numCommon ? k : k - slots.numCommon - n * slots.distinctPerNext + slots.numCommon;
          slotCounts[8 * seq + (j >> 2)] += 1 << (8 * (j & 3));
          context[seq * (shape.L + 1) + t] = 0x7fc00000;
        }
      }
      const fromCounts = await gpu().call<Float32Array>(PROBE, 'runAttentionSlots', {
        shape, rows, slots, tokens: context, Z: padRows(selectRows(Z, shape.M, rows), shape.M), slotCounts,
      });
      expect(listed(fromCounts)).toEqual(listed(got));
    });
  }
});

describe('scansnapGradY from slot lists (entries listByNext, slots), with attention backward from its products (fromPartials)', () => {
  const gpu = useGpu();
  for (const c of SLOT_CASES) {
    it(`${slotName(c)}: the float64 dY and query-row gradients, and dY in the same bits as listMembers + main`, async () => {
      const { shape, rows, slots, ids } = slotCase(c);
      const Z = seededArray(new Random(17), c.replicas * shape.M * shape.M, -2, 2);
      const Y = seededArray(new Random(23), c.replicas * shape.M * shape.M, -2, 2);
      const want = scansnapAttentionSlotsReference(shape, rows, slots, ids, selectRows(Z, shape.M, rows));
      const lists: UniqueLists = { uniqueIds: want.uniqueIds, uniqueVn: Float32Array.from(want.uniqueVn), uniqueCount: want.uniqueCount };
      const dLogit = seededArray(new Random(19), c.replicas * c.batch * shape.M);
      const got = await gpu().call<{ dY: Float32Array; queryRowGrad: Float32Array }>(PROBE, 'runGradYSlots', {
        shape, slots, variant: c.gradY, tokens: ids, lists, dLogit: padRows(dLogit, shape.M), Y: padRows(Y, shape.M),
      });
      expectZeroPadding(got.dY, shape.M, 'dY');
      expectClose(unpadRows(got.dY, shape.M), scansnapGradYSlotsReference(shape, slots, ids, lists.uniqueVn, dLogit), 1e-6, 'dY');
      // queryRowGrad comes out by slot: entry j of a row is slot j's token's gradient.
      const wantRowGrad = scansnapAttentionBackwardReference(shape, Y, dLogit, lists.uniqueIds, lists.uniqueVn, lists.uniqueCount);
      const CTX = shape.L - 1;
      const S = slotCount(slots);
      const P = paddedRow(shape.M);
      const bySlot = (a: ArrayLike<number>, stride: number, at: (seq: number, j: number) => number) =>
        Array.from({ length: c.replicas * c.batch * S }, (_, i) => a[Math.floor(i / S) * stride + at(Math.floor(i / S), i % S)]);
      expectClose(bySlot(got.queryRowGrad, P, (_, j) => j), bySlot(wantRowGrad, shape.M, (seq, j) => lists.uniqueIds[seq * CTX + j]), 2e-5, 'queryRowGrad by slot');
      const vnDense = new Float32Array(c.replicas * c.batch * shape.M);
      for (let seq = 0; seq < c.replicas * c.batch; seq++) {
        for (let j = 0; j < slotCount(slots); j++) vnDense[seq * shape.M + lists.uniqueIds[seq * CTX + j]] = lists.uniqueVn[seq * CTX + j];
      }
      const general = await gpu().call<Float32Array>(PROBE, 'runGradY', { shape, vnDense: padRows(vnDense, shape.M), dLogit: padRows(dLogit, shape.M) });
      expect(got.dY).toEqual(general);
    });
  }
});

describe('scansnapGradZ from query-row gradients by slot (entry slots)', () => {
  const gpu = useGpu();
  for (const c of SLOT_CASES) {
    it(`${slotName(c)}: the float64 dZ, and the same bits as main on the same values by token`, async () => {
      const { shape, rows, slots, ids } = slotCase(c);
      const S = slotCount(slots);
      const P = paddedRow(shape.M);
      const CTX = shape.L - 1;
      const bySlot = seededArray(new Random(37), c.replicas * c.batch * P);
      for (let i = 0; i < bySlot.length; i++) if (i % P >= S) bySlot[i] = NaN; // never read
      const Z = new Float32Array(c.replicas * shape.M * shape.M);
      const lists = scansnapAttentionSlotsReference(shape, rows, slots, ids, selectRows(Z, shape.M, rows));
      const byToken = new Float32Array(c.replicas * c.batch * shape.M);
      for (let seq = 0; seq < c.replicas * c.batch; seq++) {
        for (let j = 0; j < S; j++) byToken[seq * shape.M + lists.uniqueIds[seq * CTX + j]] = bySlot[seq * P + j];
      }
      const got = await gpu().call<Float32Array>(PROBE, 'runGradZSlots', { shape, rows, slots, tokens: ids, queryRowGrad: bySlot });
      expectZeroPadding(got, shape.M, 'dZ');
      expectClose(unpadRows(got, shape.M), scansnapGradZReference(shape, rows, ids, byToken), 1e-6, 'dZ');
      const general = await gpu().call<Float32Array>(PROBE, 'runGradZ', { shape, rows, tokens: ids, queryRowGrad: padRows(byToken, shape.M) });
      expect(got).toEqual(general);
    });
  }
});

describe('defaultCrossEntropySlotVariant (src/kernels/scansnapCrossEntropy.ts)', () => {
  const device = (features: string[]) => ({ features: new Set(features) }) as unknown as GPUDevice;
  it('takes quads on a CPU adapter with subgroups where whole quads leave at most an eighth of the columns idle', () => {
    const subgroups = device(['subgroups']);
    // M 240: 60 vec4 columns, 15 column threads -> 16 (6.7 % idle); M 125: 32 -> 8 threads, none idle.
    expect(defaultCrossEntropySlotVariant(subgroups, true, 240)).toEqual({ quads: true });
    expect(defaultCrossEntropySlotVariant(subgroups, true, 125)).toEqual({ quads: true });
    // M 79: 20 vec4 columns, 5 threads -> 8 (60 % idle); M 33: 9 -> 3 threads -> 4 (78 %).
    expect(defaultCrossEntropySlotVariant(subgroups, true, 79)).toEqual({});
    expect(defaultCrossEntropySlotVariant(subgroups, true, 33)).toEqual({});
    expect(defaultCrossEntropySlotVariant(subgroups, false, 240)).toEqual({});
    expect(defaultCrossEntropySlotVariant(device([]), true, 240)).toEqual({});
  });
});

describe('scansnapCrossEntropy from slot lists (entries slotLogits, softmax)', () => {
  const gpu = useGpu();
  for (const c of SLOT_CASES) {
    it(`${slotName(c)}: the float64 loss and dLogit, and the same bits as main`, async () => {
      const { shape, rows, slots, ids } = slotCase(c);
      const Z = seededArray(new Random(29), c.replicas * shape.M * shape.M, -2, 2);
      const Y = seededArray(new Random(31), c.replicas * shape.M * shape.M, -2, 2);
      const want = scansnapAttentionSlotsReference(shape, rows, slots, ids, selectRows(Z, shape.M, rows));
      const lists: UniqueLists = { uniqueIds: want.uniqueIds, uniqueVn: Float32Array.from(want.uniqueVn), uniqueCount: want.uniqueCount };
      const got = await gpu().call<{ dLogit: Float32Array; loss: Float32Array }>(PROBE, 'runCrossEntropySlots', {
        shape, slots, variant: c.crossEntropy, tokens: ids, Y: padRows(Y, shape.M), uniqueVn: lists.uniqueVn,
      });
      expectZeroPadding(got.dLogit, shape.M, 'dLogit');
      const reference = scansnapCrossEntropyReference(shape, ids, Y, lists.uniqueIds, lists.uniqueVn, lists.uniqueCount);
      expectClose(got.loss, reference.loss, 1e-5, 'loss');
      expectClose(unpadRows(got.dLogit, shape.M), reference.dLogit, 1e-5, 'dLogit');
      const general = await gpu().call<{ dLogit: Float32Array; loss: Float32Array }>(PROBE, 'runCrossEntropy', { shape, tokens: ids, Y: padRows(Y, shape.M), lists });
      expect(got.loss).toEqual(general.loss);
      expect(got.dLogit).toEqual(general.dLogit);
    });
  }
});
