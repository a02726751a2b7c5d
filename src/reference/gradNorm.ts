// float64 reference for shaders/gradNorm.wgsl: per-replica L2 norm of a slab and torch.nn.utils.clip_grad_norm_'s
// scale, written from the definitions.
import type { GradNormShape } from '../kernels/gradNorm';

/** norm[r] = sqrt(Σ_{i < size} x[r·stride + i]²). */
export function gradNormReference(s: GradNormShape, x: ArrayLike<number>): Float64Array {
  const stride = s.stride ?? s.size;
  const norm = new Float64Array(s.replicas);
  for (let r = 0; r < s.replicas; r++) {
    let sum = 0;
    for (let i = 0; i < s.size; i++) sum += x[r * stride + i] ** 2;
    norm[r] = Math.sqrt(sum);
  }
  return norm;
}

/** scale[r] = min(1, clip[r] / (norm[r] + 1e-6)) as clip_grad_norm_ applies it; 1 where clip[r] = 0 (no clipping). */
export function clipScaleReference(norm: ArrayLike<number>, clip: ArrayLike<number>): Float64Array {
  return Float64Array.from(norm, (n, r) => (clip[r] === 0 ? 1 : Math.min(1, clip[r] / (n + 1e-6))));
}
