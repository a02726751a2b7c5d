// The ICL readout of the transformer stack (SPEC §4): the query is the last position,
//   F[r][b] = w_out · x[r][b][T − 1] + b_out,   loss[r] = (1/B) Σ_b max(0, 1 − z F)   (z = ±1)
// with the hinge's derivative 0 at exactly 1 − zF = 0, so dF = −z/B where 1 − zF > 0 and 0 elsewhere.
//   forward:    one thread per prompt: F and dF.
//   inputGrad:  dx[r][b][t] = dF·w_out at t = T − 1 and 0 at every other position (every element written, so
//               the layer below needs no zeroing pass); a workgroup per row (position), threads across columns.
//   paramGrads: one thread per column c of a replica: dw_out[c] = Σ_b dF_b x_b[T − 1][c], db_out = Σ_b dF_b
//               (thread c = D) and the batch-mean loss (thread c = D + 1), each sum in increasing b.
//   evaluate:   one workgroup per replica over a test batch: the sign error count (F = 0 counts wrong) and the
//               hinge sum, threads strided over prompts then a pairwise tree (fixed order: the same bits every
//               run). Prompts with z = 0 are padding and count for nothing. ACCUMULATE adds to evalStats, so a
//               test set larger than one forward batch is summed batch by batch; F is written as well.
// w_out and b_out are read from the parameter slab and their gradients written into the gradient slab, both
// bound whole (offsets W_OUT_OFFSET, B_OUT_OFFSET, replica stride SLAB_STRIDE = P): two writable windows of one
// buffer whose replicas interleave would overlap, which WebGPU forbids. Nothing else of either slab is touched.

override REPLICAS: u32;
override BATCH: u32;         // prompts per replica
override T: u32;             // positions; the query is T − 1
override D: u32;             // dModel
override SLAB_STRIDE: u32;   // P
override W_OUT_OFFSET: u32;
override B_OUT_OFFSET: u32;
override ACCUMULATE: bool = false;
override WG: u32 = 64u;      // a power of two (evaluate's tree halves it)

@group(0) @binding(0) var<storage, read> x: array<f32>;              // [R][B][T][D]
@group(0) @binding(1) var<storage, read> z: array<f32>;              // [R][B]
@group(0) @binding(2) var<storage, read> params: array<f32>;         // [R][P]
@group(0) @binding(3) var<storage, read_write> F: array<f32>;        // [R][B]
@group(0) @binding(4) var<storage, read_write> dF: array<f32>;       // [R][B]
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;       // [R][B][T][D]
@group(0) @binding(6) var<storage, read_write> grads: array<f32>;    // [R][P]
@group(0) @binding(7) var<storage, read_write> loss: array<f32>;     // [R]
@group(0) @binding(8) var<storage, read_write> evalStats: array<f32>; // [R][2]: errors, hinge sum

var<workgroup> lanes: array<vec2<f32>, WG>;

fn queryBase(prompt: u32) -> u32 {
  return (prompt * T + T - 1u) * D;
}

fn readout(r: u32, prompt: u32) -> f32 {
  let w = r * SLAB_STRIDE + W_OUT_OFFSET;
  let q = queryBase(prompt);
  var sum = 0.0;
  for (var c = 0u; c < D; c++) { sum = fma(params[w + c], x[q + c], sum); }
  return sum + params[r * SLAB_STRIDE + B_OUT_OFFSET];
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  let r = gid.y;
  if (b >= BATCH) { return; }
  let prompt = r * BATCH + b;
  let value = readout(r, prompt);
  F[prompt] = value;
  let label = z[prompt];
  var grad = 0.0;
  if (1.0 - label * value > 0.0) { grad = -label / f32(BATCH); }
  dF[prompt] = grad;
}

@compute @workgroup_size(WG)
fn inputGrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
             @builtin(num_workgroups) groups: vec3<u32>) {
  for (var row = wid.x; row < REPLICAS * BATCH * T; row += groups.x) {
    let prompt = row / T;
    let isQuery = row % T == T - 1u;
    let w = (prompt / BATCH) * SLAB_STRIDE + W_OUT_OFFSET;
    let grad = dF[prompt];
    for (var c = lid.x; c < D; c += WG) {
      var value = 0.0;
      if (isQuery) { value = grad * params[w + c]; }
      dx[row * D + c] = value;
    }
  }
}

@compute @workgroup_size(WG)
fn paramGrads(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let r = gid.y;
  if (c < D) {
    var sum = 0.0;
    for (var b = 0u; b < BATCH; b++) {
      let prompt = r * BATCH + b;
      sum = fma(dF[prompt], x[queryBase(prompt) + c], sum);
    }
    grads[r * SLAB_STRIDE + W_OUT_OFFSET + c] = sum;
  } else if (c == D) {
    var sum = 0.0;
    for (var b = 0u; b < BATCH; b++) { sum += dF[r * BATCH + b]; }
    grads[r * SLAB_STRIDE + B_OUT_OFFSET] = sum;
  } else if (c == D + 1u) {
    var sum = 0.0;
    for (var b = 0u; b < BATCH; b++) {
      let prompt = r * BATCH + b;
      sum += max(0.0, 1.0 - z[prompt] * F[prompt]);
    }
    loss[r] = sum / f32(BATCH);
  }
}

@compute @workgroup_size(WG)
fn evaluate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  let t = lid.x;
  var sums = vec2<f32>(0.0);
  for (var b = t; b < BATCH; b += WG) {
    let prompt = r * BATCH + b;
    let value = readout(r, prompt);
    F[prompt] = value;
    let label = z[prompt];
    if (label == 0.0) { continue; }
    let margin = label * value;
    sums += vec2<f32>(select(0.0, 1.0, margin <= 0.0), max(0.0, 1.0 - margin));
  }
  lanes[t] = sums;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width /= 2u) {
    if (t < width) { lanes[t] = lanes[t] + lanes[t + width]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    var total = lanes[0];
    if (ACCUMULATE) { total += vec2<f32>(evalStats[2u * r], evalStats[2u * r + 1u]); }
    evalStats[2u * r] = total.x;
    evalStats[2u * r + 1u] = total.y;
  }
}
