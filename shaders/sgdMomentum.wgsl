// SGD with momentum, PyTorch semantics: buf = mu * buf + g; param -= lr * buf. With buf starting at zero the
// first step gives buf = g exactly, as PyTorch's first-step `buf = g.clone()` does.
// lr and mu are per replica so that one dispatch serves a whole learning-rate sweep.

override SIZE: u32;
override WG: u32 = 256u;

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
  for (var i = gid.x; i < SIZE; i += groups.x * WG) {
    let k = r * SIZE + i;
    let v = mu * velocity[k] + grad[k];
    velocity[k] = v;
    param[k] = param[k] - rate * v;
  }
}
