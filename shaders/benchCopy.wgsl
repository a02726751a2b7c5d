// Bandwidth probe for the bench: dst = src in vec4s, a grid-stride loop so any size fits the dispatch limits.
// Every byte is read once and written once: bytes moved = 2 * size.

override VECS: u32;   // vec4 elements to copy
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < VECS; i += groups.x * WG) { dst[i] = src[i]; }
}
