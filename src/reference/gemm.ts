// float64 reference for shaders/gemm.wgsl, written from the definition (triple loop), not from the shader.
// With batch strides (a tensor inside a parameter slab) C spans (batch − 1)·strideC + M·N floats; elements
// between the matrices are C0's (NaN without C0: the kernel must not write them).
import { gemmStrides, type GemmShape } from '../kernels/gemm';

export function gemmReference(s: GemmShape, A: ArrayLike<number>, B: ArrayLike<number>, C0?: ArrayLike<number>): Float64Array {
  const { batch, M, N, K } = s;
  const alpha = s.alpha ?? 1;
  const beta = s.beta ?? 0;
  const stride = gemmStrides(s);
  const C = new Float64Array((batch - 1) * stride.C + M * N).fill(NaN);
  if (C0) C.set(Array.from(C0).slice(0, C.length));
  for (let b = 0; b < batch; b++) {
    const a0 = b * stride.A;
    const b0 = b * stride.B;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const a = s.transA ? A[a0 + k * M + i] : A[a0 + i * K + k];
          const bb = s.transB ? B[b0 + j * K + k] : B[b0 + k * N + j];
          sum += a * bb;
        }
        const idx = b * stride.C + i * N + j;
        C[idx] = alpha * sum + (beta !== 0 ? beta * (C0 ? C0[idx] : 0) : 0);
      }
    }
  }
  return C;
}
