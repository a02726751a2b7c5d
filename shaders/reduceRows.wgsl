// Deterministic sum along the batch axis: out[r][j] = SCALE * sum_b x[r][b][j] + BETA * out[r][j], x laid out
// [ROWS][BATCH][COLS] (r is usually the replica). SCALE = 1 / BATCH gives the batch mean that losses, metrics and
// gradients need; BETA = 1 accumulates (split-K gemm's beta), BETA = 0 never reads out. Row r of out starts at
// r * OUT_STRIDE (a bias gradient written straight into a parameter slab [R][P] has OUT_STRIDE = P).
//
// A workgroup owns WG_COLS adjacent columns of one row r (adjacent threads read adjacent floats). Its
// WG_BATCH threads per column each add every WG_BATCH-th batch entry in increasing b, then a tree in
// workgroup memory halves the partial sums pairwise. The order of every addition depends only on the
// shapes and the workgroup size, never on scheduling: no atomics, the same bits on every run.

override BATCH: u32;
override COLS: u32;
override SCALE: f32 = 1.0;
override BETA: f32 = 0.0;
override OUT_STRIDE: u32 = COLS;
override WG_COLS: u32 = 16u;
override WG_BATCH: u32 = 16u;   // a power of two (the tree halves it)

const MAX_THREADS: u32 = 256u;  // WG_COLS * WG_BATCH <= MAX_THREADS (checked by src/kernels/reduceRows.ts)

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, MAX_THREADS>;   // [batch lane][column lane]

@compute @workgroup_size(WG_COLS, WG_BATCH)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.y;
  let col = wid.x * WG_COLS + lid.x;
  var sum = 0.0;
  if (col < COLS) {
    for (var b = lid.y; b < BATCH; b += WG_BATCH) { sum += x[(r * BATCH + b) * COLS + col]; }
  }
  partial[lid.y * WG_COLS + lid.x] = sum;
  workgroupBarrier();
  for (var half = WG_BATCH / 2u; half > 0u; half /= 2u) {
    if (lid.y < half) { partial[lid.y * WG_COLS + lid.x] += partial[(lid.y + half) * WG_COLS + lid.x]; }
    workgroupBarrier();
  }
  if (lid.y == 0u && col < COLS) {
    let idx = r * OUT_STRIDE + col;
    var value = SCALE * partial[lid.x];
    if (BETA != 0.0) { value = value + BETA * out[idx]; }
    out[idx] = value;
  }
}
