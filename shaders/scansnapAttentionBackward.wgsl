// Scan & Snap backward through vn = v / ‖v‖ and the attention softmax, one workgroup per sequence. Only row m
// (the query) of Z gets gradient, and only at the distinct context tokens k:
//   dvn_k = Σ_l Y[k][l] dLogit_l,   dZ[m][k] = vn_k (dvn_k − vn_k (vn · dvn)).
// (The chain rule gives v_k (dv_k − Σ_j v_j dv_j) with dv = (I − vn vnᵀ) dvn / ‖v‖; Σ_j v_j dv_j vanishes
// because the normalised output does not change when v is scaled.) The per-sequence row is written dense
// (stride 4·P4, padding zero). Y and dLogit rows are read as vec4s (padding zero in both).

override BATCH: u32;
override CTX: u32;
override M: u32;
override P4: u32;
override WG: u32 = 64u;   // a power of two

@group(0) @binding(0) var<storage, read> Y: array<vec4<f32>>;            // [R][M][P4]
@group(0) @binding(1) var<storage, read> dLogit: array<vec4<f32>>;       // [R][BATCH][P4]
@group(0) @binding(2) var<storage, read> uniqueIds: array<u32>;          // [R][BATCH][CTX]
@group(0) @binding(3) var<storage, read> uniqueVn: array<f32>;           // [R][BATCH][CTX]
@group(0) @binding(4) var<storage, read> uniqueCount: array<u32>;        // [R][BATCH]
@group(0) @binding(5) var<storage, read_write> queryRowGrad: array<f32>; // [R][BATCH][4 P4]

var<workgroup> dVn: array<f32, CTX>;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y;
  let seq = r * BATCH + wid.x;
  let count = uniqueCount[seq];
  let list = seq * CTX;
  let yBase = r * M * P4;
  let row4 = seq * P4;

  var localDot = 0.0;
  for (var j = lid; j < count; j += WG) {
    let yRow = yBase + uniqueIds[list + j] * P4;
    var acc = vec4<f32>(0.0);
    for (var c = 0u; c < P4; c++) { acc = fma(Y[yRow + c], dLogit[row4 + c], acc); }
    let d = (acc.x + acc.y) + (acc.z + acc.w);
    dVn[j] = d;
    localDot += uniqueVn[list + j] * d;
  }
  partial[lid] = localDot;
  for (var k = lid; k < 4u * P4; k += WG) { queryRowGrad[4u * row4 + k] = 0.0; }
  storageBarrier();
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = partial[lid] + partial[lid + s]; }
    workgroupBarrier();
  }
  let vnDotDVn = partial[0];

  for (var j = lid; j < count; j += WG) {
    let vn = uniqueVn[list + j];
    queryRowGrad[4u * row4 + uniqueIds[list + j]] = vn * (dVn[j] - vn * vnDotDVn);
  }
}
