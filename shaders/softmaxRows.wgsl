// Row softmax over [ROWS][COLS] (ROWS counts every row of every batch and replica), forward and backward:
//   forward:  y[r][c] = exp(x[r][c] - max_c x[r]) / sum_c exp(x[r][c] - max_c x[r])
//   backward: dx[r][c] = y[r][c] * (dy[r][c] - sum_c y[r][c] * dy[r][c])
// One thread owns a whole row: the models' rows are short (ICL's N = 20 contexts, Scan & Snap's L - 1 = 127
// context tokens or its M-token vocabulary) and plentiful (replicas x batch), so a row per thread keeps every
// thread busy without cross-thread reductions, and each row's sums run in one fixed order (deterministic).
// Subtracting the row maximum keeps exp() from overflowing; y is written in place of the exponentials so the
// forward reads x twice and never allocates scratch.

override ROWS: u32;
override COLS: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var row = gid.x; row < ROWS; row += groups.x * WG) {
    let base = row * COLS;
    var rowMax = x[base];
    for (var c = 1u; c < COLS; c++) { rowMax = max(rowMax, x[base + c]); }
    var sum = 0.0;
    for (var c = 0u; c < COLS; c++) {
      let e = exp(x[base + c] - rowMax);
      y[base + c] = e;
      sum += e;
    }
    let inverse = 1.0 / sum;
    for (var c = 0u; c < COLS; c++) { y[base + c] *= inverse; }
  }
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var row = gid.x; row < ROWS; row += groups.x * WG) {
    let base = row * COLS;
    var dot = 0.0;
    for (var c = 0u; c < COLS; c++) { dot += y[base + c] * dy[base + c]; }
    for (var c = 0u; c < COLS; c++) { dx[base + c] = y[base + c] * (dy[base + c] - dot); }
  }
}
