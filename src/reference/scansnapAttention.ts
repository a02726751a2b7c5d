// float64 reference for shaders/scansnapAttention.wgsl, per sequence: s_t = Z[query][x_t] over the L − 1 context
// tokens x_t, b = softmax(s), v = Σ_t b_t e_{x_t}, vn = v / ‖v‖; the nonzeros of vn as a list of the distinct
// context tokens in order of first occurrence, and vn dense.
// Layouts as the kernel's, with rows M long (the GPU pads them to paddedRow(M) with zeros): tokens [R][batch][L + 1]
// (context, query, next); Z [R][rows.rows][M], only the rows that can be queries; outputs uniqueIds and uniqueVn
// [R][batch][L − 1] (entries past uniqueCount are 0 here; the kernel leaves them as they were), uniqueCount
// [R][batch], vnDense [R][batch][M].
import type { ScanSnapRows, ScanSnapShape } from '../kernels/scansnapLayout';

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
