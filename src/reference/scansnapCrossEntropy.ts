// float64 reference for shaders/scansnapCrossEntropy.wgsl, per sequence: logit_l = Σ_k vn_k Y[k][l] over the
// listed distinct context tokens k, loss = logsumexp(logit) − logit_next, dLogit = (softmax(logit) − e_next) / batch.
// Layouts as the kernel's, with rows M long (the GPU pads them to paddedRow(M) with zeros): tokens [R][batch][L + 1],
// Y [R][M][M], the lists uniqueIds / uniqueVn [R][batch][L − 1] and uniqueCount [R][batch] that scansnapAttention
// writes (entries past the count are not read); outputs loss [R][batch], dLogit [R][batch][M].
import type { ScanSnapShape } from '../kernels/scansnapLayout';

export function scansnapCrossEntropyReference(
  s: ScanSnapShape,
  tokens: ArrayLike<number>,
  Y: ArrayLike<number>,
  uniqueIds: ArrayLike<number>,
  uniqueVn: ArrayLike<number>,
  uniqueCount: ArrayLike<number>,
) {
  const { M, L } = s;
  const sequences = s.replicas * s.batch;
  const loss = new Float64Array(sequences);
  const dLogit = new Float64Array(sequences * M);
  for (let seq = 0; seq < sequences; seq++) {
    const r = Math.floor(seq / s.batch);
    const next = tokens[seq * (L + 1) + L];
    const logit = new Float64Array(M);
    for (let j = 0; j < uniqueCount[seq]; j++) {
      const k = uniqueIds[seq * (L - 1) + j];
      for (let l = 0; l < M; l++) logit[l] += uniqueVn[seq * (L - 1) + j] * Y[(r * M + k) * M + l];
    }
    const top = Math.max(...logit);
    const total = logit.reduce((a, x) => a + Math.exp(x - top), 0);
    loss[seq] = top + Math.log(total) - logit[next];
    for (let l = 0; l < M; l++) dLogit[seq * M + l] = (Math.exp(logit[l] - top) / total - (l === next ? 1 : 0)) / s.batch;
  }
  return { loss, dLogit };
}
