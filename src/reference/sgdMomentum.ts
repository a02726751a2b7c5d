// float64 reference for shaders/sgdMomentum.wgsl over [replicas][size], learning rate and momentum per replica.

/** PyTorch SGD with momentum: buf = mu buf + g (buf = g on the first step), p -= lr buf. */
export function sgdMomentumReference(
  size: number,
  param: ArrayLike<number>,
  grad: ArrayLike<number>,
  velocity: ArrayLike<number> | null,
  lr: ArrayLike<number>,
  momentum: ArrayLike<number>,
): { param: Float64Array; velocity: Float64Array } {
  const p = Float64Array.from(param);
  const v = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const r = Math.floor(i / size);
    v[i] = velocity === null ? grad[i] : momentum[r] * velocity[i] + grad[i];
    p[i] -= lr[r] * v[i];
  }
  return { param: p, velocity: v };
}
