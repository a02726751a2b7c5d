// Scan & Snap logits, cross-entropy and its gradient, one workgroup per sequence:
//   logit_l = Σ_k vn_k Y[k][l], gathered over the ≤ CTX distinct context tokens k only;
//   loss = logsumexp(logit) − logit_next;  dLogit_l = (softmax(logit)_l − [l = next]) / BATCH (batch mean).
// Rows of Y and dLogit are padded to P4 vec4s (P = 4·P4 ≥ M; padding columns of Y are zero, of dLogit written
// zero): a thread handles four columns per load, which quarters the loads that bound this kernel.
// dLogit first holds the logits (each thread rereads only its own columns). Reductions are fixed-order trees.

override BATCH: u32;
override CTX: u32;
override M: u32;
override P4: u32;         // padded row length / 4
override WG: u32 = 64u;   // a power of two

@group(0) @binding(0) var<storage, read> tokens: array<u32>;             // [R][BATCH][CTX + 2]
@group(0) @binding(1) var<storage, read> Y: array<vec4<f32>>;            // [R][M][P4]
@group(0) @binding(2) var<storage, read> uniqueIds: array<u32>;          // [R][BATCH][CTX]
@group(0) @binding(3) var<storage, read> uniqueVn: array<f32>;           // [R][BATCH][CTX]
@group(0) @binding(4) var<storage, read> uniqueCount: array<u32>;        // [R][BATCH]
@group(0) @binding(5) var<storage, read_write> dLogit: array<vec4<f32>>; // [R][BATCH][P4]
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;         // [R][BATCH]

var<workgroup> partial: array<f32, WG>;
var<workgroup> nextLogit: f32;

fn valid(c: u32) -> vec4<bool> {
  return vec4<u32>(4u * c) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(M);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y;
  let seq = r * BATCH + wid.x;
  let next = tokens[seq * (CTX + 2u) + CTX + 1u];
  let count = uniqueCount[seq];
  let list = seq * CTX;
  let yBase = r * M * P4;
  let row = seq * P4;
  let lowest = vec4<f32>(-3.4e38);

  var localMax = -3.4e38;
  for (var c = lid; c < P4; c += WG) {
    var logit = vec4<f32>(0.0);
    for (var j = 0u; j < count; j++) {
      logit = fma(vec4<f32>(uniqueVn[list + j]), Y[yBase + uniqueIds[list + j] * P4 + c], logit);
    }
    dLogit[row + c] = logit;
    if (c == next / 4u) { nextLogit = logit[next % 4u]; }
    let m4 = select(lowest, logit, valid(c));
    localMax = max(localMax, max(max(m4.x, m4.y), max(m4.z, m4.w)));
  }
  partial[lid] = localMax;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = max(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  let logitMax = partial[0];
  workgroupBarrier();

  var localSum = 0.0;
  for (var c = lid; c < P4; c += WG) {
    let e = select(vec4<f32>(0.0), exp(dLogit[row + c] - logitMax), valid(c));
    localSum += (e.x + e.y) + (e.z + e.w);
  }
  partial[lid] = localSum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];

  for (var c = lid; c < P4; c += WG) {
    let p = select(vec4<f32>(0.0), exp(dLogit[row + c] - logitMax) / total, valid(c));
    let isNext = select(vec4<f32>(0.0), vec4<f32>(1.0), vec4<u32>(4u * c) + vec4<u32>(0u, 1u, 2u, 3u) == vec4<u32>(next));
    dLogit[row + c] = (p - isNext) / f32(BATCH);
  }
  if (lid == 0u) { loss[seq] = log(total) + logitMax - nextLogit; }
}
