// Scan & Snap logits, cross-entropy and its gradient, one thread per sequence:
//   logit_l = Σ_k vn_k Y[k][l], gathered over the ≤ CTX distinct context tokens k only;
//   loss = logsumexp(logit) − logit_next;  dLogit_l = (softmax(logit)_l − [l = next]) / BATCH (batch mean).
// Rows of Y and dLogit are padded to P4 vec4s (P = 4·P4 ≥ M; padding columns of Y are zero, of dLogit written
// zero). The kernel is bound by loads, so it reads four columns per load and reuses each (id, vn) pair for four
// vec4s; a thread per sequence needs no barriers (which cost more than the arithmetic on CPU adapters).
// dLogit first holds the logits, then exp(logit − max).

override BATCH: u32;
override CTX: u32;
override M: u32;
override P4: u32;         // padded row length / 4
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;             // [R][BATCH][CTX + 2]
@group(0) @binding(1) var<storage, read> Y: array<vec4<f32>>;            // [R][M][P4]
@group(0) @binding(2) var<storage, read> uniqueIds: array<u32>;          // [R][BATCH][CTX]
@group(0) @binding(3) var<storage, read> uniqueVn: array<f32>;           // [R][BATCH][CTX]
@group(0) @binding(4) var<storage, read> uniqueCount: array<u32>;        // [R][BATCH]
@group(0) @binding(5) var<storage, read_write> dLogit: array<vec4<f32>>; // [R][BATCH][P4]
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;         // [R][BATCH]

fn valid(c: u32) -> vec4<bool> {
  return vec4<u32>(4u * c) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(M);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= BATCH) { return; }
  let r = gid.y;
  let seq = r * BATCH + b;
  let next = tokens[seq * (CTX + 2u) + CTX + 1u];
  let count = uniqueCount[seq];
  let list = seq * CTX;
  let yBase = r * M * P4;
  let row = seq * P4;

  // Four column blocks at a time; past the end the indices clamp to the last block (same value rewritten).
  for (var c = 0u; c < P4; c += 4u) {
    let c1 = min(c + 1u, P4 - 1u);
    let c2 = min(c + 2u, P4 - 1u);
    let c3 = min(c + 3u, P4 - 1u);
    var l0 = vec4<f32>(0.0);
    var l1 = vec4<f32>(0.0);
    var l2 = vec4<f32>(0.0);
    var l3 = vec4<f32>(0.0);
    for (var j = 0u; j < count; j++) {
      let vn = vec4<f32>(uniqueVn[list + j]);
      let yRow = yBase + uniqueIds[list + j] * P4;
      l0 = fma(vn, Y[yRow + c], l0);
      l1 = fma(vn, Y[yRow + c1], l1);
      l2 = fma(vn, Y[yRow + c2], l2);
      l3 = fma(vn, Y[yRow + c3], l3);
    }
    dLogit[row + c] = l0;
    dLogit[row + c1] = l1;
    dLogit[row + c2] = l2;
    dLogit[row + c3] = l3;
  }

  let lowest = vec4<f32>(-3.4e38);
  var m4 = lowest;
  for (var c = 0u; c < P4; c++) { m4 = max(m4, select(lowest, dLogit[row + c], valid(c))); }
  let logitMax = max(max(m4.x, m4.y), max(m4.z, m4.w));
  // exp(logit − max) is computed once: the sum pass leaves it in dLogit for the last pass.
  let nextLogit = dLogit[row + next / 4u][next % 4u];
  var s4 = vec4<f32>(0.0);
  for (var c = 0u; c < P4; c++) {
    let e = select(vec4<f32>(0.0), exp(dLogit[row + c] - logitMax), valid(c));
    dLogit[row + c] = e;
    s4 += e;
  }
  let total = (s4.x + s4.y) + (s4.z + s4.w);

  for (var c = 0u; c < P4; c++) {
    let p = dLogit[row + c] / total;
    let isNext = select(vec4<f32>(0.0), vec4<f32>(1.0), vec4<u32>(4u * c) + vec4<u32>(0u, 1u, 2u, 3u) == vec4<u32>(next));
    dLogit[row + c] = (p - isNext) / f32(BATCH);
  }
  loss[seq] = log(total) + logitMax - nextLogit;
}
