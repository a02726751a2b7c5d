// float64 reference for shaders/scansnapGradY.wgsl: dY[r][k][l] = Σ_b vn_b[k] dLogit_b[l] over replica r's batch.
// Layouts as the kernel's, with rows M long (the GPU pads them to paddedRow(M) with zeros): vnDense and dLogit
// [R][batch][M]; output dY [R][M][M]. The slot entries take vn as slot lists (uniqueIds/uniqueVn [R][batch][L − 1],
// see scansnapAttentionSlotsReference) and compute the same dY.
import type { ScanSnapShape, ScanSnapSlots } from '../kernels/scansnapLayout';

export function scansnapGradYReference(s: ScanSnapShape, vnDense: ArrayLike<number>, dLogit: ArrayLike<number>): Float64Array {
  const { M } = s;
  const dY = new Float64Array(s.replicas * M * M);
  for (let seq = 0; seq < s.replicas * s.batch; seq++) {
    const r = Math.floor(seq / s.batch);
    for (let k = 0; k < M; k++) {
      for (let l = 0; l < M; l++) dY[(r * M + k) * M + l] += vnDense[seq * M + k] * dLogit[seq * M + l];
    }
  }
  return dY;
}

/** dY from slot lists: slot j of a sequence with next token nextBase + n is n's j-th allowed token. */
export function scansnapGradYSlotsReference(
  s: ScanSnapShape, slots: ScanSnapSlots, tokens: ArrayLike<number>, uniqueVn: ArrayLike<number>, dLogit: ArrayLike<number>,
): Float64Array {
  const CTX = s.L - 1;
  const vnDense = new Float64Array(s.replicas * s.batch * s.M);
  for (let seq = 0; seq < s.replicas * s.batch; seq++) {
    const n = tokens[seq * (s.L + 1) + s.L] - slots.nextBase;
    for (let j = 0; j < slots.numCommon + slots.distinctPerNext; j++) {
      const k = j < slots.numCommon ? j : slots.numCommon + n * slots.distinctPerNext + j - slots.numCommon;
      vnDense[seq * s.M + k] = uniqueVn[seq * CTX + j];
    }
  }
  return scansnapGradYReference(s, vnDense, dLogit);
}
