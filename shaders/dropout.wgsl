// Inverted dropout (docs/transformer.md, "Randomness"): y = x * keep / (1 - p) over a [REPLICAS][SIZE] tensor,
// where keep is a pure function of (seed of the replica, step, LAYER, SITE, element index), so the backward is
// this same op applied to dy (it redraws the identical mask instead of storing it), and a resumed run redraws
// the same masks. The step is read from the model's step counter on the GPU, so a recorded step plan replays
// with the right masks without the host writing anything per step. THRESHOLD24 = round(p * 2^24) and
// KEEP_SCALE = 1 / (1 - p) (0 when p = 1) come from the host; p = 0 keeps every element and multiplies by 1.
//   apply:         y = dropout(x)                (out of place; x and y must be different buffers)
//   applyInPlace:  x = dropout(x)
//   applyResidual: y = residual + dropout(x)     (a block's output added to the residual stream)
// index is the element's position inside its replica's tensor, e.g. (b T + t) width + c for an activation.

// #include "lib/counterHash.wgsl"

override SIZE: u32;          // elements per replica
override LAYER: u32;
override SITE: u32;
override THRESHOLD24: u32;
override KEEP_SCALE: f32;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> xInPlace: array<f32>;
@group(0) @binding(3) var<storage, read> seeds: array<u32>;   // [REPLICAS]: config seed + r
@group(0) @binding(4) var<storage, read> step: array<u32>;    // [1]: the model's step counter
@group(0) @binding(5) var<storage, read> residual: array<f32>;

// A product, not a select: a dropped NaN stays NaN and a dropped negative becomes -0, as PyTorch's x * mask.
fn dropped(key: u32, index: u32, value: f32) -> f32 {
  return value * select(0.0, KEEP_SCALE, dropoutKeep(key, index, THRESHOLD24));
}

// Grid: x strides over a replica's elements, y is the replica.
@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let replica = gid.y;
  let key = dropoutKey(seeds[replica], step[0], LAYER, SITE);
  for (var i = gid.x; i < SIZE; i += groups.x * WG) {
    let at = replica * SIZE + i;
    y[at] = dropped(key, i, x[at]);
  }
}

@compute @workgroup_size(WG)
fn applyInPlace(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let replica = gid.y;
  let key = dropoutKey(seeds[replica], step[0], LAYER, SITE);
  for (var i = gid.x; i < SIZE; i += groups.x * WG) {
    let at = replica * SIZE + i;
    xInPlace[at] = dropped(key, i, xInPlace[at]);
  }
}

@compute @workgroup_size(WG)
fn applyResidual(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let replica = gid.y;
  let key = dropoutKey(seeds[replica], step[0], LAYER, SITE);
  for (var i = gid.x; i < SIZE; i += groups.x * WG) {
    let at = replica * SIZE + i;
    y[at] = residual[at] + dropped(key, i, x[at]);
  }
}
