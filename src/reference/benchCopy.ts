// Reference for shaders/benchCopy.wgsl: dst = src, every one of its VECS vec4s, bit for bit (a copy does no
// arithmetic, so the reference is the bytes themselves rather than float64 values).

export function benchCopyReference(src: Float32Array): Float32Array {
  return src.slice();
}
