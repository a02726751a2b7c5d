// Token embedding (SPEC §4): x[r][b][t][:] = embed[tok[r][b][t]] * SCALE (SCALE = sqrt(dModel) or 1), and its
// gradient dEmbed[v][:] = SCALE * (sum over the positions p holding token v, in increasing p, of dx[p][:]) for
// every vocabulary row v (0 where v does not occur), or that added to dEmbed when ACCUMULATE (tied embeddings:
// the decoder's gradient is already there). Tokens are [REPLICAS][BATCH][TOKEN_STRIDE] (TOKEN_STRIDE = T + 1:
// inputs 0..T-1, targets 1..T); activations [REPLICAS][BATCH][T][D_MODEL]; replica r's embed and dEmbed start
// r * EMBED_STRIDE floats into their bindings (a slab's P inside one). A token >= VOCAB never indexes embed:
// the forward writes a zero row for it and the backward adds it to no row (the model validates tokens on the
// host; this only keeps a bad batch in bounds).
//
// The backward without atomics, in three dispatches per replica (N = BATCH * T positions):
//   sortTokens:     rank sort of the (token, position) pairs: position p goes to rank #{q : (tok_q, q) < (tok_p, p)},
//                   a permutation, so every slot of sortedPairs is written once. N^2 comparisons per replica
//                   (67 M at N = 8192), no barriers and one dispatch, against a bitonic sort's N log^2 N in
//                   log^2 N / 2 dispatches (91 at N = 8192): cheaper in launches at these sizes.
//   findSegments:   start of each token's run in the sorted pairs by binary search, for v = 0..VOCAB (the last
//                   is where the tokens >= VOCAB begin): (VOCAB + 1) log2 N reads.
//   backward:       a thread per (row v, column c) sums dx over its run in sorted order, which within one token
//                   is increasing position: the order the contract fixes, the same bits every run.
//                   N D reads, VOCAB D writes.

override BATCH: u32;
override T: u32;
override TOKEN_STRIDE: u32;
override D_MODEL: u32;
override VOCAB: u32;
override EMBED_STRIDE: u32;
override SCALE: f32 = 1.0;
override ACCUMULATE: bool = false;
override WG: u32 = 256u;        // forward, sortTokens, segmentStarts
override WG_COLS: u32 = 64u;    // backward: columns per workgroup
override WG_ROWS: u32 = 4u;     // backward: vocabulary rows per workgroup

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> embed: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> sortedPairs: array<vec2<u32>>;   // [REPLICAS][N]: (token, position)
@group(0) @binding(5) var<storage, read_write> segmentStarts: array<u32>;      // [REPLICAS][VOCAB + 1]
@group(0) @binding(6) var<storage, read_write> dEmbed: array<f32>;

fn tokenAt(replica: u32, position: u32) -> u32 {
  return tokens[(replica * BATCH + position / T) * TOKEN_STRIDE + position % T];
}

// Grid: x strides over a replica's N D_MODEL elements, y is the replica.
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let replica = gid.y;
  let size = BATCH * T * D_MODEL;
  for (var i = gid.x; i < size; i += groups.x * WG) {
    let token = tokenAt(replica, i / D_MODEL);
    var value = 0.0;
    if (token < VOCAB) { value = embed[replica * EMBED_STRIDE + token * D_MODEL + i % D_MODEL] * SCALE; }
    x[replica * size + i] = value;
  }
}

// Grid: x strides over positions, y is the replica.
@compute @workgroup_size(WG)
fn sortTokens(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let replica = gid.y;
  let n = BATCH * T;
  for (var p = gid.x; p < n; p += groups.x * WG) {
    let token = tokenAt(replica, p);
    var rank = 0u;
    for (var b = 0u; b < BATCH; b++) {
      let base = (replica * BATCH + b) * TOKEN_STRIDE;
      for (var t = 0u; t < T; t++) {
        let other = tokens[base + t];
        let q = b * T + t;
        rank += select(0u, 1u, other < token || (other == token && q < p));
      }
    }
    sortedPairs[replica * n + rank] = vec2<u32>(token, p);
  }
}

// Grid: x strides over v = 0..VOCAB, y is the replica.
@compute @workgroup_size(WG)
fn findSegments(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let replica = gid.y;
  let n = BATCH * T;
  for (var v = gid.x; v <= VOCAB; v += groups.x * WG) {
    var lo = 0u;
    var hi = n;
    while (lo < hi) {
      let mid = (lo + hi) / 2u;
      if (sortedPairs[replica * n + mid].x < v) { lo = mid + 1u; } else { hi = mid; }
    }
    segmentStarts[replica * (VOCAB + 1u) + v] = lo;
  }
}

// Grid: (column groups, vocabulary row groups, striding, replica).
@compute @workgroup_size(WG_COLS, WG_ROWS)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
            @builtin(num_workgroups) groups: vec3<u32>) {
  let c = wid.x * WG_COLS + lid.x;
  if (c >= D_MODEL) { return; }
  let replica = wid.z;
  let n = BATCH * T;
  for (var v = wid.y * WG_ROWS + lid.y; v < VOCAB; v += groups.y * WG_ROWS) {
    let end = segmentStarts[replica * (VOCAB + 1u) + v + 1u];
    var sum = 0.0;
    for (var i = segmentStarts[replica * (VOCAB + 1u) + v]; i < end; i++) {
      let position = sortedPairs[replica * n + i].y;
      sum += dx[(replica * n + position) * D_MODEL + c];
    }
    let at = replica * EMBED_STRIDE + v * D_MODEL + c;
    var value = SCALE * sum;
    if (ACCUMULATE) { value = dEmbed[at] + value; }
    dEmbed[at] = value;
  }
}
