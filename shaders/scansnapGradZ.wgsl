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

// Slot lists: each sequence's row holds its slots' gradients (scansnapAttentionBackward's `fromPartials`), and
// its slot j is a common token (j < NUM_COMMON) or one of its next token's distinct tokens. So row i's column k
// sums slot k over the sequences of query i (common k), or over those of the one next token n whose distinct
// tokens hold k, if n's query is i (listed by scansnapGradY's listByNext), and is zero otherwise. The order is the
// batch order, as in `main`, whose extra terms are exact zeros: the same bits. One thread per (k, row, replica).
override NUM_COMMON: u32 = 0u;
override DISTINCT: u32 = 1u;
override K: u32 = 1u;
override QUERY_BASE: u32 = 0u;
override NEXT_PER_QUERY: u32 = 1u;
@group(0) @binding(5) var<storage, read> memberSeq: array<u32>;     // [R][K][BATCH]
@group(0) @binding(6) var<storage, read> memberCount: array<u32>;   // [R][K]

@compute @workgroup_size(WG)
fn slots(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  if (k >= P) { return; }
  let i = gid.y;
  let r = gid.z;
  var acc = 0.0;
  if (k < NUM_COMMON) {
    let list = (r * ROWS + i) * BATCH;
    let n = rowMemberCount[r * ROWS + i];
    for (var j = 0u; j < n; j++) { acc += queryRowGrad[(r * BATCH + rowMembers[list + j]) * P + k]; }
  } else if (k < NUM_COMMON + K * DISTINCT) {
    let next = (k - NUM_COMMON) / DISTINCT;
    if (QUERY_BASE + next / NEXT_PER_QUERY == ROW_BASE + i) {
      let slot = NUM_COMMON + (k - NUM_COMMON) % DISTINCT;
      let list = (r * K + next) * BATCH;
      let n = memberCount[r * K + next];
      for (var j = 0u; j < n; j++) { acc += queryRowGrad[(r * BATCH + memberSeq[list + j]) * P + slot]; }
    }
  }
  dZ[(r * ROWS + i) * P + k] = acc;
}
