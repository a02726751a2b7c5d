// The language-model head's loss and its gradient, chunked over the vocabulary so that the N×V logits never
// have to exist whole (V = 50 000). A chunk is the vocabulary columns [start, start + width); `gemm` writes its
// logits x·W_decᵀ [R][N][width] without the bias, and this file's entries do the rest:
//   chunkForward:  one workgroup per row: the chunk's max and Σ exp (each thread an online max/sum over columns
//                  t, t + WG, …, then a pairwise tree of (max, sum) merges), merged into the row's running
//                  (max, sum) carried from the earlier chunks, and the target's logit where the chunk holds it.
//                  Chunks run in a fixed order, so the merges do too.
//   finish:        one workgroup per replica: lse = max + log(sum), per-row loss = lse − logit[target], and the
//                  batch mean over the N = B·T rows (threads strided over rows, then a pairwise tree).
//   chunkBackward: one thread per element, in place: dlogits = (softmax − onehot(target)) / N, where
//                  softmax = exp(logit + b_dec − lse) with the finished lse; gemm and reduceRows then give dx,
//                  dW_dec and db_dec from it (src/kernels/vocabCrossEntropy.ts).
// Row kernels for CPU adapters (src/kernels/vocabCrossEntropy.ts offers them per adapter class): with WG = 1,
// chunkForward is a thread per row (ROWS_PER_GROUP rows to a workgroup) and finish a thread per replica, with no
// workgroup memory traffic and no barrier (which SwiftShader runs as coroutine switches); with BACKWARD_BY_ROW,
// chunkBackward is a thread per row, dividing out its row and target once instead of per element (the same
// values as a thread per element). A variant's sums run in an order fixed by its constants.
// The bias b_dec is added here (never stored in the logits), so the logits the forward leaves in the buffer (the
// last chunk's) serve the backward as they are. Targets are tokens[r][b][t + 1] ([R][B][T + 1], SPEC §4's LM
// batch); a target must be < V (no chunk would hold it). Every order of operations depends on the shapes and WG
// only: the same bits on every run, no atomics.

override ROWS: u32;               // R·N
override ROWS_PER_REPLICA: u32;   // N = B·T
override T: u32;
override TOKEN_STRIDE: u32;       // T + 1
override BIAS_STRIDE: u32;        // P: b_dec of replica r starts r·P floats into the bias window
override WG: u32 = 64u;           // a power of two for chunkForward (threads per row) and finish
override ROWS_PER_GROUP: u32 = 1u; // chunkForward: WG * ROWS_PER_GROUP <= MAX_THREADS
override BACKWARD_BY_ROW: bool = false;

const MAX_THREADS: u32 = 256u;

const LOWEST: f32 = -3.4e38;   // stands for −∞ as the running max of no columns (its sum is 0)

@group(0) @binding(0) var<storage, read_write> logits: array<f32>;     // chunk [R][N][width]
@group(0) @binding(1) var<storage, read> bias: array<f32>;             // b_dec window [R][P]
@group(0) @binding(2) var<storage, read> tokens: array<u32>;           // [R][B][T + 1]
@group(0) @binding(3) var<storage, read> chunk: array<u32>;            // [start, width] of this chunk
@group(0) @binding(4) var<storage, read_write> rowStats: array<vec4<f32>>; // [R·N]: max, Σ exp, target logit, lse
@group(0) @binding(5) var<storage, read_write> rowLoss: array<f32>;    // [R·N]
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;       // [R]

var<workgroup> lanes: array<vec2<f32>, MAX_THREADS>;   // chunkForward: [row slot][lane]; finish: [lane]

fn targetToken(row: u32) -> u32 {
  return tokens[(row / T) * TOKEN_STRIDE + row % T + 1u];
}

/** (max, Σ exp(· − max)) of two column sets combined; an empty set is (LOWEST, 0). */
fn merge(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let m = max(a.x, b.x);
  return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

@compute @workgroup_size(WG, ROWS_PER_GROUP)
fn chunkForward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>) {
  let start = chunk[0];
  let width = chunk[1];
  let slot = lid.y * WG;
  let blocks = (ROWS + ROWS_PER_GROUP - 1u) / ROWS_PER_GROUP;
  for (var rowBlock = wid.x; rowBlock < blocks; rowBlock += groups.x) {
    let row = rowBlock * ROWS_PER_GROUP + lid.y;
    let live = row < ROWS;
    let biasBase = (row / ROWS_PER_REPLICA) * BIAS_STRIDE + start;
    let base = row * width;
    var m = LOWEST;
    var s = 0.0;
    if (live) {
      for (var c = lid.x; c < width; c += WG) {
        let l = logits[base + c] + bias[biasBase + c];
        if (l > m) {
          s = fma(s, exp(m - l), 1.0);
          m = l;
        } else {
          s += exp(l - m);
        }
      }
    }
    var total = vec2<f32>(m, s);
    if (WG > 1u) {
      lanes[slot + lid.x] = total;
      workgroupBarrier();
      for (var half = WG / 2u; half > 0u; half /= 2u) {
        if (lid.x < half) { lanes[slot + lid.x] = merge(lanes[slot + lid.x], lanes[slot + lid.x + half]); }
        workgroupBarrier();
      }
      total = lanes[slot];
      workgroupBarrier();   // lanes is reused by the next block of rows
    }
    if (lid.x == 0u && live) {
      var state = vec4<f32>(total, 0.0, 0.0);
      if (start > 0u) {
        let previous = rowStats[row];
        state = vec4<f32>(merge(previous.xy, total), previous.z, 0.0);
      }
      let nextToken = targetToken(row);
      if (nextToken >= start && nextToken - start < width) {
        state.z = logits[base + nextToken - start] + bias[biasBase + nextToken - start];
      }
      rowStats[row] = state;
    }
  }
}

@compute @workgroup_size(WG)
fn finish(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.x;
  var sum = 0.0;
  for (var n = lid.x; n < ROWS_PER_REPLICA; n += WG) {
    let row = r * ROWS_PER_REPLICA + n;
    var state = rowStats[row];
    state.w = state.x + log(state.y);
    rowStats[row] = state;
    let value = state.w - state.z;
    rowLoss[row] = value;
    sum += value;
  }
  if (WG > 1u) {
    lanes[lid.x] = vec2<f32>(sum, 0.0);
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
      if (lid.x < half) { lanes[lid.x].x += lanes[lid.x + half].x; }
      workgroupBarrier();
    }
    sum = lanes[0].x;
  }
  if (lid.x == 0u) { loss[r] = sum / f32(ROWS_PER_REPLICA); }
}

@compute @workgroup_size(WG)
fn chunkBackward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let start = chunk[0];
  let width = chunk[1];
  let scale = 1.0 / f32(ROWS_PER_REPLICA);
  if (BACKWARD_BY_ROW) {
    for (var row = gid.x; row < ROWS; row += groups.x * WG) {
      let biasBase = (row / ROWS_PER_REPLICA) * BIAS_STRIDE + start;
      let lse = rowStats[row].w;
      let targetColumn = targetToken(row);
      for (var c = 0u; c < width; c++) {
        let e = row * width + c;
        var p = exp(logits[e] + bias[biasBase + c] - lse);
        if (start + c == targetColumn) { p -= 1.0; }
        logits[e] = p * scale;
      }
    }
    return;
  }
  for (var e = gid.x; e < ROWS * width; e += groups.x * WG) {
    let row = e / width;
    let c = e % width;
    let l = logits[e] + bias[(row / ROWS_PER_REPLICA) * BIAS_STRIDE + start + c];
    var p = exp(l - rowStats[row].w);
    if (start + c == targetToken(row)) { p -= 1.0; }
    logits[e] = p * scale;
  }
}
