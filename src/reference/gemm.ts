// float64 reference for shaders/gemm.wgsl, written from the definition (triple loop), not from the shader.
import type { GemmShape } from '../kernels/gemm';

export function gemmReference(s: GemmShape, A: ArrayLike<number>, B: ArrayLike<number>, C0?: ArrayLike<number>): Float64Array {
  const { batch, M, N, K } = s;
  const alpha = s.alpha ?? 1;
  const beta = s.beta ?? 0;
  const C = new Float64Array(batch * M * N);
  for (let b = 0; b < batch; b++) {
    const a0 = s.shareA ? 0 : b * M * K;
    const b0 = s.shareB ? 0 : b * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const a = s.transA ? A[a0 + k * M + i] : A[a0 + i * K + k];
          const bb = s.transB ? B[b0 + j * K + k] : B[b0 + k * N + j];
          sum += a * bb;
        }
        const idx = b * M * N + i * N + j;
        C[idx] = alpha * sum + (beta !== 0 ? beta * (C0 ? C0[idx] : 0) : 0);
      }
    }
  }
  return C;
}
