// Scan & Snap backward through vn = v / ‖v‖ and the attention softmax, one thread per sequence. Only row m
// (the query) of Z gets gradient, and only at the distinct context tokens k:
//   dvn_k = Σ_l Y[k][l] dLogit_l,   dZ[m][k] = vn_k (dvn_k − vn_k (vn · dvn)).
// (The chain rule gives v_k (dv_k − Σ_j v_j dv_j) with dv = (I − vn vnᵀ) dvn / ‖v‖; Σ_j v_j dv_j vanishes
// because the normalised output does not change when v is scaled.) The per-sequence row is written dense
// (stride 4·P4, padding zero) and holds dvn between the two passes. Y and dLogit rows are read as vec4s, four
// distinct tokens per pass so that each dLogit load serves four rows of Y.

override BATCH: u32;
override CTX: u32;
override M: u32;
override P4: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> Y: array<vec4<f32>>;            // [R][M][P4]
@group(0) @binding(1) var<storage, read> dLogit: array<vec4<f32>>;       // [R][BATCH][P4]
@group(0) @binding(2) var<storage, read> uniqueIds: array<u32>;          // [R][BATCH][CTX]
@group(0) @binding(3) var<storage, read> uniqueVn: array<f32>;           // [R][BATCH][CTX]
@group(0) @binding(4) var<storage, read> uniqueCount: array<u32>;        // [R][BATCH]
@group(0) @binding(5) var<storage, read_write> queryRowGrad: array<f32>; // [R][BATCH][4 P4]

fn sum4(v: vec4<f32>) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= BATCH) { return; }
  let r = gid.y;
  let seq = r * BATCH + b;
  let count = uniqueCount[seq];
  let list = seq * CTX;
  let yBase = r * M * P4;
  let row4 = seq * P4;
  let row = 4u * row4;

  for (var k = 0u; k < 4u * P4; k++) { queryRowGrad[row + k] = 0.0; }
  var vnDotDVn = 0.0;
  // Four distinct tokens at a time; past the end the indices clamp to the last one (its value is rewritten
  // unchanged and counted once in the dot product).
  for (var j = 0u; j < count; j += 4u) {
    let j1 = min(j + 1u, count - 1u);
    let j2 = min(j + 2u, count - 1u);
    let j3 = min(j + 3u, count - 1u);
    let y0 = yBase + uniqueIds[list + j] * P4;
    let y1 = yBase + uniqueIds[list + j1] * P4;
    let y2 = yBase + uniqueIds[list + j2] * P4;
    let y3 = yBase + uniqueIds[list + j3] * P4;
    var a0 = vec4<f32>(0.0);
    var a1 = vec4<f32>(0.0);
    var a2 = vec4<f32>(0.0);
    var a3 = vec4<f32>(0.0);
    for (var c = 0u; c < P4; c++) {
      let d = dLogit[row4 + c];
      a0 = fma(Y[y0 + c], d, a0);
      a1 = fma(Y[y1 + c], d, a1);
      a2 = fma(Y[y2 + c], d, a2);
      a3 = fma(Y[y3 + c], d, a3);
    }
    let d = vec4<f32>(sum4(a0), sum4(a1), sum4(a2), sum4(a3));
    let js = vec4<u32>(j, j1, j2, j3);
    for (var i = 0u; i < 4u; i++) {
      queryRowGrad[row + uniqueIds[list + js[i]]] = d[i];
      if (j + i < count) { vnDotDVn += uniqueVn[list + js[i]] * d[i]; }
    }
  }
  for (var j = 0u; j < count; j++) {
    let k = uniqueIds[list + j];
    let vn = uniqueVn[list + j];
    queryRowGrad[row + k] = vn * (queryRowGrad[row + k] - vn * vnDotDVn);
  }
}

// Slot lists (scansnapGradY's `slots` entry computed the products): dvn_b[slot] is the sum of the column threads'
// parts in dvnPartial, in column order; then the same tail as `main`, in slot order. The row is written by slot
// (entry j of sequence b's row is slot j's gradient; the rest is not written), which scansnapGradZ's `slots`
// entry reads. A thread per sequence.
override SLOTS: u32 = 1u;
override COLUMN_THREADS: u32 = 1u;
@group(0) @binding(6) var<storage, read> dvnPartial: array<f32>;   // [R][BATCH][SLOTS][COLUMN_THREADS]

@compute @workgroup_size(WG)
fn fromPartials(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= BATCH) { return; }
  let seq = gid.y * BATCH + b;
  let list = seq * CTX;
  let row = 4u * seq * P4;
  var vnDotDVn = 0.0;
  for (var j = 0u; j < SLOTS; j++) {
    let parts = (seq * SLOTS + j) * COLUMN_THREADS;
    var dvn = 0.0;
    for (var c = 0u; c < COLUMN_THREADS; c++) { dvn += dvnPartial[parts + c]; }
    queryRowGrad[row + j] = dvn;
    vnDotDVn += uniqueVn[list + j] * dvn;
  }
  for (var j = 0u; j < SLOTS; j++) {
    let vn = uniqueVn[list + j];
    queryRowGrad[row + j] = vn * (queryRowGrad[row + j] - vn * vnDotDVn);
  }
}
