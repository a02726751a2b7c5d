// Plain SGD on one parameter tensor of R replicas: param[r][i] -= lr[r] * grad[r][i].
// Layout [REPLICAS][SIZE]; grid x strides over elements, grid y is the replica.

override SIZE: u32;       // elements per replica
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> lr: array<f32>;    // [REPLICAS]

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let rate = lr[r];
  for (var i = gid.x; i < SIZE; i += groups.x * WG) {
    let k = r * SIZE + i;
    param[k] = param[k] - rate * grad[k];
  }
}
