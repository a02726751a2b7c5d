// float64 reference for shaders/scansnapAttention.wgsl, per sequence: s_t = Z[query][x_t] over the L − 1 context
// tokens x_t, b = softmax(s), v = Σ_t b_t e_{x_t}, vn = v / ‖v‖; the nonzeros of vn as a list of the distinct
// context tokens in order of first occurrence, and vn dense.
// Layouts as the kernel's, with rows M long (the GPU pads them to paddedRow(M) with zeros): tokens [R][batch][L + 1]
// (context, query, next); Z [R][rows.rows][M], only the rows that can be queries; outputs uniqueIds and uniqueVn
// [R][batch][L − 1] (entries past uniqueCount are 0 here; the kernel leaves them as they were), uniqueCount
// [R][batch], vnDense [R][batch][M].
import type { ScanSnapRows, ScanSnapShape, ScanSnapSlots } from '../kernels/scansnapLayout';

export function scansnapAttentionReference(s: ScanSnapShape, rows: ScanSnapRows, tokens: ArrayLike<number>, Z: ArrayLike<number>) {
  const { M, L } = s;
  const sequences = s.replicas * s.batch;
  const uniqueIds = new Uint32Array(sequences * (L - 1));
  const uniqueVn = new Float64Array(sequences * (L - 1));
  const uniqueCount = new Uint32Array(sequences);
  const vnDense = new Float64Array(sequences * M);
  for (let seq = 0; seq < sequences; seq++) {
    const r = Math.floor(seq / s.batch);
    const context = Array.from({ length: L - 1 }, (_, t) => tokens[seq * (L + 1) + t]);
    const zRow = (r * rows.rows + tokens[seq * (L + 1) + L - 1] - rows.rowBase) * M;
    const scores = context.map((x) => Z[zRow + x]);
    const top = Math.max(...scores);
    const e = scores.map((v) => Math.exp(v - top));
    const total = e.reduce((a, v) => a + v, 0);
    const v = new Float64Array(M);
    context.forEach((x, t) => (v[x] += e[t] / total));
    const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    for (let k = 0; k < M; k++) vnDense[seq * M + k] = v[k] / norm;
    const distinct = [...new Set(context)];
    uniqueCount[seq] = distinct.length;
    distinct.forEach((k, j) => {
      uniqueIds[seq * (L - 1) + j] = k;
      uniqueVn[seq * (L - 1) + j] = vnDense[seq * M + k];
    });
  }
  return { uniqueIds, uniqueVn, uniqueCount, vnDense };
}

/**
 * The `slots` entry: the same vn, as slot lists (ScanSnapSlots): every sequence's list is its next token's
 * numCommon + distinctPerNext allowed tokens in ascending order, vn 0 where the context lacks one, count = that
 * many. Throws if a context token is not allowed (the batch is not drawn from the layout).
 */
export function scansnapAttentionSlotsReference(s: ScanSnapShape, rows: ScanSnapRows, slots: ScanSnapSlots, tokens: ArrayLike<number>, Z: ArrayLike<number>) {
  const { vnDense } = scansnapAttentionReference(s, rows, tokens, Z);
  const CTX = s.L - 1;
  const S = slots.numCommon + slots.distinctPerNext;
  const sequences = s.replicas * s.batch;
  const uniqueIds = new Uint32Array(sequences * CTX);
  const uniqueVn = new Float64Array(sequences * CTX);
  const uniqueCount = new Uint32Array(sequences).fill(S);
  for (let seq = 0; seq < sequences; seq++) {
    const n = tokens[seq * (s.L + 1) + s.L] - slots.nextBase;
    const allowed = Array.from({ length: S }, (_, j) => (j < slots.numCommon ? j : slots.numCommon + n * slots.distinctPerNext + j - slots.numCommon));
    for (let t = 0; t < CTX; t++) {
      const k = tokens[seq * (s.L + 1) + t];
      if (!allowed.includes(k)) throw new Error(`sequence ${seq}: context token ${k} is not one of next token ${n}'s allowed tokens`);
    }
    allowed.forEach((k, j) => {
      uniqueIds[seq * CTX + j] = k;
      uniqueVn[seq * CTX + j] = vnDense[seq * s.M + k];
    });
  }
  return { uniqueIds, uniqueVn, uniqueCount };
}
