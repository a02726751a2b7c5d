// float64 reference for shaders/iclAttentionBackward.wgsl. Layouts as the kernel's: contexts [R][prompts][N][d],
// attn [R][prompts][N], pooledGrad (dL/dpbar) [R][prompts][d]; output keyQueryGrad [R][prompts][d].
import type { IclAttentionShape } from '../kernels/iclAttentionForward';

/** dkeyQuery = Σ_i ds_i p_i with g_i = dpbar · p_i and ds_i = attn_i (g_i − Σ_j attn_j g_j). */
export function iclAttentionBackwardReference(s: IclAttentionShape, contexts: ArrayLike<number>, attn: ArrayLike<number>, pooledGrad: ArrayLike<number>): Float64Array {
  const { N, d } = s;
  const prompts = s.replicas * s.prompts;
  const keyQueryGrad = new Float64Array(prompts * d);
  for (let b = 0; b < prompts; b++) {
    const g = Array.from({ length: N }, (_, i) => {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += pooledGrad[b * d + k] * contexts[(b * N + i) * d + k];
      return sum;
    });
    let mean = 0;
    for (let i = 0; i < N; i++) mean += attn[b * N + i] * g[i];
    for (let i = 0; i < N; i++) {
      const ds = attn[b * N + i] * (g[i] - mean);
      for (let k = 0; k < d; k++) keyQueryGrad[b * d + k] += ds * contexts[(b * N + i) * d + k];
    }
  }
  return keyQueryGrad;
}
