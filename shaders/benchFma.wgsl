// Compute-bound probe for the bench: the adapter's peak f32 FMA rate. Each thread advances CHAINS independent
// vec4 FMA chains ITERATIONS times (8 x 4 = 32 independent FMAs in flight per thread hide FMA latency on
// GPUs and fill SIMD lanes on CPU adapters) and writes one vec4, so memory traffic is negligible.
// Starting values depend on the thread id and the result is stored, so no compiler can fold the loop away.
// Work per thread: ITERATIONS * 8 chains * 4 lanes * 2 flops.

override ITERATIONS: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let seed = f32(gid.x) * 1e-6;
  let m = vec4<f32>(0.999, 0.9991, 0.9992, 0.9993);
  let c = vec4<f32>(1e-3, 2e-3, 3e-3, 4e-3);
  var a0 = vec4<f32>(seed, seed + 0.1, seed + 0.2, seed + 0.3);
  var a1 = a0 + 1.0;
  var a2 = a0 + 2.0;
  var a3 = a0 + 3.0;
  var a4 = a0 + 4.0;
  var a5 = a0 + 5.0;
  var a6 = a0 + 6.0;
  var a7 = a0 + 7.0;
  for (var i = 0u; i < ITERATIONS; i++) {
    a0 = fma(a0, m, c);
    a1 = fma(a1, m, c);
    a2 = fma(a2, m, c);
    a3 = fma(a3, m, c);
    a4 = fma(a4, m, c);
    a5 = fma(a5, m, c);
    a6 = fma(a6, m, c);
    a7 = fma(a7, m, c);
  }
  out[gid.x] = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
}
