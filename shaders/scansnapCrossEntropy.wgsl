// Scan & Snap logits, cross-entropy and its gradient, one thread per sequence:
//   logit_l = Σ_k vn_k Y[k][l], gathered over the ≤ CTX distinct context tokens k only;
//   loss = logsumexp(logit) − logit_next;  dLogit_l = (softmax(logit)_l − [l = next]) / BATCH (batch mean).
// Rows of Y and dLogit are padded to P4 vec4s (P = 4·P4 ≥ M; padding columns of Y are zero, of dLogit written
// zero). The kernel is bound by loads, so it reads four columns per load and reuses each (id, vn) pair for four
// vec4s; a thread per sequence needs no barriers (which cost more than the arithmetic on CPU adapters).
// dLogit first holds the logits, then exp(logit − max).

// #if subgroups
enable subgroups;
// slotLogits' quads (QUADS) agree on their control flow (a quad never spans two chunks), which the uniformity
// analysis cannot see.
diagnostic(off, subgroup_uniformity);
// #endif

override BATCH: u32;
override CTX: u32;
override M: u32;
override P4: u32;         // padded row length / 4
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;             // [R][BATCH][CTX + 2]
@group(0) @binding(1) var<storage, read> Y: array<vec4<f32>>;            // [R][M][P4]
@group(0) @binding(2) var<storage, read> uniqueIds: array<u32>;          // [R][BATCH][CTX]
@group(0) @binding(3) var<storage, read> uniqueVn: array<f32>;           // [R][BATCH][CTX]
@group(0) @binding(4) var<storage, read> uniqueCount: array<u32>;        // [R][BATCH]
@group(0) @binding(5) var<storage, read_write> dLogit: array<vec4<f32>>; // [R][BATCH][P4]
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;         // [R][BATCH]

fn valid(c: u32) -> vec4<bool> {
  return vec4<u32>(4u * c) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(M);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= BATCH) { return; }
  let r = gid.y;
  let seq = r * BATCH + b;
  let count = uniqueCount[seq];
  let list = seq * CTX;
  let yBase = r * M * P4;
  let row = seq * P4;

  // Four column blocks at a time; past the end the indices clamp to the last block (same value rewritten).
  for (var c = 0u; c < P4; c += 4u) {
    let c1 = min(c + 1u, P4 - 1u);
    let c2 = min(c + 2u, P4 - 1u);
    let c3 = min(c + 3u, P4 - 1u);
    var l0 = vec4<f32>(0.0);
    var l1 = vec4<f32>(0.0);
    var l2 = vec4<f32>(0.0);
    var l3 = vec4<f32>(0.0);
    for (var j = 0u; j < count; j++) {
      let vn = vec4<f32>(uniqueVn[list + j]);
      let yRow = yBase + uniqueIds[list + j] * P4;
      l0 = fma(vn, Y[yRow + c], l0);
      l1 = fma(vn, Y[yRow + c1], l1);
      l2 = fma(vn, Y[yRow + c2], l2);
      l3 = fma(vn, Y[yRow + c3], l3);
    }
    dLogit[row + c] = l0;
    dLogit[row + c1] = l1;
    dLogit[row + c2] = l2;
    dLogit[row + c3] = l3;
  }
  softmaxRow(seq);
}

// Sequence seq's row of dLogit holds its logits: the loss, and the row becomes dLogit.
fn softmaxRow(seq: u32) {
  let next = tokens[seq * (CTX + 2u) + CTX + 1u];
  let row = seq * P4;
  let lowest = vec4<f32>(-3.4e38);
  var m4 = lowest;
  for (var c = 0u; c < P4; c++) { m4 = max(m4, select(lowest, dLogit[row + c], valid(c))); }
  let logitMax = max(max(m4.x, m4.y), max(m4.z, m4.w));
  // exp(logit − max) is computed once: the sum pass leaves it in dLogit for the last pass.
  let nextLogit = dLogit[row + next / 4u][next % 4u];
  var s4 = vec4<f32>(0.0);
  for (var c = 0u; c < P4; c++) {
    let e = select(vec4<f32>(0.0), exp(dLogit[row + c] - logitMax), valid(c));
    dLogit[row + c] = e;
    s4 += e;
  }
  let total = (s4.x + s4.y) + (s4.z + s4.w);

  for (var c = 0u; c < P4; c++) {
    let p = dLogit[row + c] / total;
    let isNext = select(vec4<f32>(0.0), vec4<f32>(1.0), vec4<u32>(4u * c) + vec4<u32>(0u, 1u, 2u, 3u) == vec4<u32>(next));
    dLogit[row + c] = (p - isNext) / f32(BATCH);
  }
  loss[seq] = log(total) + logitMax - nextLogit;
}

// Slot lists (scansnapAttention's `slots` entry, batches drawn from a token layout): the sequences of one next
// token n read the same rows of Y, slot by slot, so a thread takes TILE_SEQS of them (scansnapGradY's listByNext
// lists them) and COLUMN_VECS vec4 columns, and each Y load serves TILE_SEQS sequences. Lanes next to each other
// take the next columns of the same sequences. Each logit sums the same products in the same (slot) order as
// `main`: the same bits. Then `softmax`, a thread per sequence, finishes as `main` does.
//   slotLogits: x = (chunk of TILE_SEQS members of one next token, column thread), y = replica; the chunks of
//               every next token in turn, at most ceil(BATCH / TILE_SEQS) + K − 1 of them.
// On SwiftShader (grid group R 160, M 240) slotLogits + softmax took 103 + 24 ms where `main` took 184, both with
// Dawn's robustness checks; without them 75–79 + 16. 4, 6 or 7 sequences a thread took 83, 78, 77 ms. A group's
// last chunk computes clamped members it does not store (a branch per member was slower: 122 ms).
override NUM_COMMON: u32 = 0u;
override DISTINCT: u32 = 1u;
override K: u32 = 1u;
override TILE_SEQS: u32 = 8u;     // 1 .. 8
override COLUMN_VECS: u32 = 4u;   // 1 .. 4
// slotLogits: the four lanes of a quad share the vn loads (needs the subgroups feature). A chunk's column threads
// are rounded up to a multiple of 4, so that a quad's lanes take the same sequences; at every slot lane q loads
// the vn of sequences q and 4 + q only, and quadBroadcast hands them round. On SwiftShader a load with a computed
// index costs about ten FMAs and a broadcast by a constant lane a few register operations.
override QUADS: bool = false;

// #if subgroups
fn fromLane0(x: f32) -> f32 { return quadBroadcast(x, 0u); }
fn fromLane1(x: f32) -> f32 { return quadBroadcast(x, 1u); }
fn fromLane2(x: f32) -> f32 { return quadBroadcast(x, 2u); }
fn fromLane3(x: f32) -> f32 { return quadBroadcast(x, 3u); }
// #else
fn fromLane0(x: f32) -> f32 { return x; }
fn fromLane1(x: f32) -> f32 { return x; }
fn fromLane2(x: f32) -> f32 { return x; }
fn fromLane3(x: f32) -> f32 { return x; }
// #endif

// QUADS: this lane's share of a slot's vn (loaded); otherwise nothing is loaded here.
fn quadShare(at: u32) -> f32 {
  if (QUADS) { return uniqueVn[at]; }
  return 0.0;
}

// A sequence's vn at a slot: from the quad (QUADS) or loaded.
fn vnOf(at: u32, fromQuad: f32) -> f32 {
  if (QUADS) { return fromQuad; }
  return uniqueVn[at];
}

// Column threads of a chunk: whole quads with QUADS.
fn logitColumnThreads() -> u32 {
  let threads = (P4 + COLUMN_VECS - 1u) / COLUMN_VECS;
  return select(threads, (threads + 3u) & ~3u, QUADS);
}

@group(0) @binding(7) var<storage, read> memberSeq: array<u32>;     // [R][K][BATCH]
@group(0) @binding(8) var<storage, read> memberCount: array<u32>;   // [R][K]

// #if subgroups
@compute @workgroup_size(WG)
fn slotLogits(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
// #else
@compute @workgroup_size(WG)
fn slotLogits(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lane = 0u;
// #endif
  let columnThreads = logitColumnThreads();
  var chunk = gid.x / columnThreads;
  let r = gid.y;
  // Which next token's chunk this is: walk the next tokens' chunk counts (the same loads for the whole lane group).
  var n = 0u;
  var count = 0u;
  loop {
    if (n >= K) { return; }
    count = memberCount[r * K + n];
    let chunks = (count + TILE_SEQS - 1u) / TILE_SEQS;
    if (chunk < chunks) { break; }
    chunk -= chunks;
    n++;
  }
  let c0 = gid.x % columnThreads;
  let col = min(vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u) * columnThreads, vec4<u32>(P4 - 1u));
  // Members past the group clamp to its last (computed, never stored).
  let members = (r * K + n) * BATCH;
  let firstMember = chunk * TILE_SEQS;
  let lastMember = count - 1u;
  var seqs = vec4<u32>(0u);
  var moreSeqs = vec4<u32>(0u);
  for (var i = 0u; i < 4u; i++) {
    seqs[i] = r * BATCH + memberSeq[members + min(firstMember + i, lastMember)];
    moreSeqs[i] = r * BATCH + memberSeq[members + min(firstMember + 4u + i, lastMember)];
  }
  let lists = seqs * CTX;
  let moreLists = moreSeqs * CTX;
  // QUADS: the lists this lane loads from (sequences lane & 3 and 4 + lane & 3 of the chunk).
  let q = lane & 3u;
  let mineList = select(select(lists.z, lists.w, q == 3u), select(lists.x, lists.y, q == 1u), q < 2u);
  let mineMoreList = select(select(moreLists.z, moreLists.w, q == 3u), select(moreLists.x, moreLists.y, q == 1u), q < 2u);
  let yBase = r * M * P4;
  let distinctFirst = NUM_COMMON + n * DISTINCT;

  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0); var a02 = vec4<f32>(0.0); var a03 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0); var a12 = vec4<f32>(0.0); var a13 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0); var a22 = vec4<f32>(0.0); var a23 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0); var a32 = vec4<f32>(0.0); var a33 = vec4<f32>(0.0);
  var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0); var a42 = vec4<f32>(0.0); var a43 = vec4<f32>(0.0);
  var a50 = vec4<f32>(0.0); var a51 = vec4<f32>(0.0); var a52 = vec4<f32>(0.0); var a53 = vec4<f32>(0.0);
  var a60 = vec4<f32>(0.0); var a61 = vec4<f32>(0.0); var a62 = vec4<f32>(0.0); var a63 = vec4<f32>(0.0);
  var a70 = vec4<f32>(0.0); var a71 = vec4<f32>(0.0); var a72 = vec4<f32>(0.0); var a73 = vec4<f32>(0.0);
  for (var j = 0u; j < NUM_COMMON + DISTINCT; j++) {
    let yRow = yBase + select(distinctFirst + j - NUM_COMMON, j, j < NUM_COMMON) * P4;
    // TILE_SEQS and COLUMN_VECS are constants: the unused products fold away.
    let y0 = Y[yRow + col.x];
    let y1 = select(vec4<f32>(0.0), Y[yRow + col.y], COLUMN_VECS > 1u);
    let y2 = select(vec4<f32>(0.0), Y[yRow + col.z], COLUMN_VECS > 2u);
    let y3 = select(vec4<f32>(0.0), Y[yRow + col.w], COLUMN_VECS > 3u);
    let share = quadShare(mineList + j);
    let moreShare = select(0.0, quadShare(mineMoreList + j), TILE_SEQS > 4u);
    let v0 = vec4<f32>(vnOf(lists.x + j, fromLane0(share)));
    a00 = fma(v0, y0, a00); a01 = fma(v0, y1, a01); a02 = fma(v0, y2, a02); a03 = fma(v0, y3, a03);
    if (TILE_SEQS > 1u) {
      let v1 = vec4<f32>(vnOf(lists.y + j, fromLane1(share)));
      a10 = fma(v1, y0, a10); a11 = fma(v1, y1, a11); a12 = fma(v1, y2, a12); a13 = fma(v1, y3, a13);
    }
    if (TILE_SEQS > 2u) {
      let v2 = vec4<f32>(vnOf(lists.z + j, fromLane2(share)));
      a20 = fma(v2, y0, a20); a21 = fma(v2, y1, a21); a22 = fma(v2, y2, a22); a23 = fma(v2, y3, a23);
    }
    if (TILE_SEQS > 3u) {
      let v3 = vec4<f32>(vnOf(lists.w + j, fromLane3(share)));
      a30 = fma(v3, y0, a30); a31 = fma(v3, y1, a31); a32 = fma(v3, y2, a32); a33 = fma(v3, y3, a33);
    }
    if (TILE_SEQS > 4u) {
      let v4 = vec4<f32>(vnOf(moreLists.x + j, fromLane0(moreShare)));
      a40 = fma(v4, y0, a40); a41 = fma(v4, y1, a41); a42 = fma(v4, y2, a42); a43 = fma(v4, y3, a43);
    }
    if (TILE_SEQS > 5u) {
      let v5 = vec4<f32>(vnOf(moreLists.y + j, fromLane1(moreShare)));
      a50 = fma(v5, y0, a50); a51 = fma(v5, y1, a51); a52 = fma(v5, y2, a52); a53 = fma(v5, y3, a53);
    }
    if (TILE_SEQS > 6u) {
      let v6 = vec4<f32>(vnOf(moreLists.z + j, fromLane2(moreShare)));
      a60 = fma(v6, y0, a60); a61 = fma(v6, y1, a61); a62 = fma(v6, y2, a62); a63 = fma(v6, y3, a63);
    }
    if (TILE_SEQS > 7u) {
      let v7 = vec4<f32>(vnOf(moreLists.w + j, fromLane3(moreShare)));
      a70 = fma(v7, y0, a70); a71 = fma(v7, y1, a71); a72 = fma(v7, y2, a72); a73 = fma(v7, y3, a73);
    }
  }
  let acc = array<array<vec4<f32>, 4>, 8>(
    array<vec4<f32>, 4>(a00, a01, a02, a03), array<vec4<f32>, 4>(a10, a11, a12, a13),
    array<vec4<f32>, 4>(a20, a21, a22, a23), array<vec4<f32>, 4>(a30, a31, a32, a33),
    array<vec4<f32>, 4>(a40, a41, a42, a43), array<vec4<f32>, 4>(a50, a51, a52, a53),
    array<vec4<f32>, 4>(a60, a61, a62, a63), array<vec4<f32>, 4>(a70, a71, a72, a73),
  );
  let allSeqs = array<u32, 8>(seqs.x, seqs.y, seqs.z, seqs.w, moreSeqs.x, moreSeqs.y, moreSeqs.z, moreSeqs.w);
  for (var i = 0u; i < TILE_SEQS; i++) {
    if (firstMember + i > lastMember) { break; }
    for (var v = 0u; v < COLUMN_VECS; v++) {
      if (c0 + v * columnThreads < P4) { dLogit[allSeqs[i] * P4 + col[v]] = acc[i][v]; }
    }
  }
}

@compute @workgroup_size(WG)
fn softmax(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= BATCH) { return; }
  softmaxRow(gid.y * BATCH + gid.x);
}
