// Scan & Snap gradient of Y: dY[k][l] = Σ_b vn_b[k] dLogit_b[l], one workgroup per (row k, replica). vn_b is
// sparse (≤ CTX nonzeros per sequence), so the workgroup first lists the sequences b with vn_b[k] ≠ 0, in batch
// order, and sums only over those: the work is Σ_b nnz(vn_b) · M instead of BATCH · M² per replica.
// Columns go four at a time (rows padded to P4 vec4s). The sum runs over b in batch order: deterministic.

override BATCH: u32;
override M: u32;
override P4: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> vnDense: array<f32>;            // [R][BATCH][4 P4]
@group(0) @binding(1) var<storage, read> dLogit: array<vec4<f32>>;       // [R][BATCH][P4]
@group(0) @binding(2) var<storage, read_write> dY: array<vec4<f32>>;     // [R][M][P4]

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
      let vn = vnDense[(r * BATCH + b) * 4u * P4 + k];
      if (vn != 0.0) {
        members[n] = b;
        memberVn[n] = vn;
        n++;
      }
    }
    memberCount = n;
  }
  let n = workgroupUniformLoad(&memberCount);
  for (var c = lid; c < P4; c += WG) {
    var acc = vec4<f32>(0.0);
    for (var i = 0u; i < n; i++) { acc = fma(vec4<f32>(memberVn[i]), dLogit[(r * BATCH + members[i]) * P4 + c], acc); }
    dY[(r * M + k) * P4 + c] = acc;
  }
}
