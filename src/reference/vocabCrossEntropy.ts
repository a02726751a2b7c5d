// float64 reference for the chunked LM head (shaders/vocabCrossEntropy.wgsl with src/kernels/vocabCrossEntropy.ts):
// the plain full-V softmax cross-entropy of SPEC §4, logits = x W_decᵀ + b_dec, loss = mean over the B·T positions
// of −log softmax(logits)[next token], and its gradients. No chunks here: the GPU's chunking must not show.
import type { VocabHeadShape } from '../kernels/vocabCrossEntropy';

export interface VocabCrossEntropyResult {
  /** [R][B][T] */
  rowLoss: Float64Array;
  /** [R] */
  loss: Float64Array;
  /** [R][B][T][dModel] */
  dx: Float64Array;
  /** The gradient slab [R][P]: NaN except the decoder's and b_dec's regions. */
  grads: Float64Array;
}

export function vocabCrossEntropyReference(
  s: VocabHeadShape,
  x: ArrayLike<number>,
  tokens: ArrayLike<number>,
  params: ArrayLike<number>,
): VocabCrossEntropyResult {
  const { replicas: R, batch: B, T, dModel: D, V, slabSize: P } = s;
  const N = B * T;
  const rowLoss = new Float64Array(R * N);
  const loss = new Float64Array(R);
  const dx = new Float64Array(R * N * D);
  const grads = new Float64Array(R * P).fill(NaN);
  const logits = new Float64Array(V);
  for (let r = 0; r < R; r++) {
    const W = (v: number, c: number) => params[r * P + s.decoderOffset + v * D + c];
    const dW = new Float64Array(V * D);
    const db = new Float64Array(V);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const row = r * N + b * T + t;
        const target = tokens[(r * B + b) * (T + 1) + t + 1];
        let max = -Infinity;
        for (let v = 0; v < V; v++) {
          let l = params[r * P + s.biasOffset + v];
          for (let c = 0; c < D; c++) l += x[row * D + c] * W(v, c);
          logits[v] = l;
          max = Math.max(max, l);
        }
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(logits[v] - max);
        const lse = max + Math.log(sum);
        rowLoss[row] = lse - logits[target];
        loss[r] += rowLoss[row] / N;
        for (let v = 0; v < V; v++) {
          const dl = (Math.exp(logits[v] - lse) - (v === target ? 1 : 0)) / N;
          db[v] += dl;
          for (let c = 0; c < D; c++) {
            dx[row * D + c] += dl * W(v, c);
            dW[v * D + c] += dl * x[row * D + c];
          }
        }
      }
    }
    for (let i = 0; i < V * D; i++) grads[r * P + s.decoderOffset + i] = dW[i];
    for (let v = 0; v < V; v++) grads[r * P + s.biasOffset + v] = db[v];
  }
  return { rowLoss, loss, dx, grads };
}
