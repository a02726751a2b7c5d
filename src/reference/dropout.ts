// float64 reference for shaders/dropout.wgsl, from docs/transformer.md: the mask from src/util/random.ts
// (dropoutKey, dropoutKeep), kept elements scaled by 1 / (1 − p), dropped ones multiplied by 0 (so NaN stays NaN).
import { dropoutKey, dropoutKeep, dropoutThreshold } from '../util/random';
import type { DropoutShape } from '../kernels/dropout';

/** Whether each element of [replicas][size] is kept, 1 or 0. */
export function dropoutMaskReference(s: DropoutShape, seeds: ArrayLike<number>, step: number): Uint8Array {
  const mask = new Uint8Array(s.replicas * s.size);
  const threshold = dropoutThreshold(s.p);
  for (let r = 0; r < s.replicas; r++) {
    const key = dropoutKey(seeds[r], step, s.layer, s.site);
    for (let i = 0; i < s.size; i++) mask[r * s.size + i] = dropoutKeep(key, i, threshold) ? 1 : 0;
  }
  return mask;
}

export function dropoutReference(s: DropoutShape, x: ArrayLike<number>, seeds: ArrayLike<number>, step: number): Float64Array {
  const mask = dropoutMaskReference(s, seeds, step);
  return Float64Array.from(mask, (keep, i) => x[i] * (keep ? 1 / (1 - s.p) : 0));
}

/** applyResidual: residual + dropout(x). */
export function dropoutResidualReference(s: DropoutShape, x: ArrayLike<number>, residual: ArrayLike<number>, seeds: ArrayLike<number>, step: number): Float64Array {
  return dropoutReference(s, x, seeds, step).map((v, i) => residual[i] + v);
}
