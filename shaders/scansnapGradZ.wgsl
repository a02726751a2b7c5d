// Scan & Snap gradient of Z: only the query row of each sequence gets gradient, so
//   dZ[i][k] = Σ_{b: query_b = i} queryRowGrad_b[k]
// for rows i = ROW_BASE .. ROW_BASE + ROWS − 1 (training: the query tokens), which are all dZ holds.
//   listMembers: one thread per (row, replica) lists the sequences whose query is that row, in batch order;
//   main:        one thread per (column k, row, replica) sums their rows in that order (deterministic).
// Rows have P ≥ M entries (the padding columns come out zero, as the per-sequence rows are zero there).

override BATCH: u32;
override CTX: u32;
override M: u32;
override P: u32;
override ROW_BASE: u32 = 0u;
override ROWS: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;                // [R][BATCH][CTX + 2]
@group(0) @binding(1) var<storage, read> queryRowGrad: array<f32>;          // [R][BATCH][P]
@group(0) @binding(2) var<storage, read_write> dZ: array<f32>;              // [R][ROWS][P]
@group(0) @binding(3) var<storage, read_write> rowMembers: array<u32>;      // [R][ROWS][BATCH]
@group(0) @binding(4) var<storage, read_write> rowMemberCount: array<u32>;  // [R][ROWS]

@compute @workgroup_size(WG)
fn listMembers(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= ROWS) { return; }
  let r = gid.y;
  let list = (r * ROWS + i) * BATCH;
  var n = 0u;
  for (var b = 0u; b < BATCH; b++) {
    if (tokens[(r * BATCH + b) * (CTX + 2u) + CTX] == ROW_BASE + i) {
      rowMembers[list + n] = b;
      n++;
    }
  }
  rowMemberCount[r * ROWS + i] = n;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  if (k >= P) { return; }
  let i = gid.y;
  let r = gid.z;
  let list = (r * ROWS + i) * BATCH;
  let n = rowMemberCount[r * ROWS + i];
  var acc = 0.0;
  for (var j = 0u; j < n; j++) { acc += queryRowGrad[(r * BATCH + rowMembers[list + j]) * P + k]; }
  dZ[(r * ROWS + i) * P + k] = acc;
}
