// Scan & Snap gradient of Y: dY[k][l] = Σ_b vn_b[k] dLogit_b[l], one workgroup per (row k, replica). vn_b is
// sparse (≤ CTX nonzeros per sequence), so the workgroup first lists the sequences b with vn_b[k] ≠ 0, in batch
// order, and sums only over those: the work is Σ_b nnz(vn_b) · M instead of BATCH · M² per replica.
// The sum runs over b in batch order for every l: deterministic, no atomics.

override BATCH: u32;
override M: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> vnDense: array<f32>;    // [R][BATCH][M]
@group(0) @binding(1) var<storage, read> dLogit: array<f32>;     // [R][BATCH][M]
@group(0) @binding(2) var<storage, read_write> dY: array<f32>;   // [R][M][M]

var<workgroup> members: array<u32, BATCH>;
var<workgroup> memberVn: array<f32, BATCH>;
var<workgroup> memberCount: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wid.x;
  let r = wid.y;
  if (lid == 0u) {
    var n = 0u;
    for (var b = 0u; b < BATCH; b++) {
      let vn = vnDense[(r * BATCH + b) * M + k];
      if (vn != 0.0) {
        members[n] = b;
        memberVn[n] = vn;
        n++;
      }
    }
    memberCount = n;
  }
  let n = workgroupUniformLoad(&memberCount);
  for (var l = lid; l < M; l += WG) {
    var acc = 0.0;
    for (var i = 0u; i < n; i++) { acc = fma(memberVn[i], dLogit[(r * BATCH + members[i]) * M + l], acc); }
    dY[(r * M + k) * M + l] = acc;
  }
}
