// The MLP head after W_O and the hinge loss: F = Σ_j a_j ReLU(u_j) with a_j = +1/M for j < M/2 and −1/M
// otherwise, loss = max(0, 1 − z F).
//   hingeTrain:    dL/du of the batch-mean loss, plus per replica the mean loss and sign error of the batch.
//   hingeEvaluate: per replica the sums of hinge loss, errors (F = 0 counts wrong) and same-pattern attention
//                  mass over a test set stored in CHUNKS chunks ([CHUNKS][R][PROMPTS] layout); prompts with
//                  z = 0 are padding and are skipped.
// One workgroup per replica; each thread takes prompts t, t + WG, ... and a fixed-shape tree adds the threads'
// partial sums, so the result is the same bits on every run (no atomics).

override M: u32;
override PROMPTS: u32;      // prompts per replica (per chunk)
override CHUNKS: u32 = 1u;
override REPLICAS: u32;
override WG: u32 = 64u;     // a power of two

@group(0) @binding(0) var<storage, read> mlpInput: array<f32>;          // u: [CHUNKS][R][PROMPTS][M]
@group(0) @binding(1) var<storage, read> labels: array<f32>;            // z: [CHUNKS][R][PROMPTS]
@group(0) @binding(2) var<storage, read_write> mlpInputGrad: array<f32>; // [R][PROMPTS][M]
@group(0) @binding(3) var<storage, read_write> trainStats: array<f32>;   // [R][2]: mean loss, error fraction
@group(0) @binding(4) var<storage, read> samePatternMass: array<f32>;   // [CHUNKS][R][PROMPTS]
@group(0) @binding(5) var<storage, read_write> evalStats: array<f32>;    // [R][4]: Σ loss, Σ errors, Σ mass, count

var<workgroup> partial: array<vec4<f32>, WG>;

fn outputWeight(j: u32) -> f32 {
  if (2u * j < M) { return 1.0 / f32(M); }
  return -1.0 / f32(M);
}

fn headOutput(row: u32) -> f32 {
  var F = 0.0;
  for (var j = 0u; j < M; j++) { F = fma(outputWeight(j), max(mlpInput[row * M + j], 0.0), F); }
  return F;
}

fn sumOverWorkgroup(t: u32, value: vec4<f32>) -> vec4<f32> {
  partial[t] = value;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width /= 2u) {
    if (t < width) { partial[t] = partial[t] + partial[t + width]; }
    workgroupBarrier();
  }
  return partial[0];
}

@compute @workgroup_size(WG)
fn hingeTrain(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  let t = lid.x;
  var sums = vec4<f32>(0.0);
  for (var b = t; b < PROMPTS; b += WG) {
    let row = r * PROMPTS + b;
    let z = labels[row];
    let F = headOutput(row);
    let margin = 1.0 - z * F;
    var dF = 0.0;
    if (margin > 0.0) { dF = -z / f32(PROMPTS); }
    for (var j = 0u; j < M; j++) {
      var g = 0.0;
      if (mlpInput[row * M + j] > 0.0) { g = dF * outputWeight(j); }
      mlpInputGrad[row * M + j] = g;
    }
    sums += vec4<f32>(max(margin, 0.0), select(1.0, 0.0, z * F > 0.0), 0.0, 0.0);
  }
  let total = sumOverWorkgroup(t, sums);
  if (t == 0u) {
    trainStats[r * 2u] = total.x / f32(PROMPTS);
    trainStats[r * 2u + 1u] = total.y / f32(PROMPTS);
  }
}

@compute @workgroup_size(WG)
fn hingeEvaluate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  let t = lid.x;
  var sums = vec4<f32>(0.0);
  for (var e = t; e < CHUNKS * PROMPTS; e += WG) {
    let row = ((e / PROMPTS) * REPLICAS + r) * PROMPTS + e % PROMPTS;
    let z = labels[row];
    if (z == 0.0) { continue; }
    let F = headOutput(row);
    sums += vec4<f32>(max(1.0 - z * F, 0.0), select(1.0, 0.0, z * F > 0.0), samePatternMass[row], 1.0);
  }
  let total = sumOverWorkgroup(t, sums);
  if (t == 0u) {
    for (var q = 0u; q < 4u; q++) { evalStats[r * 4u + q] = total[q]; }
  }
}
