// Per-replica global L2 norm of a slab: norm[r] = sqrt(Σ_i x[r·STRIDE + i]²) over i < SIZE, and optionally the
// clip scale of torch.nn.utils.clip_grad_norm_: scale[r] = min(1, clip[r] / (norm[r] + 1e-6)), 1 when clip[r] = 0.
//   partials:   one workgroup per (block of BLOCK elements, replica): each thread squares and adds elements
//               t, t + WG, … of the block in increasing order, a pairwise tree adds the threads' sums, and the
//               block's sum goes to blockSums[r][block].
//   finishNorm: one workgroup per replica adds its BLOCKS block sums the same way (threads strided, then the tree)
//               and writes norm[r] (a parameter-norm metric needs nothing else).
//   finishClip: the same, and scale[r] from clip[r].
// Two passes instead of one workgroup per replica because a 7 M-float slab needs thousands of workgroups to
// fill a GPU. Every addition's order depends only on SIZE, BLOCK and WG: the same bits on every run, no atomics.
// STRIDE > SIZE reads a tensor inside a parameter slab (or the leading part of one); the floats past SIZE in
// each replica's window are never read.

override SIZE: u32;
override STRIDE: u32 = SIZE;
override BLOCK: u32 = 4096u;   // elements per partial sum
override BLOCKS: u32;          // ceil(SIZE / BLOCK)
override WG: u32 = 256u;       // a power of two

const CLIP_EPS: f32 = 1e-6;    // torch.nn.utils.clip_grad_norm_'s 1e-6

@group(0) @binding(0) var<storage, read> x: array<f32>;             // [R][STRIDE]
@group(0) @binding(1) var<storage, read_write> blockSums: array<f32>; // [R][BLOCKS]
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;     // [R]
@group(0) @binding(3) var<storage, read> clip: array<f32>;           // [R]; 0 = no clipping
@group(0) @binding(4) var<storage, read_write> scale: array<f32>;    // [R]

var<workgroup> lanes: array<f32, WG>;

fn sumOverWorkgroup(t: u32, value: f32) -> f32 {
  lanes[t] = value;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width /= 2u) {
    if (t < width) { lanes[t] = lanes[t] + lanes[t + width]; }
    workgroupBarrier();
  }
  return lanes[0];
}

@compute @workgroup_size(WG)
fn partials(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let blockIndex = wid.x;
  let r = wid.y;
  let first = blockIndex * BLOCK;
  let end = min(SIZE, first + BLOCK);
  var sum = 0.0;
  for (var i = first + lid.x; i < end; i += WG) {
    let v = x[r * STRIDE + i];
    sum = fma(v, v, sum);
  }
  let total = sumOverWorkgroup(lid.x, sum);
  if (lid.x == 0u) { blockSums[r * BLOCKS + blockIndex] = total; }
}

fn replicaNorm(r: u32, t: u32) -> f32 {
  var sum = 0.0;
  for (var b = t; b < BLOCKS; b += WG) { sum += blockSums[r * BLOCKS + b]; }
  return sqrt(sumOverWorkgroup(t, sum));
}

@compute @workgroup_size(WG)
fn finishNorm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let total = replicaNorm(wid.x, lid.x);
  if (lid.x == 0u) { norm[wid.x] = total; }
}

@compute @workgroup_size(WG)
fn finishClip(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  let total = replicaNorm(r, lid.x);
  if (lid.x == 0u) {
    norm[r] = total;
    let maxNorm = clip[r];
    var s = 1.0;
    if (maxNorm > 0.0) { s = min(1.0, maxNorm / (total + CLIP_EPS)); }
    scale[r] = s;
  }
}
