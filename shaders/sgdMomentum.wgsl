// SGD with momentum, PyTorch semantics: buf = mu * buf + g; param -= lr * buf. With buf starting at zero the
// first step gives buf = g exactly, as PyTorch's first-step `buf = g.clone()` does.
// lr and mu are per replica so that one dispatch serves a whole learning-rate sweep.

override SIZE: u32;
override WG: u32 = 256u;
// Four consecutive elements per thread and loop step (SIZE a multiple of 4): fewer loop steps and index
// computations per element, what a CPU adapter wants; the arithmetic per element is the same.
override FOUR_PER_THREAD: bool = false;

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> velocity: array<f32>;
@group(0) @binding(3) var<storage, read> lr: array<f32>;        // [REPLICAS]
@group(0) @binding(4) var<storage, read> momentum: array<f32>;  // [REPLICAS]

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let rate = lr[r];
  let mu = momentum[r];
  if (FOUR_PER_THREAD) {
    for (var i = 4u * gid.x; i < SIZE; i += 4u * groups.x * WG) {
      let k = r * SIZE + i;
      let v = vec4<f32>(mu) * vec4<f32>(velocity[k], velocity[k + 1u], velocity[k + 2u], velocity[k + 3u]) +
        vec4<f32>(grad[k], grad[k + 1u], grad[k + 2u], grad[k + 3u]);
      let p = vec4<f32>(param[k], param[k + 1u], param[k + 2u], param[k + 3u]) - vec4<f32>(rate) * v;
      velocity[k] = v.x;
      velocity[k + 1u] = v.y;
      velocity[k + 2u] = v.z;
      velocity[k + 3u] = v.w;
      param[k] = p.x;
      param[k + 1u] = p.y;
      param[k + 2u] = p.z;
      param[k + 3u] = p.w;
    }
    return;
  }
  for (var i = gid.x; i < SIZE; i += groups.x * WG) {
    let k = r * SIZE + i;
    let v = mu * velocity[k] + grad[k];
    velocity[k] = v;
    param[k] = param[k] - rate * v;
  }
}
