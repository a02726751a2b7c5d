// Layer normalisation over the last axis (SPEC §4, PyTorch's nn.LayerNorm): rows of D_MODEL floats, ROWS of
// them in all ([REPLICAS][ROWS_PER_REPLICA], a replica's rows being its B T positions):
//   forward:        y = (x - mean) * rstd * g + b,  rstd = 1 / sqrt(var + EPS), var biased (divided by D_MODEL);
//                   saves mean and rstd per row for the backward
//   backward:       dx = rstd * (dxhat - mean_c(dxhat) - xhat * mean_c(dxhat * xhat)),  xhat = (x - mean) * rstd,
//                   dxhat = dy * g
//   paramPartials:  per block of PARAM_BLOCK_ROWS rows, partial sums over its rows of (dy * xhat, dy)
//   paramFinish:    dg = sum over blocks of the first (FINISH_BIAS false), or db of the second (true), written to
//                   `dParam` at G_STRIDE / B_STRIDE: two dispatches, because dg and db are windows into one
//                   gradient slab, and two writable windows of one buffer may not overlap in a dispatch
// g and b of replica r start r * G_STRIDE / r * B_STRIDE floats into their bindings (a slab's P inside one).
//
// Row kernels: ROW_THREADS lanes share a row (a power of two), ROWS_PER_GROUP rows per workgroup. A lane sums
// the columns lane, lane + ROW_THREADS, ... in increasing order, then a tree in workgroup memory halves the
// lanes' partial sums pairwise: the order depends only on the shapes and ROW_THREADS, never on scheduling.
// ROW_THREADS = 1 is a thread per row with no barrier (what suits SwiftShader, where barriers are dear); 32 or
// more suits GPUs (dModel 768: 24 columns a lane, coalesced). The variance is taken about the mean in a second
// pass over the row, not as E[x^2] - mean^2, which cancels for rows with a large mean.
//
// The parameter gradients sum over all of a replica's rows (8192 on a GPT-2 batch): one thread per column
// would leave a GPU idle, so paramPartials spreads rows over blocks (a thread per column per block, adjacent
// threads on adjacent columns) and paramFinish adds the blocks in increasing order.

override ROWS: u32;
override ROWS_PER_REPLICA: u32;
override D_MODEL: u32;
override EPS: f32 = 1e-5;
override G_STRIDE: u32;
override B_STRIDE: u32;
override ROW_THREADS: u32 = 32u;
override ROWS_PER_GROUP: u32 = 8u;     // ROW_THREADS * ROWS_PER_GROUP <= MAX_THREADS
override PARAM_BLOCK_ROWS: u32 = 64u;
override PARAM_WG: u32 = 64u;
override ACCUMULATE: bool = false;
override FINISH_BIAS: bool = false;   // paramFinish: write db (else dg)    // backward: dx += (the gradient) instead of dx = (pre-LN: the residual's gradient is already there)

const MAX_THREADS: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;   // [ROWS]
@group(0) @binding(5) var<storage, read_write> rstd: array<f32>;   // [ROWS]
@group(0) @binding(6) var<storage, read> dy: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;
@group(0) @binding(8) var<storage, read_write> partials: array<vec2<f32>>;  // [REPLICAS][blocks][D_MODEL]: (dg, db)
@group(0) @binding(9) var<storage, read_write> dParam: array<f32>;

var<workgroup> lanes: array<vec2<f32>, MAX_THREADS>;   // [row slot][lane]

// Two sums over the lanes of one row at once (the backward needs two; the forward uses .x). Called by every
// thread of the workgroup in uniform control flow.
fn rowSums(slot: u32, lane: u32, value: vec2<f32>) -> vec2<f32> {
  if (ROW_THREADS == 1u) { return value; }
  let base = slot * ROW_THREADS;
  lanes[base + lane] = value;
  workgroupBarrier();
  for (var half = ROW_THREADS / 2u; half > 0u; half /= 2u) {
    if (lane < half) { lanes[base + lane] += lanes[base + lane + half]; }
    workgroupBarrier();
  }
  let total = lanes[base];
  workgroupBarrier(); // every lane has read the total before the next call overwrites it
  return total;
}

@compute @workgroup_size(ROW_THREADS, ROWS_PER_GROUP)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
           @builtin(num_workgroups) groups: vec3<u32>) {
  let lane = lid.x;
  let blocks = (ROWS + ROWS_PER_GROUP - 1u) / ROWS_PER_GROUP;
  for (var rowBlock = wid.x; rowBlock < blocks; rowBlock += groups.x) {
    let row = rowBlock * ROWS_PER_GROUP + lid.y;
    let live = row < ROWS;
    let base = row * D_MODEL;
    var sum = 0.0;
    if (live) { for (var c = lane; c < D_MODEL; c += ROW_THREADS) { sum += x[base + c]; } }
    let rowMean = rowSums(lid.y, lane, vec2<f32>(sum, 0.0)).x / f32(D_MODEL);
    var squares = 0.0;
    if (live) {
      for (var c = lane; c < D_MODEL; c += ROW_THREADS) {
        let d = x[base + c] - rowMean;
        squares += d * d;
      }
    }
    let rowRstd = inverseSqrt(rowSums(lid.y, lane, vec2<f32>(squares, 0.0)).x / f32(D_MODEL) + EPS);
    if (live) {
      let replica = row / ROWS_PER_REPLICA;
      for (var c = lane; c < D_MODEL; c += ROW_THREADS) {
        y[base + c] = (x[base + c] - rowMean) * rowRstd * g[replica * G_STRIDE + c] + b[replica * B_STRIDE + c];
      }
      if (lane == 0u) {
        mean[row] = rowMean;
        rstd[row] = rowRstd;
      }
    }
  }
}

@compute @workgroup_size(ROW_THREADS, ROWS_PER_GROUP)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
            @builtin(num_workgroups) groups: vec3<u32>) {
  let lane = lid.x;
  let blocks = (ROWS + ROWS_PER_GROUP - 1u) / ROWS_PER_GROUP;
  for (var rowBlock = wid.x; rowBlock < blocks; rowBlock += groups.x) {
    let row = rowBlock * ROWS_PER_GROUP + lid.y;
    let live = row < ROWS;
    let base = row * D_MODEL;
    let gBase = (row / ROWS_PER_REPLICA) * G_STRIDE;
    var rowMean = 0.0;
    var rowRstd = 0.0;
    var sums = vec2<f32>(0.0);   // (sum dxhat, sum dxhat * xhat)
    if (live) {
      rowMean = mean[row];
      rowRstd = rstd[row];
      for (var c = lane; c < D_MODEL; c += ROW_THREADS) {
        let dxhat = dy[base + c] * g[gBase + c];
        sums += vec2<f32>(dxhat, dxhat * (x[base + c] - rowMean) * rowRstd);
      }
    }
    let means = rowSums(lid.y, lane, sums) / f32(D_MODEL);
    if (live) {
      for (var c = lane; c < D_MODEL; c += ROW_THREADS) {
        let dxhat = dy[base + c] * g[gBase + c];
        let xhat = (x[base + c] - rowMean) * rowRstd;
        let prior = select(0.0, dx[base + c], ACCUMULATE);
        dx[base + c] = prior + rowRstd * (dxhat - means.x - xhat * means.y);
      }
    }
  }
}

// Grid: (column groups, row blocks, replica).
@compute @workgroup_size(PARAM_WG)
fn paramPartials(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= D_MODEL) { return; }
  let rowBlock = gid.y;
  let replica = gid.z;
  let first = rowBlock * PARAM_BLOCK_ROWS;
  let end = min(ROWS_PER_REPLICA, first + PARAM_BLOCK_ROWS);
  var sums = vec2<f32>(0.0);   // (sum dy * xhat, sum dy)
  for (var n = first; n < end; n++) {
    let row = replica * ROWS_PER_REPLICA + n;
    let d = dy[row * D_MODEL + c];
    sums += vec2<f32>(d * (x[row * D_MODEL + c] - mean[row]) * rstd[row], d);
  }
  let blocks = (ROWS_PER_REPLICA + PARAM_BLOCK_ROWS - 1u) / PARAM_BLOCK_ROWS;
  partials[(replica * blocks + rowBlock) * D_MODEL + c] = sums;
}

// Grid: (column groups, replica).
@compute @workgroup_size(PARAM_WG)
fn paramFinish(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= D_MODEL) { return; }
  let replica = gid.y;
  let blocks = (ROWS_PER_REPLICA + PARAM_BLOCK_ROWS - 1u) / PARAM_BLOCK_ROWS;
  var sums = vec2<f32>(0.0);
  for (var rowBlock = 0u; rowBlock < blocks; rowBlock++) { sums += partials[(replica * blocks + rowBlock) * D_MODEL + c]; }
  if (FINISH_BIAS) { dParam[replica * B_STRIDE + c] = sums.y; } else { dParam[replica * G_STRIDE + c] = sums.x; }
}
