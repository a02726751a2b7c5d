// float64 reference for shaders/hingeReadout.wgsl, written from SPEC §4's ICL head: F = w_out·x[query] + b_out
// (query = last position), loss = mean_b max(0, 1 − zF), and the gradients of that batch-mean loss.
import type { HingeReadoutShape } from '../kernels/hingeReadout';

export interface HingeReadoutResult {
  F: Float64Array;
  /** [R] */
  loss: Float64Array;
  /** [R][B][T][dModel] */
  dx: Float64Array;
  /** The gradient slab: grads0 (NaN where not given) with w_out's and b_out's gradients written. */
  grads: Float64Array;
}

export function hingeReadoutReference(
  s: HingeReadoutShape,
  x: ArrayLike<number>,
  z: ArrayLike<number>,
  params: ArrayLike<number>,
  grads0?: ArrayLike<number>,
): HingeReadoutResult {
  const { replicas: R, batch: B, T, dModel: D, slabSize: P } = s;
  const F = new Float64Array(R * B);
  const loss = new Float64Array(R);
  const dx = new Float64Array(R * B * T * D);
  const grads = new Float64Array(R * P).fill(NaN);
  if (grads0) grads.set(Array.from(grads0).slice(0, grads.length));
  for (let r = 0; r < R; r++) {
    const w = (c: number) => params[r * P + s.wOutOffset + c];
    const dw = new Float64Array(D);
    let db = 0;
    for (let b = 0; b < B; b++) {
      const p = r * B + b;
      const query = (p * T + T - 1) * D;
      let f = params[r * P + s.bOutOffset];
      for (let c = 0; c < D; c++) f += w(c) * x[query + c];
      F[p] = f;
      const margin = 1 - z[p] * f;
      loss[r] += Math.max(0, margin) / B;
      // The hinge's derivative at exactly margin 0 is 0 (SPEC §1).
      const dF = margin > 0 ? -z[p] / B : 0;
      for (let c = 0; c < D; c++) {
        dx[query + c] = dF * w(c);
        dw[c] += dF * x[query + c];
      }
      db += dF;
    }
    for (let c = 0; c < D; c++) grads[r * P + s.wOutOffset + c] = dw[c];
    grads[r * P + s.bOutOffset] = db;
  }
  return { F, loss, dx, grads };
}

/** Per replica over a test batch: sign errors (F = 0 wrong) and hinge sum; prompts with z = 0 are skipped. */
export function hingeEvaluateReference(s: HingeReadoutShape, x: ArrayLike<number>, z: ArrayLike<number>, params: ArrayLike<number>) {
  const { F } = hingeReadoutReference(s, x, z, params);
  const errors = new Float64Array(s.replicas);
  const hingeSum = new Float64Array(s.replicas);
  for (let p = 0; p < F.length; p++) {
    if (z[p] === 0) continue;
    const r = Math.floor(p / s.batch);
    if (Math.sign(F[p]) !== z[p]) errors[r]++;
    hingeSum[r] += Math.max(0, 1 - z[p] * F[p]);
  }
  return { F, errors, hingeSum };
}
