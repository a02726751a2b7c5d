// float64 reference for shaders/iclAttentionForward.wgsl. Layouts as the kernel's: contexts [R][prompts][N][d],
// keyQuery [R][prompts][d], compact columns [R][prompts][N + 1][4 words] (word 0: relevant pattern index);
// outputs attn [R][prompts][N], pooled [R][prompts][d], samePatternMass [R][prompts].
import type { IclAttentionShape } from '../kernels/iclAttentionForward';

/** attn = softmax_i(p_i · keyQuery), pbar = Σ attn_i p_i, and the attention mass on contexts sharing the query's pattern. */
export function iclAttentionForwardReference(s: IclAttentionShape, contexts: ArrayLike<number>, keyQuery: ArrayLike<number>, columns: Uint32Array) {
  const { N, d } = s;
  const prompts = s.replicas * s.prompts;
  const attn = new Float64Array(prompts * N);
  const pooled = new Float64Array(prompts * d);
  const samePatternMass = new Float64Array(prompts);
  for (let b = 0; b < prompts; b++) {
    const scores = Array.from({ length: N }, (_, i) => {
      let sum = 0;
      for (let k = 0; k < d; k++) sum += contexts[(b * N + i) * d + k] * keyQuery[b * d + k];
      return sum;
    });
    const top = Math.max(...scores);
    const e = scores.map((v) => Math.exp(v - top));
    const total = e.reduce((x, y) => x + y, 0);
    const queryPattern = columns[(b * (N + 1) + N) * 4];
    for (let i = 0; i < N; i++) {
      const a = e[i] / total;
      attn[b * N + i] = a;
      for (let k = 0; k < d; k++) pooled[b * d + k] += a * contexts[(b * N + i) * d + k];
      if (columns[(b * (N + 1) + i) * 4] === queryPattern) samePatternMass[b] += a;
    }
  }
  return { attn, pooled, samePatternMass };
}
