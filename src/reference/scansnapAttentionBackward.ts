// float64 reference for shaders/scansnapAttentionBackward.wgsl: dLogit back to the query row of Z, per sequence.
// dvn = Y dLogit; through vn = v / ‖v‖, dv = (I − vn vnᵀ) dvn / ‖v‖; through v = Σ_t b_t e_{x_t} and b = softmax(s),
// s_t = Z[query][x_t], the query row gets dZ_k = Σ_{t: x_t = k} b_t (dv_{x_t} − Σ_u b_u dv_{x_u}). The lists give vn
// only, not ‖v‖ or b; the sums over positions of token k are v_k = ‖v‖ vn_k, and v · dv = 0, so
// dZ_k = vn_k (dvn_k − vn_k (vn · dvn)) for the listed tokens k, 0 elsewhere (tests/kernels/scansnapKernels.test.ts
// checks this against the SPEC chain rule of src/reference/scansnap.ts).
// Layouts as the kernel's, with rows M long (the GPU pads them to paddedRow(M) with zeros): Y [R][M][M], dLogit
// [R][batch][M], the lists uniqueIds / uniqueVn [R][batch][L − 1] and uniqueCount [R][batch]; output
// queryRowGrad [R][batch][M].
import type { ScanSnapShape } from '../kernels/scansnapLayout';

export function scansnapAttentionBackwardReference(
  s: ScanSnapShape,
  Y: ArrayLike<number>,
  dLogit: ArrayLike<number>,
  uniqueIds: ArrayLike<number>,
  uniqueVn: ArrayLike<number>,
  uniqueCount: ArrayLike<number>,
): Float64Array {
  const { M, L } = s;
  const sequences = s.replicas * s.batch;
  const queryRowGrad = new Float64Array(sequences * M);
  for (let seq = 0; seq < sequences; seq++) {
    const r = Math.floor(seq / s.batch);
    const listed = Array.from({ length: uniqueCount[seq] }, (_, j) => ({ k: uniqueIds[seq * (L - 1) + j], vn: uniqueVn[seq * (L - 1) + j] }));
    const dVn = listed.map(({ k }) => {
      let sum = 0;
      for (let l = 0; l < M; l++) sum += Y[(r * M + k) * M + l] * dLogit[seq * M + l];
      return sum;
    });
    const vnDotDVn = listed.reduce((a, { vn }, j) => a + vn * dVn[j], 0);
    listed.forEach(({ k, vn }, j) => (queryRowGrad[seq * M + k] = vn * (dVn[j] - vn * vnDotDVn)));
  }
  return queryRowGrad;
}
