// Fused multi-head attention (SPEC §4, docs/transformer.md), forward and backward, with the replica dimension.
// Per sequence (replica r, sequence b: z = r·BATCH + b) and head h:
//   S = Q Kᵀ · SCALE (SCALE = 1/√dHead), causal: S[t][s] = −∞ for s > t;  A = softmax_s(S);  O = (A ∘ Z) V
// where Z is inverted dropout on the probabilities (site 1: Z = keep / (1 − p), else 1); the softmax normaliser
// uses the undropped A.
// Layouts: Q, K, V are read straight from the QKV projection's output qkv [R][B][T][3·dModel] (head h's Q at
// columns h·dHead.., K at dModel + h·dHead.., V at 2·dModel + h·dHead..); O is [R][B][T][dModel] with the heads
// concatenated, lse (logsumexp of each row of S) [R][B][nHeads][T]; dO has O's layout and dQKV qkv's.
//
// Entries (each workgroup owns a block of rows of one (z, h); a row has LANES threads):
//   forward            query rows; online softmax over key tiles staged in workgroup memory (no T×T matrix
//                      anywhere in global memory); writes O and lse.
//   backwardQuery      query rows; delta = rowsum(dO ∘ O) (holds with dropout too: O is the dropped output),
//                      then dQ = SCALE · Σ_s dS[t][s] K[s] over key tiles, with dS = P (Z·(dO·V) − delta).
//   backwardKeyValue   key rows; dV = Σ_t (P ∘ Z)[t][s] dO[t] and dK = SCALE · Σ_t dS[t][s] Q[t] over query
//                      tiles; reads backwardQuery's delta, so it runs second. Each output element has exactly
//                      one writer: no atomics, every sum in a fixed order, the same bits every run.
//   probabilities      query rows; writes A [R][B][nHeads][T][T] (no dropout; zeros above the diagonal when
//                      causal) for the metrics, from two passes over the key tiles (statistics, then A).
// Causal blocks skip every tile that lies wholly above the diagonal. The dropout mask is recomputed from the
// counter hash wherever it is needed, once per (t, s) per pass, never stored.
//
// Threads: lane ℓ of a row computes the scores (and exponentials, and mask bits) of the tile's keys ℓ, ℓ + LANES,
// … as whole dot products over dHead, and owns the output's 4-float chunks ℓ, ℓ + LANES, …, so no dot product
// is split across threads. A tile's row maximum and row sum combine the LANES per-lane values in lane order,
// and every lane of a row does that same combination, so all hold identical statistics.
// Workgroup memory holds rows of 4-float chunks (dHead rounded up to a multiple of 4, zero-padded) so that the
// dot products read vec4s; rows are ROW_STRIDE chunks apart, an odd number, so that the 8 rows a warp reads at
// once fall in different banks. Global loads are scalar and consecutive across threads (a head's columns need
// not be 4-aligned: dHead = 3 works).
//
// Masked scores hold MASKED, a large finite negative number rather than −∞ (WGSL makes no promise about
// infinities): exp(MASKED − m) is exactly 0 for any finite running maximum m, and a maximum over a row whose
// every entry is masked stays finite.
// #include "lib/counterHash.wgsl"

override BATCH: u32;                       // sequences per replica
override T: u32;                           // positions
override N_HEADS: u32;
override D_HEAD: u32;
override CAUSAL: bool = true;
override SCALE: f32;                       // 1/√dHead, rounded once on the host
override DROPOUT: bool = false;
override DROP_THRESHOLD: u32 = 0u;         // round(p · 2^24): lib/counterHash.wgsl's dropoutKeep
override DROP_SCALE: f32 = 1.0;            // 1/(1 − p)
override LAYER: u32 = 0u;

// Variants (src/kernels/attention.ts picks them to fit the adapter's workgroup memory).
override LANES: u32 = 4u;                  // threads per row
override QUERY_ROWS: u32 = 32u;            // forward, backwardQuery, probabilities: query rows per workgroup
override KEY_TILE: u32 = 32u;              //   and keys per staged tile
override KEY_ROWS: u32 = 32u;              // backwardKeyValue: key rows per workgroup
override QUERY_TILE: u32 = 32u;            //   and queries per staged tile

override D_MODEL: u32 = N_HEADS * D_HEAD;
override QKV_WIDTH: u32 = 3u * D_MODEL;
override CHUNKS: u32 = (D_HEAD + 3u) / 4u; // 4-float chunks per head row
override ROW_STRIDE: u32 = CHUNKS | 1u;
override LANE_CHUNKS: u32 = (CHUNKS + LANES - 1u) / LANES;

const MAX_LANE_CHUNKS: u32 = 32u;          // per-thread accumulators: dHead ≤ 128·LANES (the wrapper checks)
const MASKED: f32 = -3.0e38;
const SITE_ATTENTION: u32 = 1u;            // docs/transformer.md: dropout site of the attention probabilities

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> seeds: array<u32>;       // [R]
@group(0) @binding(2) var<storage, read> stepCounter: array<u32>; // [1], the model's step counter
@group(0) @binding(3) var<storage, read_write> o: array<f32>;     // forward writes, backwardQuery reads
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;   // forward writes, the backward entries read
@group(0) @binding(5) var<storage, read> dO: array<f32>;
@group(0) @binding(6) var<storage, read_write> delta: array<f32>; // [R][B][nHeads][T]: backwardQuery → backwardKeyValue
@group(0) @binding(7) var<storage, read_write> dQKV: array<f32>;
@group(0) @binding(8) var<storage, read_write> probs: array<f32>;

// forward, backwardQuery, probabilities
var<workgroup> queryRowsQ: array<vec4<f32>, QUERY_ROWS * ROW_STRIDE>;
var<workgroup> queryRowsGradOut: array<vec4<f32>, QUERY_ROWS * ROW_STRIDE>;
var<workgroup> keyTileK: array<vec4<f32>, KEY_TILE * ROW_STRIDE>;
var<workgroup> keyTileV: array<vec4<f32>, KEY_TILE * ROW_STRIDE>;
var<workgroup> rowByKey: array<f32, QUERY_ROWS * KEY_TILE>;  // scores, then weights (forward); dS (backwardQuery)
var<workgroup> rowLaneMax: array<f32, QUERY_ROWS * LANES>;
var<workgroup> rowLaneSum: array<f32, QUERY_ROWS * LANES>;
// backwardKeyValue
var<workgroup> keyRowsK: array<vec4<f32>, KEY_ROWS * ROW_STRIDE>;
var<workgroup> keyRowsV: array<vec4<f32>, KEY_ROWS * ROW_STRIDE>;
var<workgroup> queryTileQ: array<vec4<f32>, QUERY_TILE * ROW_STRIDE>;
var<workgroup> queryTileGradOut: array<vec4<f32>, QUERY_TILE * ROW_STRIDE>;
var<workgroup> queryTileLse: array<f32, QUERY_TILE>;
var<workgroup> queryTileDelta: array<f32, QUERY_TILE>;
var<workgroup> queryByKeyP: array<f32, QUERY_TILE * KEY_ROWS>;   // (P ∘ Z)[t][s]
var<workgroup> queryByKeyDS: array<f32, QUERY_TILE * KEY_ROWS>;  // dS[t][s]

fn visible(t: u32, s: u32) -> bool {
  return t < T && s < T && (!CAUSAL || s <= t);
}

// Keys a block of query rows [q0, q0 + rows) attends to: [0, keyEnd).
fn keyEnd(q0: u32, rows: u32) -> u32 {
  return select(T, min(T, q0 + rows), CAUSAL);
}

fn headColumn(part: u32, h: u32) -> u32 {   // part 0 = Q, 1 = K, 2 = V
  return part * D_MODEL + h * D_HEAD;
}

fn statIndex(z: u32, h: u32, t: u32) -> u32 {
  return (z * N_HEADS + h) * T + t;
}

// Staging: element e of a block of `rows` head rows starting at position t0 is row e / (4·CHUNKS), float
// d = e % (4·CHUNKS); floats past T or past dHead are zeros. Consecutive threads read consecutive floats.
fn stagedRow(e: u32) -> u32 { return e / (4u * CHUNKS); }
fn stagedFloat(e: u32) -> u32 { return e % (4u * CHUNKS); }
fn stagedSlot(e: u32) -> u32 { return stagedRow(e) * ROW_STRIDE + stagedFloat(e) / 4u; }

fn qkvAt(z: u32, t: u32, column: u32, d: u32) -> f32 {
  if (t >= T || d >= D_HEAD) { return 0.0; }
  return qkv[(z * T + t) * QKV_WIDTH + column + d];
}

fn gradOutAt(z: u32, t: u32, h: u32, d: u32) -> f32 {
  if (t >= T || d >= D_HEAD) { return 0.0; }
  return dO[(z * T + t) * D_MODEL + h * D_HEAD + d];
}

fn outAt(z: u32, t: u32, h: u32, d: u32) -> f32 {
  if (t >= T || d >= D_HEAD) { return 0.0; }
  return o[(z * T + t) * D_MODEL + h * D_HEAD + d];
}

fn dropoutKeyOf(z: u32) -> u32 {
  return dropoutKey(seeds[z / BATCH], stepCounter[0], LAYER, SITE_ATTENTION);
}

// Z[t][s]: the probability's dropout factor; the mask index is docs/transformer.md's ((b·nHeads + h)·T + t)·T + s.
fn keepFactor(key: u32, z: u32, h: u32, t: u32, s: u32) -> f32 {
  if (!DROPOUT) { return 1.0; }
  let index = (((z % BATCH) * N_HEADS + h) * T + t) * T + s;
  return select(0.0, DROP_SCALE, dropoutKeep(key, index, DROP_THRESHOLD));
}

fn loadQueryRowsQ(z: u32, h: u32, q0: u32, tid: u32) {
  for (var e = tid; e < QUERY_ROWS * 4u * CHUNKS; e += LANES * QUERY_ROWS) {
    queryRowsQ[stagedSlot(e)][e % 4u] = qkvAt(z, q0 + stagedRow(e), headColumn(0u, h), stagedFloat(e));
  }
}

fn loadKeyTileK(z: u32, h: u32, k0: u32, tid: u32) {
  for (var e = tid; e < KEY_TILE * 4u * CHUNKS; e += LANES * QUERY_ROWS) {
    keyTileK[stagedSlot(e)][e % 4u] = qkvAt(z, k0 + stagedRow(e), headColumn(1u, h), stagedFloat(e));
  }
}

fn loadKeyTileV(z: u32, h: u32, k0: u32, tid: u32) {
  for (var e = tid; e < KEY_TILE * 4u * CHUNKS; e += LANES * QUERY_ROWS) {
    keyTileV[stagedSlot(e)][e % 4u] = qkvAt(z, k0 + stagedRow(e), headColumn(2u, h), stagedFloat(e));
  }
}

// S[t][s] for query row `row` of the block and key j of the tile, both staged.
fn queryKeyScore(row: u32, j: u32) -> f32 {
  var sum = 0.0;
  for (var c = 0u; c < CHUNKS; c++) { sum += dot(queryRowsQ[row * ROW_STRIDE + c], keyTileK[j * ROW_STRIDE + c]); }
  return SCALE * sum;
}

// Online softmax statistics of a row: running maximum m and running sum l of exp(S − m).
struct RowStats {
  m: f32,
  l: f32,
}

// One key tile's step of the online softmax (forward and the probabilities' first pass), between barriers:
// the lanes score their keys, then exponentiate them against the new maximum and store the weights
// exp(S − m)·Z in rowByKey; the statistics take the tile's sum of the undropped exp(S − m). Returns the
// factor exp(m_old − m_new) that rescales accumulators of earlier tiles. Call from uniform control flow.
fn softmaxTile(z: u32, h: u32, key: u32, t: u32, k0: u32, row: u32, lane: u32, stats: ptr<function, RowStats>) -> f32 {
  var laneMax = MASKED;
  for (var j = lane; j < KEY_TILE; j += LANES) {
    var score = MASKED;
    if (visible(t, k0 + j)) { score = queryKeyScore(row, j); }
    rowByKey[row * KEY_TILE + j] = score;
    laneMax = max(laneMax, score);
  }
  rowLaneMax[row * LANES + lane] = laneMax;
  workgroupBarrier();
  var m = (*stats).m;
  for (var other = 0u; other < LANES; other++) { m = max(m, rowLaneMax[row * LANES + other]); }
  var laneSum = 0.0;
  for (var j = lane; j < KEY_TILE; j += LANES) {
    let p = exp(rowByKey[row * KEY_TILE + j] - m);
    laneSum += p;
    rowByKey[row * KEY_TILE + j] = p * keepFactor(key, z, h, t, k0 + j);
  }
  rowLaneSum[row * LANES + lane] = laneSum;
  workgroupBarrier();
  var sum = 0.0;
  for (var other = 0u; other < LANES; other++) { sum += rowLaneSum[row * LANES + other]; }
  let correction = exp((*stats).m - m);
  (*stats).l = (*stats).l * correction + sum;
  (*stats).m = m;
  return correction;
}

@compute @workgroup_size(LANES, QUERY_ROWS)
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let z = wid.z;
  let h = wid.y;
  let q0 = wid.x * QUERY_ROWS;
  let lane = lid.x;
  let row = lid.y;
  let t = q0 + row;
  var key = 0u;
  if (DROPOUT) { key = dropoutKeyOf(z); }

  loadQueryRowsQ(z, h, q0, tid);
  var stats = RowStats(MASKED, 0.0);
  var acc: array<vec4<f32>, MAX_LANE_CHUNKS>; // zero-initialised
  let end = keyEnd(q0, QUERY_ROWS);
  for (var k0 = 0u; k0 < end; k0 += KEY_TILE) {
    workgroupBarrier(); // the previous tile's readers are done
    loadKeyTileK(z, h, k0, tid);
    loadKeyTileV(z, h, k0, tid);
    workgroupBarrier();
    let correction = softmaxTile(z, h, key, t, k0, row, lane, &stats);
    for (var k = 0u; k < LANE_CHUNKS; k++) { acc[k] *= correction; }
    for (var j = 0u; j < KEY_TILE; j++) {
      let weight = rowByKey[row * KEY_TILE + j];
      for (var k = 0u; k < LANE_CHUNKS; k++) {
        let c = lane + k * LANES;
        if (c < CHUNKS) { acc[k] += weight * keyTileV[j * ROW_STRIDE + c]; }
      }
    }
  }

  if (t >= T) { return; }
  let inverse = 1.0 / stats.l;
  let base = (z * T + t) * D_MODEL + h * D_HEAD;
  for (var k = 0u; k < LANE_CHUNKS; k++) {
    let c = lane + k * LANES;
    for (var e = 0u; e < 4u; e++) {
      let d = 4u * c + e;
      if (c < CHUNKS && d < D_HEAD) { o[base + d] = acc[k][e] * inverse; }
    }
  }
  if (lane == 0u) { lse[statIndex(z, h, t)] = stats.m + log(stats.l); }
}

@compute @workgroup_size(LANES, QUERY_ROWS)
fn backwardQuery(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let z = wid.z;
  let h = wid.y;
  let q0 = wid.x * QUERY_ROWS;
  let lane = lid.x;
  let row = lid.y;
  let t = q0 + row;
  var key = 0u;
  if (DROPOUT) { key = dropoutKeyOf(z); }

  loadQueryRowsQ(z, h, q0, tid);
  for (var e = tid; e < QUERY_ROWS * 4u * CHUNKS; e += LANES * QUERY_ROWS) {
    queryRowsGradOut[stagedSlot(e)][e % 4u] = gradOutAt(z, q0 + stagedRow(e), h, stagedFloat(e));
  }
  workgroupBarrier();
  // Every lane sums delta over the whole row in the same order (identical values, no cross-lane reduction).
  var rowDelta = 0.0;
  for (var c = 0u; c < CHUNKS; c++) {
    let outChunk = vec4<f32>(outAt(z, t, h, 4u * c), outAt(z, t, h, 4u * c + 1u), outAt(z, t, h, 4u * c + 2u), outAt(z, t, h, 4u * c + 3u));
    rowDelta += dot(queryRowsGradOut[row * ROW_STRIDE + c], outChunk);
  }
  var rowLse = 0.0;
  if (t < T) {
    rowLse = lse[statIndex(z, h, t)];
    if (lane == 0u) { delta[statIndex(z, h, t)] = rowDelta; }
  }

  var acc: array<vec4<f32>, MAX_LANE_CHUNKS>; // zero-initialised
  let end = keyEnd(q0, QUERY_ROWS);
  for (var k0 = 0u; k0 < end; k0 += KEY_TILE) {
    workgroupBarrier();
    loadKeyTileK(z, h, k0, tid);
    loadKeyTileV(z, h, k0, tid);
    workgroupBarrier();
    for (var j = lane; j < KEY_TILE; j += LANES) {
      let s = k0 + j;
      var dS = 0.0;
      if (visible(t, s)) {
        let p = exp(queryKeyScore(row, j) - rowLse);
        var dP = 0.0;
        for (var c = 0u; c < CHUNKS; c++) { dP += dot(queryRowsGradOut[row * ROW_STRIDE + c], keyTileV[j * ROW_STRIDE + c]); }
        dS = p * (keepFactor(key, z, h, t, s) * dP - rowDelta);
      }
      rowByKey[row * KEY_TILE + j] = dS;
    }
    workgroupBarrier();
    for (var j = 0u; j < KEY_TILE; j++) {
      let dS = rowByKey[row * KEY_TILE + j];
      for (var k = 0u; k < LANE_CHUNKS; k++) {
        let c = lane + k * LANES;
        if (c < CHUNKS) { acc[k] += dS * keyTileK[j * ROW_STRIDE + c]; }
      }
    }
  }

  if (t >= T) { return; }
  let base = (z * T + t) * QKV_WIDTH + headColumn(0u, h);
  for (var k = 0u; k < LANE_CHUNKS; k++) {
    let c = lane + k * LANES;
    for (var e = 0u; e < 4u; e++) {
      let d = 4u * c + e;
      if (c < CHUNKS && d < D_HEAD) { dQKV[base + d] = SCALE * acc[k][e]; }
    }
  }
}

@compute @workgroup_size(LANES, KEY_ROWS)
fn backwardKeyValue(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let z = wid.z;
  let h = wid.y;
  let s0 = wid.x * KEY_ROWS;
  let lane = lid.x;
  let row = lid.y;
  let s = s0 + row;
  let threads = LANES * KEY_ROWS;
  var key = 0u;
  if (DROPOUT) { key = dropoutKeyOf(z); }

  for (var e = tid; e < KEY_ROWS * 4u * CHUNKS; e += threads) {
    keyRowsK[stagedSlot(e)][e % 4u] = qkvAt(z, s0 + stagedRow(e), headColumn(1u, h), stagedFloat(e));
    keyRowsV[stagedSlot(e)][e % 4u] = qkvAt(z, s0 + stagedRow(e), headColumn(2u, h), stagedFloat(e));
  }
  var accK: array<vec4<f32>, MAX_LANE_CHUNKS>; // zero-initialised
  var accV: array<vec4<f32>, MAX_LANE_CHUNKS>;

  // Causal: queries before the block's first key see none of its keys.
  let start = select(0u, s0, CAUSAL);
  for (var q0 = start; q0 < T; q0 += QUERY_TILE) {
    workgroupBarrier();
    for (var e = tid; e < QUERY_TILE * 4u * CHUNKS; e += threads) {
      queryTileQ[stagedSlot(e)][e % 4u] = qkvAt(z, q0 + stagedRow(e), headColumn(0u, h), stagedFloat(e));
      queryTileGradOut[stagedSlot(e)][e % 4u] = gradOutAt(z, q0 + stagedRow(e), h, stagedFloat(e));
    }
    for (var i = tid; i < QUERY_TILE; i += threads) {
      let t = q0 + i;
      var rowLse = 0.0;
      var rowDelta = 0.0;
      if (t < T) {
        rowLse = lse[statIndex(z, h, t)];
        rowDelta = delta[statIndex(z, h, t)];
      }
      queryTileLse[i] = rowLse;
      queryTileDelta[i] = rowDelta;
    }
    workgroupBarrier();
    for (var i = lane; i < QUERY_TILE; i += LANES) {
      let t = q0 + i;
      var pDropped = 0.0;
      var dS = 0.0;
      if (visible(t, s)) {
        var score = 0.0;
        var dP = 0.0;
        for (var c = 0u; c < CHUNKS; c++) {
          score += dot(queryTileQ[i * ROW_STRIDE + c], keyRowsK[row * ROW_STRIDE + c]);
          dP += dot(queryTileGradOut[i * ROW_STRIDE + c], keyRowsV[row * ROW_STRIDE + c]);
        }
        let p = exp(SCALE * score - queryTileLse[i]);
        let keep = keepFactor(key, z, h, t, s);
        pDropped = p * keep;
        dS = p * (keep * dP - queryTileDelta[i]);
      }
      queryByKeyP[i * KEY_ROWS + row] = pDropped;
      queryByKeyDS[i * KEY_ROWS + row] = dS;
    }
    workgroupBarrier();
    for (var i = 0u; i < QUERY_TILE; i++) {
      let pDropped = queryByKeyP[i * KEY_ROWS + row];
      let dS = queryByKeyDS[i * KEY_ROWS + row];
      for (var k = 0u; k < LANE_CHUNKS; k++) {
        let c = lane + k * LANES;
        if (c < CHUNKS) {
          accV[k] += pDropped * queryTileGradOut[i * ROW_STRIDE + c];
          accK[k] += dS * queryTileQ[i * ROW_STRIDE + c];
        }
      }
    }
  }

  if (s >= T) { return; }
  let base = (z * T + s) * QKV_WIDTH;
  for (var k = 0u; k < LANE_CHUNKS; k++) {
    let c = lane + k * LANES;
    for (var e = 0u; e < 4u; e++) {
      let d = 4u * c + e;
      if (c < CHUNKS && d < D_HEAD) {
        dQKV[base + headColumn(1u, h) + d] = SCALE * accK[k][e];
        dQKV[base + headColumn(2u, h) + d] = accV[k][e];
      }
    }
  }
}

@compute @workgroup_size(LANES, QUERY_ROWS)
fn probabilities(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) tid: u32,
) {
  let z = wid.z;
  let h = wid.y;
  let q0 = wid.x * QUERY_ROWS;
  let lane = lid.x;
  let row = lid.y;
  let t = q0 + row;

  loadQueryRowsQ(z, h, q0, tid);
  // The forward's statistics, computed the same way (so lse has the forward's bits).
  var stats = RowStats(MASKED, 0.0);
  let end = keyEnd(q0, QUERY_ROWS);
  for (var k0 = 0u; k0 < end; k0 += KEY_TILE) {
    workgroupBarrier();
    loadKeyTileK(z, h, k0, tid);
    workgroupBarrier();
    softmaxTile(z, h, 0u, t, k0, row, lane, &stats);
  }
  let rowLse = stats.m + log(stats.l);

  // Every column of every row is written, zeros included.
  let base = statIndex(z, h, t) * T;
  for (var k0 = 0u; k0 < T; k0 += KEY_TILE) {
    if (k0 < end) {
      workgroupBarrier();
      loadKeyTileK(z, h, k0, tid);
      workgroupBarrier();
    }
    for (var j = lane; j < KEY_TILE; j += LANES) {
      let s = k0 + j;
      if (t < T && s < T) {
        var p = 0.0;
        if (visible(t, s)) { p = exp(queryKeyScore(row, j) - rowLse); }
        probs[base + s] = p;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Thread-per-row variants (forwardRows, backwardQueryRows, backwardKeyValueRows, probabilitiesRows): one thread
// owns one (z, h, t) row (a key row s for the dK/dV pass), reads Q, K, V and dO straight from global memory and
// accumulates its output row in place, in the order of s (t for dK/dV): no workgroup memory, no barriers and no
// per-thread arrays. On a CPU adapter (SwiftShader) barriers and dynamically indexed thread-private arrays cost far
// more than the loads they save; on a GPU the tiled entries above are the ones to use. The same contracts and
// layouts as the tiled entries; the sums run in another order, so the bits differ from theirs, and each variant
// gives the same bits every run. Rows are numbered as lse is, (z · N_HEADS + h) · T + t, over a 2-D grid.
override SEQUENCES: u32 = 1u;              // R · BATCH: bounds the rows
override ROW_WG: u32 = 64u;                // threads per workgroup

fn rowOf(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * ROW_WG;
}

// Rows are walked four at a time (keys s..s+3 of a query row; queries t..t+3 of a key row): a thread then reads its
// own row once for four partners, and its output row once for four updates. Each sum keeps the one-at-a-time order
// (d for a dot product, s or t for an output row), so the bits are those of a walk one row at a time. Partners past
// the end are clamped to the last position for their loads and weigh exactly 0: adding 0·x leaves an output that
// starts at +0 unchanged, bit for bit.

// Where head row `part` (0 Q, 1 K, 2 V) of positions p..p+3 of sequence z starts in qkv (and dQKV), clamped to T.
fn headRows4(z: u32, part: u32, h: u32, p: u32) -> vec4<u32> {
  let at = min(vec4<u32>(p) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(T - 1u));
  return (vec4<u32>(z * T) + at) * QKV_WIDTH + vec4<u32>(headColumn(part, h));
}

// Where the rows of positions p..p+3 start in o and dO (clamped to T).
fn outRows4(z: u32, h: u32, p: u32) -> vec4<u32> {
  let at = min(vec4<u32>(p) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(T - 1u));
  return (vec4<u32>(z * T) + at) * D_MODEL + vec4<u32>(h * D_HEAD);
}

// Which of p..p+3 lie before `end`.
fn before4(p: u32, end: u32) -> vec4<bool> {
  return vec4<u32>(p) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(end);
}

// Float d of the four qkv (dO) rows starting at `at`.
fn qkv4(at: vec4<u32>, d: u32) -> vec4<f32> {
  return vec4<f32>(qkv[at.x + d], qkv[at.y + d], qkv[at.z + d], qkv[at.w + d]);
}

fn dO4(at: vec4<u32>, d: u32) -> vec4<f32> {
  return vec4<f32>(dO[at.x + d], dO[at.y + d], dO[at.z + d], dO[at.w + d]);
}

// acc + w.x·x.x + w.y·x.y + w.z·x.z + w.w·x.w, added one at a time in that order (a walk of one partner at a time).
fn addInOrder(acc: f32, w: vec4<f32>, x: vec4<f32>) -> f32 {
  var sum = acc;
  sum += w.x * x.x;
  sum += w.y * x.y;
  sum += w.z * x.z;
  sum += w.w * x.w;
  return sum;
}

// Dot products over d in order of one qkv row (at `one`) with four qkv rows (at `four`).
fn dots4(one: u32, four: vec4<u32>) -> vec4<f32> {
  var sum = vec4<f32>(0.0);
  for (var d = 0u; d < D_HEAD; d++) { sum += qkv[one + d] * qkv4(four, d); }
  return sum;
}

// SCALE · Q[t]·K[s + i] of head h, sequence z, for i = 0..3, each summed over d in order.
fn rowScores4(z: u32, h: u32, t: u32, s: u32) -> vec4<f32> {
  return SCALE * dots4((z * T + t) * QKV_WIDTH + headColumn(0u, h), headRows4(z, 1u, h, s));
}

// SCALE · Q[t]·K[s] of head h, sequence z, summed over d in order (the probabilities' second pass).
fn rowScore(z: u32, h: u32, t: u32, s: u32) -> f32 {
  let q = (z * T + t) * QKV_WIDTH + headColumn(0u, h);
  let k = (z * T + s) * QKV_WIDTH + headColumn(1u, h);
  var sum = 0.0;
  for (var d = 0u; d < D_HEAD; d++) { sum += qkv[q + d] * qkv[k + d]; }
  return SCALE * sum;
}

// One score's step of the online softmax; a score past the row's end leaves the statistics as they are.
fn addScore(stats: ptr<function, RowStats>, score: f32, live: bool) {
  if (!live) { return; }
  let m = max((*stats).m, score);
  (*stats).l = (*stats).l * exp((*stats).m - m) + exp(score - m);
  (*stats).m = m;
}

// Online softmax statistics of row t over its visible keys, in the order of s: (m, l) with l = Σ exp(S − m).
fn rowStats(z: u32, h: u32, t: u32) -> RowStats {
  var stats = RowStats(MASKED, 0.0);
  let end = select(T, t + 1u, CAUSAL);
  for (var s = 0u; s < end; s += 4u) {
    let scores = rowScores4(z, h, t, s);
    let live = before4(s, end);
    addScore(&stats, scores.x, live.x);
    addScore(&stats, scores.y, live.y);
    addScore(&stats, scores.z, live.z);
    addScore(&stats, scores.w, live.w);
  }
  return stats;
}

// The dropout factors of (t, s..s+3).
fn keep4(key: u32, z: u32, h: u32, t: u32, s: u32) -> vec4<f32> {
  return vec4<f32>(keepFactor(key, z, h, t, s), keepFactor(key, z, h, t, s + 1u), keepFactor(key, z, h, t, s + 2u), keepFactor(key, z, h, t, s + 3u));
}

// The dropout factors of (t..t+3, s).
fn keepQueries4(key: u32, z: u32, h: u32, t: u32, s: u32) -> vec4<f32> {
  return vec4<f32>(keepFactor(key, z, h, t, s), keepFactor(key, z, h, t + 1u, s), keepFactor(key, z, h, t + 2u, s), keepFactor(key, z, h, t + 3u, s));
}

@compute @workgroup_size(ROW_WG)
fn forwardRows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = rowOf(gid, groups);
  if (row >= SEQUENCES * N_HEADS * T) { return; }
  let t = row % T;
  let h = (row / T) % N_HEADS;
  let z = row / (T * N_HEADS);
  var key = 0u;
  if (DROPOUT) { key = dropoutKeyOf(z); }
  let stats = rowStats(z, h, t);
  let inverse = 1.0 / stats.l;
  let out = (z * T + t) * D_MODEL + h * D_HEAD;
  for (var d = 0u; d < D_HEAD; d++) { o[out + d] = 0.0; }
  let end = select(T, t + 1u, CAUSAL);
  for (var s = 0u; s < end; s += 4u) {
    let p = exp(rowScores4(z, h, t, s) - vec4<f32>(stats.m)) * inverse * keep4(key, z, h, t, s);
    let weight = select(vec4<f32>(0.0), p, before4(s, end));
    let v = headRows4(z, 2u, h, s);
    for (var d = 0u; d < D_HEAD; d++) { o[out + d] = addInOrder(o[out + d], weight, qkv4(v, d)); }
  }
  lse[row] = stats.m + log(stats.l);
}

@compute @workgroup_size(ROW_WG)
fn backwardQueryRows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = rowOf(gid, groups);
  if (row >= SEQUENCES * N_HEADS * T) { return; }
  let t = row % T;
  let h = (row / T) % N_HEADS;
  let z = row / (T * N_HEADS);
  var key = 0u;
  if (DROPOUT) { key = dropoutKeyOf(z); }
  let out = (z * T + t) * D_MODEL + h * D_HEAD;
  var rowDelta = 0.0;
  for (var d = 0u; d < D_HEAD; d++) { rowDelta += dO[out + d] * o[out + d]; }
  delta[row] = rowDelta;
  let rowLse = lse[row];
  let dq = (z * T + t) * QKV_WIDTH + headColumn(0u, h);
  for (var d = 0u; d < D_HEAD; d++) { dQKV[dq + d] = 0.0; }
  let end = select(T, t + 1u, CAUSAL);
  for (var s = 0u; s < end; s += 4u) {
    let v = headRows4(z, 2u, h, s);
    var dP = vec4<f32>(0.0);
    for (var d = 0u; d < D_HEAD; d++) { dP += dO[out + d] * qkv4(v, d); }
    let p = exp(rowScores4(z, h, t, s) - vec4<f32>(rowLse));
    let dS = select(vec4<f32>(0.0), p * (keep4(key, z, h, t, s) * dP - vec4<f32>(rowDelta)), before4(s, end));
    let k = headRows4(z, 1u, h, s);
    for (var d = 0u; d < D_HEAD; d++) { dQKV[dq + d] = addInOrder(dQKV[dq + d], dS, qkv4(k, d)); }
  }
  for (var d = 0u; d < D_HEAD; d++) { dQKV[dq + d] *= SCALE; }
}

@compute @workgroup_size(ROW_WG)
fn backwardKeyValueRows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = rowOf(gid, groups);
  if (row >= SEQUENCES * N_HEADS * T) { return; }
  let s = row % T;
  let h = (row / T) % N_HEADS;
  let z = row / (T * N_HEADS);
  var key = 0u;
  if (DROPOUT) { key = dropoutKeyOf(z); }
  let keyRow = (z * T + s) * QKV_WIDTH;
  let dk = keyRow + headColumn(1u, h);
  let dv = keyRow + headColumn(2u, h);
  for (var d = 0u; d < D_HEAD; d++) {
    dQKV[dk + d] = 0.0;
    dQKV[dv + d] = 0.0;
  }
  // Causal: only the queries t >= s see key s.
  for (var t = select(0u, s, CAUSAL); t < T; t += 4u) {
    let out = outRows4(z, h, t);
    var dP = vec4<f32>(0.0);
    // V[s]: qkv and dQKV share a layout, so dv is also where V[s] starts in qkv.
    for (var d = 0u; d < D_HEAD; d++) { dP += qkv[dv + d] * dO4(out, d); }
    let q = headRows4(z, 0u, h, t);
    let scores = SCALE * dots4(dk, q); // K[s]·Q[t..t+3], each summed over d in order
    let stat = vec4<u32>(statIndex(z, h, 0u)) + min(vec4<u32>(t) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(T - 1u));
    let p = exp(scores - vec4<f32>(lse[stat.x], lse[stat.y], lse[stat.z], lse[stat.w]));
    let keep = keepQueries4(key, z, h, t, s);
    let live = before4(t, T);
    let pDropped = select(vec4<f32>(0.0), p * keep, live);
    let dS = select(vec4<f32>(0.0), p * (keep * dP - vec4<f32>(delta[stat.x], delta[stat.y], delta[stat.z], delta[stat.w])), live);
    for (var d = 0u; d < D_HEAD; d++) {
      dQKV[dv + d] = addInOrder(dQKV[dv + d], pDropped, dO4(out, d));
      dQKV[dk + d] = addInOrder(dQKV[dk + d], dS, qkv4(q, d));
    }
  }
  for (var d = 0u; d < D_HEAD; d++) { dQKV[dk + d] *= SCALE; }
}

@compute @workgroup_size(ROW_WG)
fn probabilitiesRows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = rowOf(gid, groups);
  if (row >= SEQUENCES * N_HEADS * T) { return; }
  let t = row % T;
  let h = (row / T) % N_HEADS;
  let z = row / (T * N_HEADS);
  let stats = rowStats(z, h, t); // forwardRows' statistics, the same bits
  let rowLse = stats.m + log(stats.l);
  for (var s = 0u; s < T; s++) {
    var p = 0.0;
    if (visible(t, s)) { p = exp(rowScore(z, h, t, s) - rowLse); }
    probs[row * T + s] = p;
  }
}
