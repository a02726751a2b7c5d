// Scan & Snap logits, cross-entropy and its gradient, one workgroup per sequence:
//   logit_l = Σ_k vn_k Y[k][l], gathered over the ≤ CTX distinct context tokens k only;
//   loss = logsumexp(logit) − logit_next;  dLogit_l = (softmax(logit)_l − [l = next]) / BATCH (batch mean).
// dLogit first holds the logits (each thread rereads only its own l). Reductions are fixed-order trees.

override BATCH: u32;
override CTX: u32;
override M: u32;
override WG: u32 = 64u;   // a power of two

@group(0) @binding(0) var<storage, read> tokens: array<u32>;         // [R][BATCH][CTX + 2]
@group(0) @binding(1) var<storage, read> Y: array<f32>;              // [R][M][M]
@group(0) @binding(2) var<storage, read> uniqueIds: array<u32>;      // [R][BATCH][CTX]
@group(0) @binding(3) var<storage, read> uniqueVn: array<f32>;       // [R][BATCH][CTX]
@group(0) @binding(4) var<storage, read> uniqueCount: array<u32>;    // [R][BATCH]
@group(0) @binding(5) var<storage, read_write> dLogit: array<f32>;   // [R][BATCH][M]
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;     // [R][BATCH]

var<workgroup> partial: array<f32, WG>;
var<workgroup> nextLogit: f32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y;
  let seq = r * BATCH + wid.x;
  let next = tokens[seq * (CTX + 2u) + CTX + 1u];
  let count = uniqueCount[seq];
  let list = seq * CTX;
  let yBase = r * M * M;
  let row = seq * M;

  var localMax = -3.4e38;
  for (var l = lid; l < M; l += WG) {
    var logit = 0.0;
    for (var j = 0u; j < count; j++) {
      logit = fma(uniqueVn[list + j], Y[yBase + uniqueIds[list + j] * M + l], logit);
    }
    dLogit[row + l] = logit;
    if (l == next) { nextLogit = logit; }
    localMax = max(localMax, logit);
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
  for (var l = lid; l < M; l += WG) { localSum += exp(dLogit[row + l] - logitMax); }
  partial[lid] = localSum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];

  for (var l = lid; l < M; l += WG) {
    let p = exp(dLogit[row + l] - logitMax) / total;
    dLogit[row + l] = (p - select(0.0, 1.0, l == next)) / f32(BATCH);
  }
  if (lid == 0u) { loss[seq] = log(total) + logitMax - nextLogit; }
}
