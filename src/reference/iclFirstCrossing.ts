// float64 reference for shaders/iclFirstCrossing.wgsl: for each replica r that has not crossed (firstStep[r] < 0),
// firstStep[r] = step when Σ errors / prompts (evalStats[r][1] / evalStats[r][3]) < threshold; a crossed replica
// keeps its step. The threshold is the f32 the shader holds.
import type { IclFirstCrossingShape } from '../kernels/iclFirstCrossing';

export function iclFirstCrossingReference(s: IclFirstCrossingShape, step: number, evalStats: ArrayLike<number>, firstStep: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(firstStep);
  const threshold = Math.fround(s.threshold);
  for (let r = 0; r < s.replicas; r++) {
    if (out[r] >= 0) continue;
    const error = evalStats[4 * r + 1] / evalStats[4 * r + 3];
    if (error < threshold) out[r] = step;
  }
  return out;
}
