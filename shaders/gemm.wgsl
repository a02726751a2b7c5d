// Batched GEMM with optional transposes and a batch (replica) dimension:
//   C[b] = ALPHA * op(A[b]) * op(B[b]) + BETA * C[b],   op(A): M x K, op(B): K x N, C: M x N, row-major.
// A is stored K x M when TRANS_A, B is stored N x K when TRANS_B. STRIDE_A / STRIDE_B / STRIDE_C are the
// elements between consecutive batches (0 broadcasts one matrix to every batch, e.g. a shared table).
// BETA = 0 never reads C, so an uninitialised (or NaN-poisoned) C is fine.
//
// Two ways to form the product, chosen by WORKGROUP_TILES for every entry point (src/kernels/gemm.ts offers
// them per adapter class). Either way a thread holds a THREAD_ROWS x THREAD_COLS register block of C (a workgroup
// THREAD_ROWS * WG_SIDE rows by THREAD_COLS * WG_SIDE columns), and each of its elements is fma-accumulated over k
// in increasing order from 0, so every variant gives the same bits:
//   WORKGROUP_TILES (real GPUs): K advances in slabs of KSLAB staged through workgroup memory, loads guarded;
//   4 x 4 blocks, or 8 x 8 in 8 x 8 threads (64 x 64 tiles: 16 reads of workgroup memory per 64 products);
//   otherwise (CPU adapters): each thread reads its rows of A and columns of B straight from memory, no
//   workgroup memory and no barrier. SwiftShader runs a workgroup that contains barriers as coroutines and pays
//   for every switch; ICL's 256 x 40 x 40 products took 0.4 ms there without them, 5.4-7.5 ms tiled. It pays per
//   load too: 8-row blocks (THREAD_ROWS = 8) load 12 floats per 32 products instead of 8 per 16, 8 x 8 blocks
//   (THREAD_COLS = 8) 16 per 64.
// Rows and columns past the matrix read a clamped (valid) element whose products are never stored, so any M,
// N, K work (down to 1).
//
// Split-K (SPLITS > 1, driven by gemmSplitK in src/kernels/gemm.ts): when M x N is small and K long (weight
// gradients sum over the batch) there are too few tiles to fill a GPU, so the grid's z runs over
// batch * SPLITS and slice z sums only k in [split * K_SPLIT, (split + 1) * K_SPLIT). Its partial goes to
// C[z] (C is then scratch laid out [batch][SPLITS][M][N], STRIDE_C = M * N, ALPHA = 1, BETA = 0), and
// reduceRows sums the SPLITS partials in a fixed order: no atomics, the same bits every run.
//
// Epilogues (entries other than `main`, SPLITS = 1): the FFN and the projections of the transformer
// (docs/transformer.md) apply a bias and an activation to the product, and the FFN backward multiplies the
// product by the activation's derivative; doing it in the product's own pass saves a read and a write of C.
//   withBias:           C = ALPHA * AB + bias[col] + BETA * C
//   withBiasActivation: pre = ALPHA * AB + bias[col];  C = act(pre) + BETA * C     (pre is kept for the backward)
//   activationGrad:     C = (ALPHA * AB) * act'(pre)                                 (dH = (dY W_2) o act'(pre))
// bias is [batch][N] at STRIDE_BIAS (a slab's P for a bias inside it; 0 shares one); pre has C's layout.
// act is ACTIVATION: relu (ReLU'(0) = 0) or gelu, the exact erf form 0.5 x (1 + erf(x / sqrt 2)).
// Every entry runs the same product (product()), so the epilogue never changes how AB is summed.

// #if subgroups
enable subgroups;
// QUADS: a quad's lanes run the same k loop (uniform by construction), which the uniformity analysis cannot see.
diagnostic(off, subgroup_uniformity);
// #endif

override M: u32;
override N: u32;
override K: u32;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override STRIDE_A: u32;
override STRIDE_B: u32;
override STRIDE_C: u32;
override ALPHA: f32 = 1.0;
override BETA: f32 = 0.0;
override WG_SIDE: u32 = 8u;   // threads per side; tile side = 4 * WG_SIDE
override SPLITS: u32 = 1u;
override K_SPLIT: u32 = 0u;   // k per split; 0 = all of K
override STRIDE_BIAS: u32 = 0u;
override ACTIVATION: u32 = 0u; // 1 relu, 2 gelu (ACTIVATION_GELU): for the entries that apply one
override WORKGROUP_TILES: bool = true;
override THREAD_ROWS: u32 = 4u;   // 4 or 8 (with WORKGROUP_TILES: THREAD_ROWS * WG_SIDE <= MAX_TILE)
override THREAD_COLS: u32 = 4u;   // 4 or 8 (the same)
// Without WORKGROUP_TILES, on a device with the subgroups feature: a quad's lanes share their loads (the same
// products, the same bits). With WG_SIDE 2 a workgroup is one quad of 2 x 2 blocks: the lanes of a block row
// each load half of its rows of A and swap them (quadSwapX), the lanes of a block column half of its columns
// of B (quadSwapY). With WG_SIDE a multiple of 4 a quad is four blocks side by side: each lane loads a quarter
// of their rows of A and quadBroadcast hands them round. On SwiftShader a load with a computed index costs about
// ten FMAs, a quad operation with constant lanes a few register shuffles.
override QUADS: bool = false;

// #if subgroups
fn swapX(x: f32) -> f32 { return quadSwapX(x); }
fn swapY(x: f32) -> f32 { return quadSwapY(x); }
fn fromLane(x: f32) -> vec4<f32> {
  return vec4<f32>(quadBroadcast(x, 0u), quadBroadcast(x, 1u), quadBroadcast(x, 2u), quadBroadcast(x, 3u));
}
// #else
fn swapX(x: f32) -> f32 { return x; }
fn swapY(x: f32) -> f32 { return x; }
fn fromLane(x: f32) -> vec4<f32> { return vec4<f32>(x); }
// #endif

// Component i of v, by selects (a computed index into a vector or array keeps it in memory on a CPU adapter).
fn pick(v: vec4<u32>, i: u32) -> u32 {
  return select(select(v.z, v.w, i == 3u), select(v.x, v.y, i == 1u), i < 2u);
}

const KSLAB: u32 = 16u;
const MAX_TILE: u32 = 64u;    // rows (columns) of a workgroup tile: WG_SIDE <= 16 for 4 a thread, <= 8 for 8
const MAX_THREAD_ROWS: u32 = 8u;
// A thread's block as vec4s: element (i, j) is in acc[i + MAX_THREAD_ROWS * (j / 4)][j % 4].
const MAX_BLOCK: u32 = 16u;
const ACTIVATION_GELU: u32 = 2u;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> pre: array<f32>;   // written by withBiasActivation, read by activationGrad
@group(0) @binding(5) var<storage, read> seeds: array<u32>;        // activationGradDropout: [batch] dropout seeds
@group(0) @binding(6) var<storage, read> step: array<u32>;         // activationGradDropout: [1] the step counter

// activationGradDropout: the mask of the dropout that followed the activation in the forward (docs/transformer.md),
// redrawn from (seed of batch entry z, step, DROP_LAYER, DROP_SITE) at element index row * N + col.
override DROP_THRESHOLD: u32 = 0u;
override DROP_SCALE: f32 = 1.0;
override DROP_LAYER: u32 = 0u;
override DROP_SITE: u32 = 0u;

// #include "lib/counterHash.wgsl"

var<workgroup> tileA: array<f32, KSLAB * MAX_TILE>;   // [k][row]
var<workgroup> tileB: array<f32, KSLAB * MAX_TILE>;   // [k][col]

fn loadA(batch: u32, row: u32, k: u32, kEnd: u32) -> f32 {
  if (row >= M || k >= kEnd) { return 0.0; }
  let base = batch * STRIDE_A;
  if (TRANS_A) { return A[base + k * M + row]; }
  return A[base + row * K + k];
}

fn loadB(batch: u32, k: u32, col: u32, kEnd: u32) -> f32 {
  if (k >= kEnd || col >= N) { return 0.0; }
  let base = batch * STRIDE_B;
  if (TRANS_B) { return B[base + col * K + k]; }
  return B[base + k * N + col];
}

// This thread's THREAD_ROWS x THREAD_COLS block of AB (without ALPHA) over its slice's K range, laid out as
// MAX_BLOCK says. Called by every entry point in uniform control flow (the tiled product holds workgroup barriers).
fn product(wid: vec3<u32>, lid: vec3<u32>) -> array<vec4<f32>, MAX_BLOCK> {
  if (WORKGROUP_TILES) { return tileProduct(wid, lid); }
  return registerProduct(wid, lid);
}

// Element (i, j) of a thread's block.
fn blockAt(acc: ptr<function, array<vec4<f32>, MAX_BLOCK>>, i: u32, j: u32) -> f32 {
  return (*acc)[i + MAX_THREAD_ROWS * (j / 4u)][j % 4u];
}

// The K range of grid slice z: all of K, or one split's.
fn kRange(z: u32) -> vec2<u32> {
  let kBegin = (z % SPLITS) * K_SPLIT;
  return vec2<u32>(kBegin, select(K, min(K, kBegin + K_SPLIT), K_SPLIT > 0u));
}

fn registerProduct(wid: vec3<u32>, lid: vec3<u32>) -> array<vec4<f32>, MAX_BLOCK> {
  let batch = wid.z / SPLITS;
  let range = kRange(wid.z);
  let row0 = wid.y * THREAD_ROWS * WG_SIDE + lid.y * THREAD_ROWS;
  let col0 = wid.x * THREAD_COLS * WG_SIDE + lid.x * THREAD_COLS;
  // Element (row, k) of op(A) is A[aRow(row) + k * aStep]; element (k, col) of op(B) is B[bCol(col) + k * bStep].
  let aStep = select(1u, M, TRANS_A);
  let bStep = select(N, 1u, TRANS_B);
  let lanes = vec4<u32>(0u, 1u, 2u, 3u);
  let rows = min(vec4<u32>(row0) + lanes, vec4<u32>(M - 1u));
  let moreRows = min(vec4<u32>(row0 + 4u) + lanes, vec4<u32>(M - 1u));
  let cols = min(vec4<u32>(col0) + lanes, vec4<u32>(N - 1u));
  let moreCols = min(vec4<u32>(col0 + 4u) + lanes, vec4<u32>(N - 1u));
  let aRow = vec4<u32>(batch * STRIDE_A) + select(rows * K, rows, TRANS_A);
  let aMoreRow = vec4<u32>(batch * STRIDE_A) + select(moreRows * K, moreRows, TRANS_A);
  let bCol = vec4<u32>(batch * STRIDE_B) + select(cols, cols * K, TRANS_B);
  let bMoreCol = vec4<u32>(batch * STRIDE_B) + select(moreCols, moreCols * K, TRANS_B);
  // Row i, columns 0-3 in acc<i>; columns 4-7 (THREAD_COLS 8) in acc<8 + i>.
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  var acc8 = vec4<f32>(0.0);
  var acc9 = vec4<f32>(0.0);
  var acc10 = vec4<f32>(0.0);
  var acc11 = vec4<f32>(0.0);
  var acc12 = vec4<f32>(0.0);
  var acc13 = vec4<f32>(0.0);
  var acc14 = vec4<f32>(0.0);
  var acc15 = vec4<f32>(0.0);
  // QUADS: this lane's place in its quad (x, y within a 2 x 2 workgroup; x & 3 along a row of blocks).
  let pairs = QUADS && WG_SIDE == 2u;
  let qx = lid.x & 1u;
  let qy = lid.y & 1u;
  let q = lid.x & 3u;
  for (var k = range.x; k < range.y; k++) {
    let ai = aRow + vec4<u32>(k * aStep);
    let bi = bCol + vec4<u32>(k * bStep);
    let am = aMoreRow + vec4<u32>(k * aStep);
    let bm = bMoreCol + vec4<u32>(k * bStep);
    var b: vec4<f32>;
    var a: vec4<f32>;
    var aMore = vec4<f32>(0.0);
    var bMore = vec4<f32>(0.0);
    if (pairs) {
      // B: columns 2 qy, 2 qy + 1 (and 4 + 2 qy, 5 + 2 qy) loaded here, the others from the lane of the other
      // block row.
      b = pairY(B[select(bi.x, bi.z, qy == 1u)], B[select(bi.y, bi.w, qy == 1u)], qy);
      if (THREAD_COLS == 8u) { bMore = pairY(B[select(bm.x, bm.z, qy == 1u)], B[select(bm.y, bm.w, qy == 1u)], qy); }
      // A: rows 2 qx, 2 qx + 1 (and 4 + 2 qx, 5 + 2 qx) loaded here, the others from the other block column.
      a = pairX(A[select(ai.x, ai.z, qx == 1u)], A[select(ai.y, ai.w, qx == 1u)], qx);
      if (THREAD_ROWS == 8u) { aMore = pairX(A[select(am.x, am.z, qx == 1u)], A[select(am.y, am.w, qx == 1u)], qx); }
    } else {
      b = vec4<f32>(B[bi.x], B[bi.y], B[bi.z], B[bi.w]);
      if (THREAD_COLS == 8u) { bMore = vec4<f32>(B[bm.x], B[bm.y], B[bm.z], B[bm.w]); }
      if (QUADS) {
        // The quad's four blocks share their rows: row q (and 4 + q) loaded here.
        a = fromLane(A[pick(ai, q)]);
        if (THREAD_ROWS == 8u) { aMore = fromLane(A[pick(am, q)]); }
      } else {
        a = vec4<f32>(A[ai.x], A[ai.y], A[ai.z], A[ai.w]);
        if (THREAD_ROWS == 8u) { aMore = vec4<f32>(A[am.x], A[am.y], A[am.z], A[am.w]); }
      }
    }
    acc0 = fma(vec4<f32>(a.x), b, acc0);
    acc1 = fma(vec4<f32>(a.y), b, acc1);
    acc2 = fma(vec4<f32>(a.z), b, acc2);
    acc3 = fma(vec4<f32>(a.w), b, acc3);
    if (THREAD_ROWS == 8u) {
      acc4 = fma(vec4<f32>(aMore.x), b, acc4);
      acc5 = fma(vec4<f32>(aMore.y), b, acc5);
      acc6 = fma(vec4<f32>(aMore.z), b, acc6);
      acc7 = fma(vec4<f32>(aMore.w), b, acc7);
    }
    if (THREAD_COLS == 8u) {
      acc8 = fma(vec4<f32>(a.x), bMore, acc8);
      acc9 = fma(vec4<f32>(a.y), bMore, acc9);
      acc10 = fma(vec4<f32>(a.z), bMore, acc10);
      acc11 = fma(vec4<f32>(a.w), bMore, acc11);
      if (THREAD_ROWS == 8u) {
        acc12 = fma(vec4<f32>(aMore.x), bMore, acc12);
        acc13 = fma(vec4<f32>(aMore.y), bMore, acc13);
        acc14 = fma(vec4<f32>(aMore.z), bMore, acc14);
        acc15 = fma(vec4<f32>(aMore.w), bMore, acc15);
      }
    }
  }
  return array<vec4<f32>, MAX_BLOCK>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7, acc8, acc9, acc10, acc11, acc12, acc13, acc14, acc15);
}

// QUADS pairs: the four values of a vec4 when this lane loaded two of them (x0, x1) and the lane across the quad's
// x (or y) the other two; q says which half is this lane's.
fn pairX(x0: f32, x1: f32, q: u32) -> vec4<f32> {
  let y0 = swapX(x0);
  let y1 = swapX(x1);
  return select(vec4<f32>(y0, y1, x0, x1), vec4<f32>(x0, x1, y0, y1), q == 0u);
}

fn pairY(x0: f32, x1: f32, q: u32) -> vec4<f32> {
  let y0 = swapY(x0);
  let y1 = swapY(x1);
  return select(vec4<f32>(y0, y1, x0, x1), vec4<f32>(x0, x1, y0, y1), q == 0u);
}

// The tiled product: a workgroup's THREAD_ROWS * WG_SIDE rows of A and THREAD_COLS * WG_SIDE columns of B pass
// through workgroup memory KSLAB values of k at a time (at most MAX_TILE rows and columns).
fn tileProduct(wid: vec3<u32>, lid: vec3<u32>) -> array<vec4<f32>, MAX_BLOCK> {
  let tileRows = THREAD_ROWS * WG_SIDE;
  let tileCols = THREAD_COLS * WG_SIDE;
  let threads = WG_SIDE * WG_SIDE;
  let batch = wid.z / SPLITS;
  let range = kRange(wid.z);
  let kBegin = range.x;
  let kEnd = range.y;
  let row0 = wid.y * tileRows;
  let col0 = wid.x * tileCols;
  let t = lid.y * WG_SIDE + lid.x;

  var acc: array<vec4<f32>, MAX_BLOCK>;   // zero-initialised

  for (var k0 = kBegin; k0 < kEnd; k0 += KSLAB) {
    for (var e = t; e < KSLAB * tileRows; e += threads) {
      let kk = e / tileRows;
      let r = e % tileRows;
      tileA[kk * MAX_TILE + r] = loadA(batch, row0 + r, k0 + kk, kEnd);
    }
    for (var e = t; e < KSLAB * tileCols; e += threads) {
      let kk = e / tileCols;
      let c = e % tileCols;
      tileB[kk * MAX_TILE + c] = loadB(batch, k0 + kk, col0 + c, kEnd);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KSLAB; kk++) {
      var b: array<f32, 8>;
      for (var j = 0u; j < THREAD_COLS; j++) { b[j] = tileB[kk * MAX_TILE + lid.x * THREAD_COLS + j]; }
      for (var i = 0u; i < THREAD_ROWS; i++) {
        let a = tileA[kk * MAX_TILE + lid.y * THREAD_ROWS + i];
        for (var j = 0u; j < THREAD_COLS; j++) {
          let at = i + MAX_THREAD_ROWS * (j / 4u);
          acc[at][j % 4u] = fma(a, b[j], acc[at][j % 4u]);
        }
      }
    }
    workgroupBarrier();
  }

  return acc;
}

// Where element (i, j) of this thread's block lands: x = its column, y = its index in C (and in pre); x = N
// when it lies outside the M x N matrix.
fn outputAt(wid: vec3<u32>, lid: vec3<u32>, i: u32, j: u32) -> vec2<u32> {
  let row = wid.y * THREAD_ROWS * WG_SIDE + lid.y * THREAD_ROWS + i;
  let col = wid.x * THREAD_COLS * WG_SIDE + lid.x * THREAD_COLS + j;
  if (row >= M || col >= N) { return vec2<u32>(N, 0u); }
  return vec2<u32>(col, wid.z * STRIDE_C + row * N + col);
}

@compute @workgroup_size(WG_SIDE, WG_SIDE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = product(wid, lid);
  for (var i = 0u; i < THREAD_ROWS; i++) {
    for (var j = 0u; j < THREAD_COLS; j++) {
      let at = outputAt(wid, lid, i, j);
      if (at.x == N) { continue; }
      var value = ALPHA * blockAt(&acc, i, j);
      if (BETA != 0.0) { value = value + BETA * C[at.y]; }
      C[at.y] = value;
    }
  }
}

@compute @workgroup_size(WG_SIDE, WG_SIDE)
fn withBias(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = product(wid, lid);
  // Columns outer: a column's bias is read once for the block's rows.
  for (var j = 0u; j < THREAD_COLS; j++) {
    let column = wid.x * THREAD_COLS * WG_SIDE + lid.x * THREAD_COLS + j;
    if (column >= N) { break; }
    let b = bias[wid.z * STRIDE_BIAS + column];
    for (var i = 0u; i < THREAD_ROWS; i++) {
      let at = outputAt(wid, lid, i, j);
      if (at.x == N) { break; }
      var value = ALPHA * blockAt(&acc, i, j) + b;
      if (BETA != 0.0) { value = value + BETA * C[at.y]; }
      C[at.y] = value;
    }
  }
}

@compute @workgroup_size(WG_SIDE, WG_SIDE)
fn withBiasActivation(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = product(wid, lid);
  // Columns outer, as in withBias.
  for (var j = 0u; j < THREAD_COLS; j++) {
    let column = wid.x * THREAD_COLS * WG_SIDE + lid.x * THREAD_COLS + j;
    if (column >= N) { break; }
    let b = bias[wid.z * STRIDE_BIAS + column];
    for (var i = 0u; i < THREAD_ROWS; i++) {
      let at = outputAt(wid, lid, i, j);
      if (at.x == N) { break; }
      let z = ALPHA * blockAt(&acc, i, j) + b;
      pre[at.y] = z;
      var value = activate(z);
      if (BETA != 0.0) { value = value + BETA * C[at.y]; }
      C[at.y] = value;
    }
  }
}

@compute @workgroup_size(WG_SIDE, WG_SIDE)
fn activationGrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = product(wid, lid);
  for (var i = 0u; i < THREAD_ROWS; i++) {
    for (var j = 0u; j < THREAD_COLS; j++) {
      let at = outputAt(wid, lid, i, j);
      if (at.x == N) { continue; }
      C[at.y] = ALPHA * blockAt(&acc, i, j) * activationDerivative(pre[at.y]);
    }
  }
}

// The FFN backward when the hidden layer had dropout: dZ = ((dY W_2) ∘ keep / (1 − p)) ∘ act'(pre), one pass.
@compute @workgroup_size(WG_SIDE, WG_SIDE)
fn activationGradDropout(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  var acc = product(wid, lid);
  let key = dropoutKey(seeds[wid.z], step[0], DROP_LAYER, DROP_SITE);
  for (var i = 0u; i < THREAD_ROWS; i++) {
    for (var j = 0u; j < THREAD_COLS; j++) {
      let at = outputAt(wid, lid, i, j);
      if (at.x == N) { continue; }
      let kept = select(0.0, DROP_SCALE, dropoutKeep(key, at.y - wid.z * STRIDE_C, DROP_THRESHOLD));
      C[at.y] = ALPHA * blockAt(&acc, i, j) * kept * activationDerivative(pre[at.y]);
    }
  }
}

fn activate(z: f32) -> f32 {
  if (ACTIVATION == ACTIVATION_GELU) { return 0.5 * z * (1.0 + erf(z * FRAC_1_SQRT_2)); }
  return select(0.0, z, z > 0.0);
}

fn activationDerivative(z: f32) -> f32 {
  if (ACTIVATION == ACTIVATION_GELU) {
    // d/dz z Phi(z) = Phi(z) + z phi(z)
    return 0.5 * (1.0 + erf(z * FRAC_1_SQRT_2)) + z * exp(-0.5 * z * z) * FRAC_1_SQRT_2PI;
  }
  return select(0.0, 1.0, z > 0.0);
}

const FRAC_1_SQRT_2: f32 = 0.70710678118654752;
const FRAC_1_SQRT_2PI: f32 = 0.39894228040143268;

// erf in f32 (WGSL has none), absolute error about 1.3e-7 (2 ulp near x = 0.94) in an f32 simulation with a
// correctly rounded exp; WGSL's exp may add up to 5 ulp of exp(-x^2), which is at most 5e-8 here. Coefficients
// fitted here (near-minimax, Lawson-weighted least squares on Chebyshev nodes, then rounded to f32):
//   |x| < 1:  erf x = x P(x^2), P of degree 6 (relative error 1.2e-9 before rounding), accurate near 0;
//   |x| >= 1: erf x = 1 - exp(-x^2) Q(t), t = 1 / (1 + |x| / 2), Q of degree 7 fitting erfc(x) exp(x^2) on
//             [1, 4] to 3.7e-10 (the substitution of Numerical Recipes' erfcc); |x| is clamped at 4, past
//             which erf rounds to +-1 in f32.
fn erf(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 1.0) {
    let s = x * x;
    var p = 7.853853458e-05;
    p = p * s - 8.010191377e-04;
    p = p * s + 5.188327283e-03;
    p = p * s - 2.685381100e-02;
    p = p * s + 1.128358543e-01;
    p = p * s - 3.761262596e-01;
    p = p * s + 1.128379107e+00;
    return x * p;
  }
  let a = min(ax, 4.0);
  let t = 1.0 / (1.0 + 0.5 * a);
  var q = 1.190161631e-01;
  q = q * t - 4.701521695e-01;
  q = q * t + 5.618737340e-01;
  q = q * t - 1.025929376e-01;
  q = q * t + 3.473611474e-01;
  q = q * t + 2.598016560e-01;
  q = q * t + 2.848962545e-01;
  q = q * t - 1.531881280e-04;
  return sign(x) * (1.0 - exp(-a * a) * q);
}
