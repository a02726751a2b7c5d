// float64 reference for shaders/iclMlpHinge.wgsl: the head F = Σ_j a_j ReLU(u_j) with the fixed a_j = ±1/m and
// the hinge loss max(0, 1 − z F). Layouts as the kernel's: u [chunks][R][prompts][m], z [chunks][R][prompts]
// (chunks = 1 for training); hingeTrain writes du [R][prompts][m] and trainStats [R][2], hingeEvaluate evalStats [R][4].
import type { IclMlpHingeShape } from '../kernels/iclMlpHinge';
import { outputWeight } from '../models/icl/shapes';

/** F = Σ_j a_j ReLU(u_j) of one row. */
export function iclHeadOutputReference(u: ArrayLike<number>, row: number, m: number): number {
  let F = 0;
  for (let j = 0; j < m; j++) F += outputWeight(j, m) * Math.max(0, u[row * m + j]);
  return F;
}

/** dL/du of the batch-mean hinge loss and per replica [mean loss, fraction with z F <= 0]. */
export function iclHingeTrainReference(s: IclMlpHingeShape, u: ArrayLike<number>, z: ArrayLike<number>) {
  const { replicas, prompts, m } = s;
  const mlpInputGrad = new Float64Array(replicas * prompts * m);
  const trainStats = new Float64Array(2 * replicas);
  for (let r = 0; r < replicas; r++) {
    for (let b = 0; b < prompts; b++) {
      const row = r * prompts + b;
      const F = iclHeadOutputReference(u, row, m);
      const margin = 1 - z[row] * F;
      const dF = margin > 0 ? -z[row] / prompts : 0;
      for (let j = 0; j < m; j++) mlpInputGrad[row * m + j] = u[row * m + j] > 0 ? dF * outputWeight(j, m) : 0;
      trainStats[2 * r] += Math.max(0, margin) / prompts;
      trainStats[2 * r + 1] += (z[row] * F > 0 ? 0 : 1) / prompts;
    }
  }
  return { mlpInputGrad, trainStats };
}

/** Per replica over the chunked test set ([chunks][R][prompts]), skipping z = 0: Σ loss, Σ errors, Σ mass, count. */
export function iclHingeEvaluateReference(s: IclMlpHingeShape, u: ArrayLike<number>, z: ArrayLike<number>, mass: ArrayLike<number>): Float64Array {
  const { replicas, prompts, m } = s;
  const stats = new Float64Array(4 * replicas);
  for (let chunk = 0; chunk < (s.chunks ?? 1); chunk++) {
    for (let r = 0; r < replicas; r++) {
      for (let b = 0; b < prompts; b++) {
        const row = (chunk * replicas + r) * prompts + b;
        if (z[row] === 0) continue;
        const F = iclHeadOutputReference(u, row, m);
        stats[4 * r] += Math.max(0, 1 - z[row] * F);
        stats[4 * r + 1] += z[row] * F > 0 ? 0 : 1;
        stats[4 * r + 2] += mass[row];
        stats[4 * r + 3] += 1;
      }
    }
  }
  return stats;
}
