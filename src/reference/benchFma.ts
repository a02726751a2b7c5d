// float64 reference for shaders/benchFma.wgsl, with the shader's f32 constants: out [threads][4 lanes].

/** float64 evaluation of benchFma's eight chains per thread: a <- a m + c, ITERATIONS times, then the sum. */
export function benchFmaReference(threads: number, iterations: number): Float64Array {
  const m = [0.999, 0.9991, 0.9992, 0.9993].map(Math.fround);
  const c = [1e-3, 2e-3, 3e-3, 4e-3].map(Math.fround);
  const out = new Float64Array(4 * threads);
  for (let t = 0; t < threads; t++) {
    const seed = Math.fround(Math.fround(t) * Math.fround(1e-6));
    for (let lane = 0; lane < 4; lane++) {
      let sum = 0;
      for (let chain = 0; chain < 8; chain++) {
        let a = seed + Math.fround(0.1 * lane) + chain;
        for (let i = 0; i < iterations; i++) a = a * m[lane] + c[lane];
        sum += a;
      }
      out[4 * t + lane] = sum;
    }
  }
  return out;
}
