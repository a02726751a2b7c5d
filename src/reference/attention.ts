// float64 reference for shaders/attention.wgsl, written plainly from SPEC §4 with the layouts of
// docs/transformer.md: per sequence and head, S = Q Kᵀ/√dHead (causal: s > t masked), A = softmax_s(S),
// Ã = A ∘ keep/(1 − p) (dropout on the probabilities), O = Ã V; the backward differentiates exactly that,
// materialising S, A and dA (it never uses the kernel's delta = rowsum(dO ∘ O) shortcut).
import { dropoutKey, dropoutKeep, dropoutThreshold } from '../util/random';

export interface AttentionReferenceShape {
  replicas: number;
  batch: number;
  T: number;
  dModel: number;
  nHeads: number;
  causal: boolean;
}

/** A dropout mask on the probabilities: keep [R][B][nHeads][T][T] (1 kept, 0 dropped) and its p. */
export interface AttentionDropout {
  keep: Uint8Array;
  p: number;
}

/** The keep mask of docs/transformer.md (site 1, index ((b·nHeads + h)·T + t)·T + s, seed per replica). */
export function attentionKeepMask(s: AttentionReferenceShape, seeds: ArrayLike<number>, step: number, layer: number, p: number): Uint8Array {
  const keep = new Uint8Array(s.replicas * s.batch * s.nHeads * s.T * s.T);
  const threshold = dropoutThreshold(p);
  const perReplica = s.batch * s.nHeads * s.T * s.T;
  for (let r = 0; r < s.replicas; r++) {
    const key = dropoutKey(seeds[r], step, layer, 1);
    for (let index = 0; index < perReplica; index++) keep[r * perReplica + index] = dropoutKeep(key, index, threshold) ? 1 : 0;
  }
  return keep;
}

/** One sequence's head, T×dHead row-major: Q, K, V gathered from qkv, and the T×T dropout factors keep/(1 − p). */
interface Head {
  z: number;
  h: number;
  Q: Float64Array;
  K: Float64Array;
  V: Float64Array;
  drop: Float64Array;
}

/** Rows [T][dHead] of head h of sequence z in a tensor [Z][T][width], starting at column `column`. */
function gather(s: AttentionReferenceShape, x: ArrayLike<number>, width: number, z: number, column: number): Float64Array {
  const dHead = s.dModel / s.nHeads;
  const out = new Float64Array(s.T * dHead);
  for (let t = 0; t < s.T; t++) for (let d = 0; d < dHead; d++) out[t * dHead + d] = x[(z * s.T + t) * width + column + d];
  return out;
}

function scatter(s: AttentionReferenceShape, rows: Float64Array, out: Float64Array, width: number, z: number, column: number): void {
  const dHead = s.dModel / s.nHeads;
  for (let t = 0; t < s.T; t++) for (let d = 0; d < dHead; d++) out[(z * s.T + t) * width + column + d] = rows[t * dHead + d];
}

function forEachHead(s: AttentionReferenceShape, qkv: ArrayLike<number>, dropout: AttentionDropout | undefined, visit: (head: Head) => void): void {
  const dHead = s.dModel / s.nHeads;
  const { T } = s;
  for (let z = 0; z < s.replicas * s.batch; z++) {
    for (let h = 0; h < s.nHeads; h++) {
      const drop = new Float64Array(T * T).fill(1);
      if (dropout) for (let i = 0; i < T * T; i++) drop[i] = dropout.keep[(z * s.nHeads + h) * T * T + i] / (1 - dropout.p);
      const part = (p: number) => gather(s, qkv, 3 * s.dModel, z, p * s.dModel + h * dHead);
      visit({ z, h, Q: part(0), K: part(1), V: part(2), drop });
    }
  }
}

/** S and A of one head (T×T, row-major; masked entries of S are −∞ and of A exactly 0) and each row's logsumexp. */
function scoresAndProbabilities(s: AttentionReferenceShape, head: Head): { A: Float64Array; lse: Float64Array } {
  const { T } = s;
  const dHead = s.dModel / s.nHeads;
  const S = new Float64Array(T * T);
  const A = new Float64Array(T * T);
  const lse = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    for (let u = 0; u < T; u++) {
      if (s.causal && u > t) {
        S[t * T + u] = -Infinity;
        continue;
      }
      let dot = 0;
      for (let d = 0; d < dHead; d++) dot += head.Q[t * dHead + d] * head.K[u * dHead + d];
      S[t * T + u] = dot / Math.sqrt(dHead);
    }
    let max = -Infinity;
    for (let u = 0; u < T; u++) max = Math.max(max, S[t * T + u]);
    let sum = 0;
    for (let u = 0; u < T; u++) sum += Math.exp(S[t * T + u] - max);
    for (let u = 0; u < T; u++) A[t * T + u] = Math.exp(S[t * T + u] - max) / sum;
    lse[t] = max + Math.log(sum);
  }
  return { A, lse };
}

/** O_h = (A ∘ drop) V, T×dHead. */
function headOutput(s: AttentionReferenceShape, head: Head, A: Float64Array): Float64Array {
  const { T } = s;
  const dHead = s.dModel / s.nHeads;
  const o = new Float64Array(T * dHead);
  for (let t = 0; t < T; t++) {
    for (let u = 0; u < T; u++) {
      const weight = A[t * T + u] * head.drop[t * T + u];
      for (let d = 0; d < dHead; d++) o[t * dHead + d] += weight * head.V[u * dHead + d];
    }
  }
  return o;
}

/** Probabilities A [R][B][nHeads][T][T] (no dropout). */
export function attentionProbabilitiesReference(s: AttentionReferenceShape, qkv: ArrayLike<number>): Float64Array {
  const out = new Float64Array(s.replicas * s.batch * s.nHeads * s.T * s.T);
  forEachHead(s, qkv, undefined, (head) => out.set(scoresAndProbabilities(s, head).A, (head.z * s.nHeads + head.h) * s.T * s.T));
  return out;
}

/** O [R][B][T][dModel] and logsumexp_s S [R][B][nHeads][T]. */
export function attentionForwardReference(
  s: AttentionReferenceShape,
  qkv: ArrayLike<number>,
  dropout?: AttentionDropout,
): { o: Float64Array; lse: Float64Array } {
  const dHead = s.dModel / s.nHeads;
  const o = new Float64Array(s.replicas * s.batch * s.T * s.dModel);
  const lse = new Float64Array(s.replicas * s.batch * s.nHeads * s.T);
  forEachHead(s, qkv, dropout, (head) => {
    const { A, lse: rowLse } = scoresAndProbabilities(s, head);
    scatter(s, headOutput(s, head, A), o, s.dModel, head.z, head.h * dHead);
    lse.set(rowLse, (head.z * s.nHeads + head.h) * s.T);
  });
  return { o, lse };
}

/**
 * Gradients of L = Σ dO ∘ O with respect to qkv, in qkv's layout [R][B][T][3·dModel], and rowsum(dO ∘ O)
 * [R][B][nHeads][T] (what the kernel's backward calls delta), from the reference's own O. With Ã = A ∘ drop:
 *   dÃ = dO Vᵀ,  dV = Ãᵀ dO,  dA = dÃ ∘ drop,  dS[t][s] = A[t][s] (dA[t][s] − Σ_s' A[t][s'] dA[t][s']),
 *   dQ = dS K/√dHead,  dK = dSᵀ Q/√dHead.
 */
export function attentionBackwardReference(
  s: AttentionReferenceShape,
  qkv: ArrayLike<number>,
  dO: ArrayLike<number>,
  dropout?: AttentionDropout,
): { dQKV: Float64Array; delta: Float64Array } {
  const { T } = s;
  const dHead = s.dModel / s.nHeads;
  const scale = 1 / Math.sqrt(dHead);
  const dQKV = new Float64Array(s.replicas * s.batch * T * 3 * s.dModel);
  const delta = new Float64Array(s.replicas * s.batch * s.nHeads * T);
  forEachHead(s, qkv, dropout, (head) => {
    const { A } = scoresAndProbabilities(s, head);
    const o = headOutput(s, head, A);
    const gradOut = gather(s, dO, s.dModel, head.z, head.h * dHead);
    const dA = new Float64Array(T * T);
    for (let t = 0; t < T; t++) {
      for (let u = 0; u < T; u++) {
        let dDropped = 0;
        for (let d = 0; d < dHead; d++) dDropped += gradOut[t * dHead + d] * head.V[u * dHead + d];
        dA[t * T + u] = dDropped * head.drop[t * T + u];
      }
      let rowsum = 0;
      for (let d = 0; d < dHead; d++) rowsum += gradOut[t * dHead + d] * o[t * dHead + d];
      delta[(head.z * s.nHeads + head.h) * T + t] = rowsum;
    }
    const dS = new Float64Array(T * T);
    for (let t = 0; t < T; t++) {
      let dot = 0;
      for (let u = 0; u < T; u++) dot += A[t * T + u] * dA[t * T + u];
      for (let u = 0; u < T; u++) dS[t * T + u] = A[t * T + u] * (dA[t * T + u] - dot);
    }
    const dQ = new Float64Array(T * dHead);
    const dK = new Float64Array(T * dHead);
    const dV = new Float64Array(T * dHead);
    for (let t = 0; t < T; t++) {
      for (let u = 0; u < T; u++) {
        const ds = dS[t * T + u];
        const dropped = A[t * T + u] * head.drop[t * T + u];
        for (let d = 0; d < dHead; d++) {
          dQ[t * dHead + d] += ds * head.K[u * dHead + d] * scale;
          dK[u * dHead + d] += ds * head.Q[t * dHead + d] * scale;
          dV[u * dHead + d] += dropped * gradOut[t * dHead + d];
        }
      }
    }
    [dQ, dK, dV].forEach((g, part) => scatter(s, g, dQKV, 3 * s.dModel, head.z, part * s.dModel + head.h * dHead));
  });
  return { dQKV, delta };
}
