// The counter hash's own kernel. The hash itself lives in shaders/lib/counterHash.wgsl and is spliced into every
// kernel that draws (the batch generators, dropout, attention's dropout, tokenWindows); this kernel runs it alone,
// so that it is tested against its reference at the edges of u32 arithmetic and benched as draws per second.
//   draws:       out[k * SLOTS + s] = draw(keys[k], s)        for COUNT keys and SLOTS draws each
//   dropoutKeys: out[k] = dropoutKey(seed, step, layer, site) for COUNT (seed, step, layer, site) tuples

// #include "lib/counterHash.wgsl"

override COUNT: u32;
override SLOTS: u32 = 1u;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> keys: array<u32>;               // [COUNT]
@group(0) @binding(1) var<storage, read> tuples: array<vec4<u32>>;       // [COUNT]: (seed, step, layer, site)
@group(0) @binding(2) var<storage, read_write> out: array<u32>;          // [COUNT * SLOTS] or [COUNT]

// Grid: one dimension; threads stride over the keys, each writing its key's SLOTS draws (as a generator draws
// several values per token), with no division per output.
@compute @workgroup_size(WG)
fn draws(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var k = gid.x; k < COUNT; k += groups.x * WG) {
    let key = keys[k];
    for (var s = 0u; s < SLOTS; s++) {
      out[k * SLOTS + s] = draw(key, s);
    }
  }
}

@compute @workgroup_size(WG)
fn dropoutKeys(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < COUNT; i += groups.x * WG) {
    let t = tuples[i];
    out[i] = dropoutKey(t.x, t.y, t.z, t.w);
  }
}
