// float64 reference for shaders/gemm.wgsl, written from the definition (triple loop), not from the shader.
// With batch strides (a tensor inside a parameter slab) C spans (batch − 1)·strideC + M·N floats; elements
// between the matrices are C0's (NaN without C0: the kernel must not write them).
import { dropoutKeep, dropoutKey, dropoutThreshold } from '../util/random';
import { gemmStrides, type GemmActivation, type GemmActivationGradShape, type GemmBiasShape, type GemmShape } from '../kernels/gemm';
import { gelu, geluGrad } from '../util/special';

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

/**
 * gemmBias: C = act(alpha·AB + bias) + beta·C0 and, with an activation, pre = alpha·AB + bias (C's layout; gaps
 * NaN). act is relu (max(z, 0)) or exact GELU from src/util/special.ts.
 */
export function gemmBiasReference(
  s: GemmBiasShape, A: ArrayLike<number>, B: ArrayLike<number>, bias: ArrayLike<number>, C0?: ArrayLike<number>,
): { C: Float64Array; pre: Float64Array } {
  const C = gemmReference({ ...s, beta: 0 }, A, B, C0); // alpha·AB, and C0's values (or NaN) between matrices
  const beta = s.beta ?? 0;
  const pre = new Float64Array(C.length).fill(NaN);
  const strideC = gemmStrides(s).C;
  const strideBias = s.strideBias ?? s.N;
  for (let b = 0; b < s.batch; b++) {
    for (let i = 0; i < s.M; i++) {
      for (let j = 0; j < s.N; j++) {
        const idx = b * strideC + i * s.N + j;
        const z = C[idx] + bias[b * strideBias + j];
        pre[idx] = z;
        C[idx] = activation(s.activation ?? 'none', z) + (beta !== 0 ? beta * C0![idx] : 0);
      }
    }
  }
  return { C, pre };
}

/** gemmActivationGrad: C = (alpha·AB) ∘ act'(pre), with ReLU'(0) = 0 and GELU' from src/util/special.ts. */
export function gemmActivationGradReference(
  s: GemmActivationGradShape, A: ArrayLike<number>, B: ArrayLike<number>, pre: ArrayLike<number>, C0?: ArrayLike<number>,
  /** With s.dropout: the seed of each batch entry and the step. */
  seeds?: ArrayLike<number>, step?: number,
): Float64Array {
  const C = gemmReference(s, A, B, C0);
  const strideC = gemmStrides(s).C;
  const drop = s.dropout;
  for (let b = 0; b < s.batch; b++) {
    const key = drop ? dropoutKey(seeds![b], step!, drop.layer, drop.site) : 0;
    for (let i = 0; i < s.M * s.N; i++) {
      const kept = drop ? (dropoutKeep(key, i, dropoutThreshold(drop.p)) ? 1 / (1 - drop.p) : 0) : 1;
      C[b * strideC + i] *= kept * activationDerivative(s.activation, pre[b * strideC + i]);
    }
  }
  return C;
}

export function activation(kind: 'none' | GemmActivation, z: number): number {
  if (kind === 'relu') return Math.max(z, 0);
  if (kind === 'gelu') return gelu(z);
  return z;
}

export function activationDerivative(kind: GemmActivation, z: number): number {
  return kind === 'relu' ? (z > 0 ? 1 : 0) : geluGrad(z);
}
