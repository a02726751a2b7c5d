// Each Scan & Snap kernel alone against a float64 reference of its own math, so that a broken kernel fails its
// own test (tests/scansnap/gradients.test.ts checks the whole chain). Inputs are built in Node from the SPEC
// forward (src/reference/scansnap.ts), uploaded in the GPU layouts (rows padded to paddedRow(M), Z holding only
// the query rows), outputs NaN-poisoned in the page (tests/probes/scansnapKernels.ts).
// Awkward sizes: L = 2 (one context token), contexts with repeated tokens, M not a multiple of 4 (and M = 70 >
// the 64-wide workgroup), replicas > 1, batch 70 (two workgroups, the second part-full) and 3 or 5.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { scansnapForwardReference } from '../../src/reference/scansnap';
import { paddedRow, type ScanSnapRows, type ScanSnapShape } from '../../src/kernels/scansnapLayout';
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

/** One sequence: its SPEC forward (float64) on its replica's Y and Z. */
interface Sequence {
  replica: number;
  context: number[];
  query: number;
  next: number;
  f: ReturnType<typeof scansnapForwardReference>;
}

/**
 * Random Y and Z ([R][M][M], float32 values) and sequences; queries lie in `rows`, and in the second case the last
 * of those rows is never a query (its gradient must come out zero). Returns the ids [R][batch][L + 1] too.
 */
function makeInputs(c: Case, seed: number) {
  const rng = new Random(seed);
  const mm = c.M * c.M;
  const Y = seededArray(rng, c.replicas * mm, -c.scale, c.scale);
  const Z = seededArray(rng, c.replicas * mm, -c.scale, c.scale);
  const ids = new Uint32Array(c.replicas * c.batch * (c.L + 1));
  const queryChoices = c.rows.rows > 2 ? c.rows.rows - 1 : c.rows.rows;
  const sequences: Sequence[] = [];
  for (let s = 0; s < c.replicas * c.batch; s++) {
    const replica = Math.floor(s / c.batch);
    const context = Array.from({ length: c.L - 1 }, () => rng.int(c.vocab));
    const query = c.rows.rowBase + rng.int(queryChoices);
    const next = rng.int(c.M);
    ids.set([...context, query, next], s * (c.L + 1));
    const f = scansnapForwardReference(c.M, Y.subarray(replica * mm, (replica + 1) * mm), Z.subarray(replica * mm, (replica + 1) * mm), context, query);
    sequences.push({ replica, context, query, next, f });
  }
  return { Y, Z, ids, sequences };
}

function distinct(context: number[]): number[] {
  return [...new Set(context)];
}

/**
 * The lists scansnapAttention would write, from the float64 vn rounded to float32. Entries past each count are
 * NaN (vn) and 0 (id), as stale entries are in training: a kernel that reads them produces NaN.
 */
function uniqueLists(c: Case, sequences: Sequence[]): UniqueLists {
  const CTX = c.L - 1;
  const uniqueIds = new Uint32Array(sequences.length * CTX);
  const uniqueVn = new Float32Array(sequences.length * CTX).fill(NaN);
  const uniqueCount = new Uint32Array(sequences.length);
  sequences.forEach((q, s) => {
    const tokens = distinct(q.context);
    uniqueCount[s] = tokens.length;
    tokens.forEach((k, j) => {
      uniqueIds[s * CTX + j] = k;
      uniqueVn[s * CTX + j] = q.f.vn[k];
    });
  });
  return { uniqueIds, uniqueVn, uniqueCount };
}

/** Padding columns of rows of length P must be exactly zero (later kernels read them as vec4s). */
function expectZeroPadding(padded: Float32Array, M: number, what: string): void {
  const P = paddedRow(M);
  for (let i = 0; i < padded.length; i++) {
    if (i % P >= M) expect(padded[i], `${what}: padding element ${i}`).toBe(0);
  }
}

describe('scansnapAttention (shaders/scansnapAttention.wgsl)', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(name(c), async () => {
      const { Z, ids, sequences } = makeInputs(c, 11 + c.M);
      const got = await gpu().call<{ uniqueIds: Uint32Array; uniqueVn: Float32Array; uniqueCount: Uint32Array; vnDense: Float32Array }>(PROBE, 'runAttention', {
        shape: c, rows: c.rows, tokens: ids, Z: padRows(selectRows(Z, c.M, c.rows), c.M),
      });
      const CTX = c.L - 1;
      expectZeroPadding(got.vnDense, c.M, 'vnDense');
      const vnDense = unpadRows(got.vnDense, c.M);
      const wantDense = new Float64Array(sequences.length * c.M);
      const listVn: number[] = [];
      const wantListVn: number[] = [];
      sequences.forEach((q, s) => {
        const tokens = distinct(q.context);
        expect(got.uniqueCount[s], `sequence ${s}: distinct context tokens`).toBe(tokens.length);
        const listed = Array.from(got.uniqueIds.subarray(s * CTX, s * CTX + tokens.length));
        expect([...listed].sort((a, b) => a - b), `sequence ${s}: uniqueIds`).toEqual([...tokens].sort((a, b) => a - b));
        listed.forEach((k, j) => {
          listVn.push(got.uniqueVn[s * CTX + j]);
          wantListVn.push(q.f.vn[k]);
        });
        wantDense.set(q.f.vn, s * c.M);
        // GradY finds a sequence's tokens by vn != 0: every other entry must be exactly zero.
        for (let k = 0; k < c.M; k++) if (!tokens.includes(k)) expect(vnDense[s * c.M + k], `sequence ${s}: vnDense[${k}]`).toBe(0);
      });
      expectClose(listVn, wantListVn, 1e-6, 'uniqueVn');
      expectClose(vnDense, wantDense, 1e-6, 'vnDense');
    });
  }
});

describe('scansnapCrossEntropy (shaders/scansnapCrossEntropy.wgsl)', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(name(c), async () => {
      const { Y, ids, sequences } = makeInputs(c, 23 + c.M);
      const got = await gpu().call<{ dLogit: Float32Array; loss: Float32Array }>(PROBE, 'runCrossEntropy', {
        shape: c, tokens: ids, Y: padRows(Y, c.M), lists: uniqueLists(c, sequences),
      });
      expectZeroPadding(got.dLogit, c.M, 'dLogit');
      // loss_b = logsumexp(logit) − logit_next; dLogit = (softmax(logit) − e_next) / batch
      const wantLoss = sequences.map((q) => q.f.logSumExp - q.f.logit[q.next]);
      const wantDLogit = new Float64Array(sequences.length * c.M);
      sequences.forEach((q, s) => q.f.p.forEach((p, l) => (wantDLogit[s * c.M + l] = (p - (l === q.next ? 1 : 0)) / c.batch)));
      expectClose(got.loss, wantLoss, 1e-5, 'loss');
      expectClose(unpadRows(got.dLogit, c.M), wantDLogit, 1e-5, 'dLogit');
    });
  }
});

describe('scansnapAttentionBackward (shaders/scansnapAttentionBackward.wgsl)', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(name(c), async () => {
      const { Y, sequences } = makeInputs(c, 37 + c.M);
      const rng = new Random(41 + c.M);
      const dLogit = seededArray(rng, sequences.length * c.M);
      const got = await gpu().call<Float32Array>(PROBE, 'runAttentionBackward', {
        shape: c, Y: padRows(Y, c.M), dLogit: padRows(dLogit, c.M), lists: uniqueLists(c, sequences),
      });
      expectZeroPadding(got, c.M, 'queryRowGrad');
      // Textbook chain rule from dLogit to the query row of Z: logit = Yᵀ vn; vn = v / ‖v‖; v = Σ_t b_t e_{x_t};
      // b = softmax(s); s_t = Z[query][x_t] (the same steps as scansnapLossAndGradsReference).
      const mm = c.M * c.M;
      const want = new Float64Array(sequences.length * c.M);
      sequences.forEach((q, s) => {
        const Yr = Y.subarray(q.replica * mm, (q.replica + 1) * mm);
        const dVn = new Float64Array(c.M);
        for (let k = 0; k < c.M; k++) for (let l = 0; l < c.M; l++) dVn[k] += Yr[k * c.M + l] * dLogit[s * c.M + l];
        const vnDotDVn = q.f.vn.reduce((a, x, k) => a + x * dVn[k], 0);
        const dB = q.context.map((x) => (dVn[x] - q.f.vn[x] * vnDotDVn) / q.f.norm);
        const bDotDB = q.f.b.reduce((a, x, t) => a + x * dB[t], 0);
        q.context.forEach((x, t) => (want[s * c.M + x] += q.f.b[t] * (dB[t] - bDotDB)));
      });
      expectClose(unpadRows(got, c.M), want, 2e-5, 'queryRowGrad');
    });
  }
});

const GRAD_Y_CASES: Case[] = [...CASES, { replicas: 1, batch: 5, L: 4, M: 70, vocab: 70, rows: { rowBase: 0, rows: 70 }, scale: 1 }];

describe('scansnapGradY (shaders/scansnapGradY.wgsl)', () => {
  const gpu = useGpu();
  for (const c of GRAD_Y_CASES) {
    it(name(c), async () => {
      const { sequences } = makeInputs(c, 53 + c.M);
      const rng = new Random(59 + c.M);
      const dLogit = seededArray(rng, sequences.length * c.M);
      const vnDense = new Float32Array(sequences.length * c.M);
      sequences.forEach((q, s) => vnDense.set(q.f.vn, s * c.M));
      const got = await gpu().call<Float32Array>(PROBE, 'runGradY', { shape: c, vnDense: padRows(vnDense, c.M), dLogit: padRows(dLogit, c.M) });
      expectZeroPadding(got, c.M, 'dY');
      // dY[k][l] = Σ_b vn_b[k] dLogit_b[l], per replica
      const want = new Float64Array(c.replicas * c.M * c.M);
      sequences.forEach((q, s) => {
        for (let k = 0; k < c.M; k++) {
          for (let l = 0; l < c.M; l++) want[(q.replica * c.M + k) * c.M + l] += vnDense[s * c.M + k] * dLogit[s * c.M + l];
        }
      });
      expectClose(unpadRows(got, c.M), want, 1e-6, 'dY');
    });
  }
});

describe('scansnapGradZ (shaders/scansnapGradZ.wgsl)', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(name(c), async () => {
      const { ids, sequences } = makeInputs(c, 67 + c.M);
      const rng = new Random(71 + c.M);
      const queryRowGrad = seededArray(rng, sequences.length * c.M);
      const got = await gpu().call<Float32Array>(PROBE, 'runGradZ', { shape: c, rows: c.rows, tokens: ids, queryRowGrad: padRows(queryRowGrad, c.M) });
      expectZeroPadding(got, c.M, 'dZ');
      // dZ[i][k] = Σ_{b: query_b = i} queryRowGrad_b[k] for the rows i on the GPU, per replica
      const want = new Float64Array(c.replicas * c.rows.rows * c.M);
      sequences.forEach((q, s) => {
        const out = (q.replica * c.rows.rows + q.query - c.rows.rowBase) * c.M;
        for (let k = 0; k < c.M; k++) want[out + k] += queryRowGrad[s * c.M + k];
      });
      expectClose(unpadRows(got, c.M), want, 1e-6, 'dZ');
    });
  }
});
