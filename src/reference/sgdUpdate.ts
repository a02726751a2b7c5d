// float64 reference for shaders/sgdUpdate.wgsl: param -= lr[r] · grad over [replicas][size], lr per replica.

export function sgdUpdateReference(size: number, param: ArrayLike<number>, grad: ArrayLike<number>, lr: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(param);
  for (let i = 0; i < out.length; i++) out[i] -= lr[Math.floor(i / size)] * grad[i];
  return out;
}
