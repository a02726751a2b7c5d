// float64 reference for shaders/scansnapGradY.wgsl: dY[r][k][l] = Σ_b vn_b[k] dLogit_b[l] over replica r's batch.
// Layouts as the kernel's, with rows M long (the GPU pads them to paddedRow(M) with zeros): vnDense and dLogit
// [R][batch][M]; output dY [R][M][M].
import type { ScanSnapShape } from '../kernels/scansnapLayout';

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
