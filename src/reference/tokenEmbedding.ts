// float64 reference for shaders/tokenEmbedding.wgsl, from the definitions (SPEC §4, docs/transformer.md):
// x[r][b][t] = embed[tok]·scale, and for every vocabulary row v, dEmbed[v] = scale·Σ_{p: tok_p = v} dx[p] in
// increasing p (+ the existing value when accumulating). Tokens >= vocab give a zero row and no gradient.
import type { TokenEmbeddingShape } from '../kernels/tokenEmbedding';

function scaleOf(s: TokenEmbeddingShape): number {
  return s.scaleEmbed ? Math.sqrt(s.dModel) : 1;
}

/** The input token of replica r, sequence b, position t (tokens are [replicas][batch][tokenStride]). */
function tokenAt(s: TokenEmbeddingShape, tokens: ArrayLike<number>, r: number, b: number, t: number): number {
  return tokens[(r * s.batch + b) * (s.tokenStride ?? s.T + 1) + t];
}

export function tokenEmbeddingReference(s: TokenEmbeddingShape, tokens: ArrayLike<number>, embed: ArrayLike<number>): Float64Array {
  const D = s.dModel;
  const embedStride = s.embedStride ?? s.vocab * D;
  const x = new Float64Array(s.replicas * s.batch * s.T * D);
  for (let r = 0; r < s.replicas; r++) {
    for (let b = 0; b < s.batch; b++) {
      for (let t = 0; t < s.T; t++) {
        const token = tokenAt(s, tokens, r, b, t);
        if (token >= s.vocab) continue;
        for (let c = 0; c < D; c++) x[((r * s.batch + b) * s.T + t) * D + c] = embed[r * embedStride + token * D + c] * scaleOf(s);
      }
    }
  }
  return x;
}

/** Each replica's (token, position) pairs ordered by token, then position (what the backward's sort writes). */
export function tokenSortReference(s: TokenEmbeddingShape, tokens: ArrayLike<number>): Uint32Array {
  const pairs: number[] = [];
  for (let r = 0; r < s.replicas; r++) {
    const own: [number, number][] = [];
    for (let p = 0; p < s.batch * s.T; p++) own.push([tokenAt(s, tokens, r, Math.floor(p / s.T), p % s.T), p]);
    own.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const pair of own) pairs.push(...pair);
  }
  return Uint32Array.from(pairs);
}

/** dEmbed of every replica at embedStride; floats between replicas keep dEmbed0's values (NaN without it). */
export function tokenEmbeddingBackwardReference(s: TokenEmbeddingShape, tokens: ArrayLike<number>, dx: ArrayLike<number>, dEmbed0?: ArrayLike<number>): Float64Array {
  const D = s.dModel;
  const embedStride = s.embedStride ?? s.vocab * D;
  const dEmbed = new Float64Array((s.replicas - 1) * embedStride + s.vocab * D).fill(NaN);
  if (dEmbed0) dEmbed.set(Array.from(dEmbed0).slice(0, dEmbed.length));
  const positions = s.batch * s.T;
  for (let r = 0; r < s.replicas; r++) {
    for (let v = 0; v < s.vocab; v++) {
      const sum = new Float64Array(D);
      for (let p = 0; p < positions; p++) {
        if (tokenAt(s, tokens, r, Math.floor(p / s.T), p % s.T) !== v) continue;
        for (let c = 0; c < D; c++) sum[c] += dx[(r * positions + p) * D + c];
      }
      for (let c = 0; c < D; c++) {
        const at = r * embedStride + v * D + c;
        dEmbed[at] = scaleOf(s) * sum[c] + (s.accumulate ? dEmbed0![at] : 0);
      }
    }
  }
  return dEmbed;
}
