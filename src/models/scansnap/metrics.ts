// Attention metrics of SPEC §2 from the query rows of Z (float64 on the host; Z is read back only at metric
// points): c_{l|n} ∝ P(l|n) exp(Z[ψ(n)][l]) over n's allowed tokens, the entropy of c_n restricted to n's
// distinct tokens (renormalised), the distinct/common split, and Z[ψ(n)][l] trajectories.
import type { TokenLayout } from './data';

export interface NextTokenAttention {
  /** Allowed token ids (common first, then n's distinct tokens, rarest first). */
  tokens: number[];
  c: Float64Array;
  z: Float64Array;
  distinctEntropy: number;
  distinctMass: number;
}

/** `zRow(l)` is Z[ψ(n)][l]. */
export function nextTokenAttention(layout: TokenLayout, n: number, zRow: (l: number) => number): NextTokenAttention {
  const tokens = layout.allowed(n);
  const p = layout.probabilities(n);
  const z = Float64Array.from(tokens, zRow);
  const logits = Float64Array.from(tokens, (_, i) => Math.log(p[i]) + z[i]);
  const max = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - max));
  const total = e.reduce((a, b) => a + b, 0);
  const c = e.map((x) => x / total);
  const distinct = c.subarray(layout.numCommon);
  const distinctMass = distinct.reduce((a, b) => a + b, 0);
  let distinctEntropy = 0;
  for (const x of distinct) if (x > 0) distinctEntropy -= (x / distinctMass) * Math.log(x / distinctMass);
  return { tokens, c, z, distinctEntropy, distinctMass };
}

/**
 * Named metrics of one replica. `queryRows` holds Z's query rows, [numQuery][rowStride ≥ M]. Names: entropy, distinctMass,
 * commonMass (means over next tokens), entropy.n<n>, distinctMass.n<n>, and for n < trackNext c.n<n>.t<id>
 * and z.n<n>.t<id> per allowed token id.
 */
export function attentionMetrics(layout: TokenLayout, queryRows: ArrayLike<number>, trackNext: number, rowStride = layout.M): Record<string, number> {
  const out: Record<string, number> = {};
  let entropy = 0;
  let distinctMass = 0;
  for (let n = 0; n < layout.K; n++) {
    const row = (layout.queryOf(n) - layout.queryBase) * rowStride;
    const a = nextTokenAttention(layout, n, (l) => queryRows[row + l]);
    entropy += a.distinctEntropy / layout.K;
    distinctMass += a.distinctMass / layout.K;
    out[`entropy.n${n}`] = a.distinctEntropy;
    out[`distinctMass.n${n}`] = a.distinctMass;
    if (n < trackNext) {
      a.tokens.forEach((id, i) => {
        out[`c.n${n}.t${id}`] = a.c[i];
        out[`z.n${n}.t${id}`] = a.z[i];
      });
    }
  }
  return { entropy, distinctMass, commonMass: 1 - distinctMass, ...out };
}
