// float64 reference for shaders/scansnapGradZ.wgsl: dZ[r][i][k] = Σ_{b: query_b = i} queryRowGrad_b[k] for the rows
// i = rows.rowBase .. rows.rowBase + rows.rows − 1 of Z held on the GPU.
// Layouts as the kernel's, with rows M long (the GPU pads them to paddedRow(M) with zeros): tokens [R][batch][L + 1]
// (the query at L − 1), queryRowGrad [R][batch][M]; output dZ [R][rows.rows][M].
import type { ScanSnapRows, ScanSnapShape } from '../kernels/scansnapLayout';

export function scansnapGradZReference(s: ScanSnapShape, rows: ScanSnapRows, tokens: ArrayLike<number>, queryRowGrad: ArrayLike<number>): Float64Array {
  const { M, L } = s;
  const dZ = new Float64Array(s.replicas * rows.rows * M);
  for (let seq = 0; seq < s.replicas * s.batch; seq++) {
    const r = Math.floor(seq / s.batch);
    const out = (r * rows.rows + tokens[seq * (L + 1) + L - 1] - rows.rowBase) * M;
    for (let k = 0; k < M; k++) dZ[out + k] += queryRowGrad[seq * M + k];
  }
  return dZ;
}
