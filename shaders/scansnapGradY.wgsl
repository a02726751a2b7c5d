// Scan & Snap gradient of Y: dY[k][l] = Σ_b vn_b[k] dLogit_b[l]. vn_b is sparse (≤ CTX nonzeros per
// sequence), so the sum runs only over the sequences whose context contains k:
//   listMembers: one thread per (row k, replica) lists those sequences b, in batch order, with vn_b[k];
//   main:        one thread per (row k, block of four vec4 columns, replica) sums over that list.
// The work is Σ_b nnz(vn_b) · M instead of BATCH · M² per replica; the order is the batch order: deterministic.
// Rows of dLogit and dY are padded to P4 vec4s (padding columns of dLogit are zero, so dY's come out zero).

override BATCH: u32;
override M: u32;
override P4: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> vnDense: array<f32>;              // [R][BATCH][4 P4]
@group(0) @binding(1) var<storage, read> dLogit: array<vec4<f32>>;         // [R][BATCH][P4]
@group(0) @binding(2) var<storage, read_write> dY: array<vec4<f32>>;       // [R][M][P4]
@group(0) @binding(3) var<storage, read_write> memberSeq: array<u32>;      // [R][M][BATCH]
@group(0) @binding(4) var<storage, read_write> memberVn: array<f32>;       // [R][M][BATCH]
@group(0) @binding(5) var<storage, read_write> memberCount: array<u32>;    // [R][M]

@compute @workgroup_size(WG)
fn listMembers(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  if (k >= M) { return; }
  let r = gid.y;
  let list = (r * M + k) * BATCH;
  var n = 0u;
  for (var b = 0u; b < BATCH; b++) {
    let vn = vnDense[(r * BATCH + b) * 4u * P4 + k];
    if (vn != 0.0) {
      memberSeq[list + n] = b;
      memberVn[list + n] = vn;
      n++;
    }
  }
  memberCount[r * M + k] = n;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blocks = (P4 + 3u) / 4u;
  if (gid.x >= M * blocks) { return; }
  let k = gid.x / blocks;
  let c = 4u * (gid.x % blocks);
  let r = gid.y;
  // Past the end the column indices clamp to the last block (the same value is written again).
  let c1 = min(c + 1u, P4 - 1u);
  let c2 = min(c + 2u, P4 - 1u);
  let c3 = min(c + 3u, P4 - 1u);
  let list = (r * M + k) * BATCH;
  let n = memberCount[r * M + k];
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var i = 0u; i < n; i++) {
    let vn = vec4<f32>(memberVn[list + i]);
    let row = (r * BATCH + memberSeq[list + i]) * P4;
    a0 = fma(vn, dLogit[row + c], a0);
    a1 = fma(vn, dLogit[row + c1], a1);
    a2 = fma(vn, dLogit[row + c2], a2);
    a3 = fma(vn, dLogit[row + c3], a3);
  }
  let out = (r * M + k) * P4;
  dY[out + c] = a0;
  dY[out + c1] = a1;
  dY[out + c2] = a2;
  dY[out + c3] = a3;
}
