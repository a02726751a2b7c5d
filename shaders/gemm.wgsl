// Batched GEMM with optional transposes and a batch (replica) dimension:
//   C[b] = ALPHA * op(A[b]) * op(B[b]) + BETA * C[b],   op(A): M x K, op(B): K x N, C: M x N, row-major.
// A is stored K x M when TRANS_A, B is stored N x K when TRANS_B. STRIDE_A / STRIDE_B / STRIDE_C are the
// elements between consecutive batches (0 broadcasts one matrix to every batch, e.g. a shared table).
// BETA = 0 never reads C, so an uninitialised (or NaN-poisoned) C is fine.
//
// Tiling for real GPUs: a workgroup computes a TILE x TILE block of C (TILE = 4 * WG_SIDE), each thread a
// 4 x 4 register block; K advances in slabs of KSLAB staged through workgroup memory. Loads are guarded,
// so any M, N, K work (down to 1).
//
// Split-K (SPLITS > 1, driven by gemmSplitK in src/kernels/gemm.ts): when M x N is small and K long (weight
// gradients sum over the batch) there are too few tiles to fill a GPU, so the grid's z runs over
// batch * SPLITS and slice z sums only k in [split * K_SPLIT, (split + 1) * K_SPLIT). Its partial goes to
// C[z] (C is then scratch laid out [batch][SPLITS][M][N], STRIDE_C = M * N, ALPHA = 1, BETA = 0), and
// reduceRows sums the SPLITS partials in a fixed order: no atomics, the same bits every run.

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

const KSLAB: u32 = 16u;
const MAX_TILE: u32 = 64u;    // workgroup arrays are sized for WG_SIDE <= 16

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;

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

@compute @workgroup_size(WG_SIDE, WG_SIDE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tile = 4u * WG_SIDE;
  let threads = WG_SIDE * WG_SIDE;
  let batch = wid.z / SPLITS;
  let split = wid.z % SPLITS;
  let kBegin = split * K_SPLIT;
  let kEnd = select(K, min(K, kBegin + K_SPLIT), K_SPLIT > 0u);
  let row0 = wid.y * tile;
  let col0 = wid.x * tile;
  let t = lid.y * WG_SIDE + lid.x;

  var acc: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = 0.0; } }

  for (var k0 = kBegin; k0 < kEnd; k0 += KSLAB) {
    for (var e = t; e < KSLAB * tile; e += threads) {
      let kk = e / tile;
      let rc = e % tile;
      tileA[kk * MAX_TILE + rc] = loadA(batch, row0 + rc, k0 + kk, kEnd);
      tileB[kk * MAX_TILE + rc] = loadB(batch, k0 + kk, col0 + rc, kEnd);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KSLAB; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        a[i] = tileA[kk * MAX_TILE + lid.y * 4u + i];
        b[i] = tileB[kk * MAX_TILE + lid.x * 4u + i];
      }
      for (var i = 0u; i < 4u; i++) { for (var j = 0u; j < 4u; j++) { acc[i][j] = fma(a[i], b[j], acc[i][j]); } }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let row = row0 + lid.y * 4u + i;
    if (row >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + lid.x * 4u + j;
      if (col >= N) { continue; }
      let idx = wid.z * STRIDE_C + row * N + col;
      var value = ALPHA * acc[i][j];
      if (BETA != 0.0) { value = value + BETA * C[idx]; }
      C[idx] = value;
    }
  }
}
