// Scan & Snap gradient of Z: only the query row of each sequence gets gradient, so
//   dZ[i][k] = Σ_{b: query_b = i} queryRowGrad_b[k]
// for rows i = ROW_BASE .. ROW_BASE + gridY − 1 (training: the query tokens; other rows stay zero), summed over
// b in batch order (deterministic, no atomics). One thread per (k, row, replica); rows have P ≥ M entries
// (the padding columns come out zero, as the per-sequence rows are zero there).

override BATCH: u32;
override CTX: u32;
override M: u32;
override P: u32;
override ROW_BASE: u32 = 0u;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;        // [R][BATCH][CTX + 2]
@group(0) @binding(1) var<storage, read> queryRowGrad: array<f32>;  // [R][BATCH][P]
@group(0) @binding(2) var<storage, read_write> dZ: array<f32>;      // [R][M][P]

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  if (k >= P) { return; }
  let row = ROW_BASE + gid.y;
  let r = gid.z;
  var acc = 0.0;
  for (var b = 0u; b < BATCH; b++) {
    let seq = r * BATCH + b;
    if (tokens[seq * (CTX + 2u) + CTX] == row) { acc += queryRowGrad[seq * P + k]; }
  }
  dZ[(r * M + row) * P + k] = acc;
}
