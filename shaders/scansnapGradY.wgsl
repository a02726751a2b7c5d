// Scan & Snap gradient of Y: dY[k][l] = Σ_b vn_b[k] dLogit_b[l]. vn_b is sparse (≤ CTX nonzeros per
// sequence), so the sum runs only over the sequences whose context contains k:
//   listMembers: one thread per (row k, replica) lists those sequences b, in batch order, with vn_b[k];
//   main:        one thread per (row k, block of four vec4 columns, replica) sums over that list.
// The work is Σ_b nnz(vn_b) · M instead of BATCH · M² per replica; the order is the batch order: deterministic.
// Rows of dLogit and dY are padded to P4 vec4s (padding columns of dLogit are zero, so dY's come out zero).
//
// Slot lists (scansnapAttention's `slots` entry, batches drawn from a token layout): sequence b's list holds its
// next token n's allowed tokens in a fixed order, so a row of Y is summed over a set known from the next tokens
// alone, with no scan of vnDense: the common rows over the whole batch, n's distinct rows over the sequences whose
// next token is n, the other rows (queries, next tokens) are zero.
//   listByNext: one thread per (next token n, replica) lists the sequences of n, in batch order;
//   slots:      one thread per (ROWS_PER_THREAD rows of one group, COLUMN_VECS vec4 columns, replica) sums over
//               the group in batch order, the same order as `main` (its zero vn add nothing): the same bits.
//               The same pass gives attention backward its products: dvn_b[k] = Σ_l Y[k][l] dLogit_b[l] pairs
//               the same sequences, rows and columns, so with its block of Y held from the start the thread adds,
//               for each member, the dot products over its own columns to dvnPartial, and
//               scansnapAttentionBackward's `fromPartials` sums the column threads' parts in order. The member's
//               dLogit, the dearest load, is then read once for both.
//   slotPairs:  `slots` with a quad's lanes sharing their loads (needs the subgroups feature; COLUMN_VECS 4): a
//               quad holds two row blocks of a group × two column threads. The two lanes of a column thread each
//               load half of a member's dLogit columns and swap halves (quadSwapX); the two lanes of a row block
//               load rows 0, 1 and 3, 4 of its vn and swap them (quadSwapY), row 2 each. 12 loads a member
//               instead of 22, the same products in the same order as `slots`: the same dY and dvn parts. On
//               SwiftShader a load with a computed index is a branch-guarded scalar load per lane and float (about
//               ten FMAs' worth) and a quad swap one register shuffle; at R 160, M 240 the pass took 87–98 ms
//               against 112–121 for `slots` (131 while the zero rows had a lane per vec4: workgroups are dear
//               there too), and 77–82 with the block's loads and stores written out instead of looped (a loop
//               indexes private arrays by a computed value, which keeps them in memory).
// A thread's rows share every member's dLogit load and its columns every vn load; lanes next to each other take
// the next columns of the same rows, so a lane group loads the same vn. On SwiftShader (grid group R 160, M 240,
// without robustness checks) the slot pass with attention backward's products takes 116–124 ms, where it took 74
// without them and attention backward's own kernel 87 (with the checks listMembers + main took 164); 10 rows or
// 2–3 vec4 columns a thread were slower (125, 182, 134 ms).

// #if subgroups
enable subgroups;
// slotPairs' quads agree on their control flow (a quad never spans two tasks), which the uniformity analysis
// cannot see.
diagnostic(off, subgroup_uniformity);
// #endif

override BATCH: u32;
override M: u32;
override P4: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> vnDense: array<f32>;              // [R][BATCH][4 P4]
@group(0) @binding(1) var<storage, read> dLogit: array<vec4<f32>>;         // [R][BATCH][P4]
@group(0) @binding(2) var<storage, read_write> dY: array<vec4<f32>>;       // [R][M][P4]
@group(0) @binding(3) var<storage, read_write> memberSeq: array<u32>;      // [R][M][BATCH]
@group(0) @binding(4) var<storage, read_write> memberVn: array<f32>;       // [R][M][BATCH]
@group(0) @binding(5) var<storage, read_write> memberCount: array<u32>;    // [R][M]
// Slot entries only (memberSeq [R][K][BATCH] and memberCount [R][K] then list the sequences of each next token).
@group(0) @binding(6) var<storage, read> tokens: array<u32>;               // [R][BATCH][CTX + 2]
@group(0) @binding(7) var<storage, read> uniqueVn: array<f32>;             // [R][BATCH][CTX], slot lists
@group(0) @binding(8) var<storage, read> Y: array<vec4<f32>>;              // [R][M][P4]
// [R][BATCH][NUM_COMMON + DISTINCT][column threads]: dvn_b[slot] summed over one column thread's columns.
@group(0) @binding(9) var<storage, read_write> dvnPartial: array<f32>;

override CTX: u32 = 1u;
override NUM_COMMON: u32 = 0u;
override DISTINCT: u32 = 1u;
override K: u32 = 1u;
override NEXT_BASE: u32 = 0u;
override ROWS_PER_THREAD: u32 = 5u;   // 1 .. 5
override COLUMN_VECS: u32 = 4u;       // 1 .. 4

@compute @workgroup_size(WG)
fn listMembers(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  if (k >= M) { return; }
  let r = gid.y;
  let list = (r * M + k) * BATCH;
  var n = 0u;
  for (var b = 0u; b < BATCH; b++) {
    let vn = vnDense[(r * BATCH + b) * 4u * P4 + k];
    if (vn != 0.0) {
      memberSeq[list + n] = b;
      memberVn[list + n] = vn;
      n++;
    }
  }
  memberCount[r * M + k] = n;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blocks = (P4 + 3u) / 4u;
  if (gid.x >= M * blocks) { return; }
  let k = gid.x / blocks;
  let c = 4u * (gid.x % blocks);
  let r = gid.y;
  // Past the end the column indices clamp to the last block (the same value is written again).
  let c1 = min(c + 1u, P4 - 1u);
  let c2 = min(c + 2u, P4 - 1u);
  let c3 = min(c + 3u, P4 - 1u);
  let list = (r * M + k) * BATCH;
  let n = memberCount[r * M + k];
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  for (var i = 0u; i < n; i++) {
    let vn = vec4<f32>(memberVn[list + i]);
    let row = (r * BATCH + memberSeq[list + i]) * P4;
    a0 = fma(vn, dLogit[row + c], a0);
    a1 = fma(vn, dLogit[row + c1], a1);
    a2 = fma(vn, dLogit[row + c2], a2);
    a3 = fma(vn, dLogit[row + c3], a3);
  }
  let out = (r * M + k) * P4;
  dY[out + c] = a0;
  dY[out + c1] = a1;
  dY[out + c2] = a2;
  dY[out + c3] = a3;
}

@compute @workgroup_size(WG)
fn listByNext(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  if (n >= K) { return; }
  let r = gid.y;
  let list = (r * K + n) * BATCH;
  var count = 0u;
  for (var b = 0u; b < BATCH; b++) {
    if (tokens[(r * BATCH + b) * (CTX + 2u) + CTX + 1u] == NEXT_BASE + n) {
      memberSeq[list + count] = b;
      count++;
    }
  }
  memberCount[r * K + n] = count;
}

fn rowBlocks(rows: u32) -> u32 {
  return (rows + ROWS_PER_THREAD - 1u) / ROWS_PER_THREAD;
}

// Tasks, in order: the common rows' blocks, each next token's distinct rows' blocks, then one per row outside
// every allowed set (written zero).
fn slotTasks() -> u32 {
  return rowBlocks(NUM_COMMON) + K * rowBlocks(DISTINCT) + M - (NUM_COMMON + K * DISTINCT);
}

// The rows a slot-sum thread takes: ROWS_PER_THREAD rows of one group (the common rows, or next token n's
// distinct rows) from row block rowBlock, with their slots (rows past the group clamp to its last row: computed,
// never stored), and the group's members (the whole batch for the common rows, n's sequences otherwise).
struct RowGroup {
  groupRows: u32,
  firstRow: u32,
  slot0: u32,
  moreSlots: vec4<u32>,   // the slots of rows 1 .. 4
  row0: u32,              // the first row's row of Y
  count: u32,
  members: u32,
}

fn rowGroupOf(r: u32, isCommon: bool, n: u32, rowBlock: u32) -> RowGroup {
  let groupRows = select(DISTINCT, NUM_COMMON, isCommon);
  let firstRow = rowBlock * ROWS_PER_THREAD;
  let last = groupRows - 1u;
  let slot0 = select(NUM_COMMON, 0u, isCommon) + firstRow;
  let moreSlots = vec4<u32>(slot0) + min(vec4<u32>(1u, 2u, 3u, 4u), vec4<u32>(last - firstRow));
  let row0 = select(NUM_COMMON + n * DISTINCT, 0u, isCommon) + firstRow;
  return RowGroup(groupRows, firstRow, slot0, moreSlots, row0, select(memberCount[r * K + n], BATCH, isCommon), (r * K + n) * BATCH);
}

// One row of a thread's block of Y over its columns col (zero where `inRow` is false). Written out, not looped:
// a CPU adapter keeps an array indexed by a computed value in memory.
fn yBlockRow(r: u32, row: u32, col: vec4<u32>, inRow: vec4<bool>) -> array<vec4<f32>, 4> {
  let at = (r * M + row) * P4;
  let none = vec4<f32>(0.0);
  return array<vec4<f32>, 4>(select(none, Y[at + col.x], inRow.x), select(none, Y[at + col.y], inRow.y),
    select(none, Y[at + col.z], inRow.z), select(none, Y[at + col.w], inRow.w));
}

// One row of a thread's dY block, over the columns `keep` marks, if the row is in its group.
fn storeDYRow(r: u32, row: u32, inGroup: bool, col: vec4<u32>, keep: vec4<bool>, a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>) {
  if (!inGroup) { return; }
  let at = (r * M + row) * P4;
  if (keep.x) { dY[at + col.x] = a; }
  if (keep.y) { dY[at + col.y] = b; }
  if (keep.z) { dY[at + col.z] = c; }
  if (keep.w) { dY[at + col.w] = d; }
}

@compute @workgroup_size(WG)
fn slots(@builtin(global_invocation_id) gid: vec3<u32>) {
  let columnThreads = (P4 + COLUMN_VECS - 1u) / COLUMN_VECS;
  let task = gid.x / columnThreads;
  if (task >= slotTasks()) { return; }
  let r = gid.y;
  // This thread's columns c0 + v · columnThreads; past the row they clamp to the last (never stored).
  let c0 = gid.x % columnThreads;
  let col = min(vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u) * columnThreads, vec4<u32>(P4 - 1u));
  let commonBlocks = rowBlocks(NUM_COMMON);
  let groupTasks = commonBlocks + K * rowBlocks(DISTINCT);
  if (task >= groupTasks) {
    let row = NUM_COMMON + K * DISTINCT + task - groupTasks;
    for (var v = 0u; v < COLUMN_VECS; v++) {
      if (c0 + v * columnThreads < P4) { dY[(r * M + row) * P4 + col[v]] = vec4<f32>(0.0); }
    }
    return;
  }
  let isCommon = task < commonBlocks;
  let n = select((task - commonBlocks) / rowBlocks(DISTINCT), 0u, isCommon);
  let g = rowGroupOf(r, isCommon, n, select((task - commonBlocks) % rowBlocks(DISTINCT), task, isCommon));
  let slot0 = g.slot0;
  let s1 = g.moreSlots.x; let s2 = g.moreSlots.y; let s3 = g.moreSlots.z; let s4 = g.moreSlots.w;
  let count = g.count;
  let members = g.members;
  let slotCount = NUM_COMMON + DISTINCT;

  // This thread's block of Y, rows clamped as the slots are, columns past the row (or past COLUMN_VECS) zero (each
  // column counts once in the dot products). A clamped row repeats the last one's products into the last one's
  // place: the same value.
  let inRow = (vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u) * columnThreads < vec4<u32>(P4)) & (vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(COLUMN_VECS));
  let y0 = yBlockRow(r, g.row0, col, inRow);
  var y1 = y0; var y2 = y0; var y3 = y0; var y4 = y0;
  if (ROWS_PER_THREAD > 1u) { y1 = yBlockRow(r, g.row0 + s1 - slot0, col, inRow); }
  if (ROWS_PER_THREAD > 2u) { y2 = yBlockRow(r, g.row0 + s2 - slot0, col, inRow); }
  if (ROWS_PER_THREAD > 3u) { y3 = yBlockRow(r, g.row0 + s3 - slot0, col, inRow); }
  if (ROWS_PER_THREAD > 4u) { y4 = yBlockRow(r, g.row0 + s4 - slot0, col, inRow); }

  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0); var a02 = vec4<f32>(0.0); var a03 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0); var a12 = vec4<f32>(0.0); var a13 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0); var a22 = vec4<f32>(0.0); var a23 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0); var a32 = vec4<f32>(0.0); var a33 = vec4<f32>(0.0);
  var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0); var a42 = vec4<f32>(0.0); var a43 = vec4<f32>(0.0);
  for (var i = 0u; i < count; i++) {
    let seq = r * BATCH + select(memberSeq[members + i], i, isCommon);
    let list = seq * CTX;
    let d = seq * P4;
    // ROWS_PER_THREAD and COLUMN_VECS are constants: the unused products fold away.
    let d0 = dLogit[d + col.x];
    let d1 = select(vec4<f32>(0.0), dLogit[d + col.y], COLUMN_VECS > 1u);
    let d2 = select(vec4<f32>(0.0), dLogit[d + col.z], COLUMN_VECS > 2u);
    let d3 = select(vec4<f32>(0.0), dLogit[d + col.w], COLUMN_VECS > 3u);
    let partial = seq * slotCount * columnThreads + c0;
    let v0 = vec4<f32>(uniqueVn[list + slot0]);
    a00 = fma(v0, d0, a00); a01 = fma(v0, d1, a01); a02 = fma(v0, d2, a02); a03 = fma(v0, d3, a03);
    dvnPartial[partial + slot0 * columnThreads] = (dot(y0[0], d0) + dot(y0[1], d1)) + (dot(y0[2], d2) + dot(y0[3], d3));
    if (ROWS_PER_THREAD > 1u) {
      let v1 = vec4<f32>(uniqueVn[list + s1]);
      a10 = fma(v1, d0, a10); a11 = fma(v1, d1, a11); a12 = fma(v1, d2, a12); a13 = fma(v1, d3, a13);
      dvnPartial[partial + s1 * columnThreads] = (dot(y1[0], d0) + dot(y1[1], d1)) + (dot(y1[2], d2) + dot(y1[3], d3));
    }
    if (ROWS_PER_THREAD > 2u) {
      let v2 = vec4<f32>(uniqueVn[list + s2]);
      a20 = fma(v2, d0, a20); a21 = fma(v2, d1, a21); a22 = fma(v2, d2, a22); a23 = fma(v2, d3, a23);
      dvnPartial[partial + s2 * columnThreads] = (dot(y2[0], d0) + dot(y2[1], d1)) + (dot(y2[2], d2) + dot(y2[3], d3));
    }
    if (ROWS_PER_THREAD > 3u) {
      let v3 = vec4<f32>(uniqueVn[list + s3]);
      a30 = fma(v3, d0, a30); a31 = fma(v3, d1, a31); a32 = fma(v3, d2, a32); a33 = fma(v3, d3, a33);
      dvnPartial[partial + s3 * columnThreads] = (dot(y3[0], d0) + dot(y3[1], d1)) + (dot(y3[2], d2) + dot(y3[3], d3));
    }
    if (ROWS_PER_THREAD > 4u) {
      let v4 = vec4<f32>(uniqueVn[list + s4]);
      a40 = fma(v4, d0, a40); a41 = fma(v4, d1, a41); a42 = fma(v4, d2, a42); a43 = fma(v4, d3, a43);
      dvnPartial[partial + s4 * columnThreads] = (dot(y4[0], d0) + dot(y4[1], d1)) + (dot(y4[2], d2) + dot(y4[3], d3));
    }
  }
  storeDYRows(r, g, col, inRow, array<vec4<f32>, 20>(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23,
    a30, a31, a32, a33, a40, a41, a42, a43));
}

// A thread's dY block (rows of 4 vec4s, row i at 4i), its rows in the group and its columns `keep` marks.
fn storeDYRows(r: u32, g: RowGroup, col: vec4<u32>, keep: vec4<bool>, a: array<vec4<f32>, 20>) {
  storeDYRow(r, g.row0, g.firstRow < g.groupRows, col, keep, a[0], a[1], a[2], a[3]);
  if (ROWS_PER_THREAD > 1u) { storeDYRow(r, g.row0 + 1u, g.firstRow + 1u < g.groupRows, col, keep, a[4], a[5], a[6], a[7]); }
  if (ROWS_PER_THREAD > 2u) { storeDYRow(r, g.row0 + 2u, g.firstRow + 2u < g.groupRows, col, keep, a[8], a[9], a[10], a[11]); }
  if (ROWS_PER_THREAD > 3u) { storeDYRow(r, g.row0 + 3u, g.firstRow + 3u < g.groupRows, col, keep, a[12], a[13], a[14], a[15]); }
  if (ROWS_PER_THREAD > 4u) { storeDYRow(r, g.row0 + 4u, g.firstRow + 4u < g.groupRows, col, keep, a[16], a[17], a[18], a[19]); }
}

// #if subgroups
fn swapX(x: vec4<f32>) -> vec4<f32> { return quadSwapX(x); }
fn swapY(x: f32) -> f32 { return quadSwapY(x); }
// #else
fn swapX(x: vec4<f32>) -> vec4<f32> { return x; }
fn swapY(x: f32) -> f32 { return x; }
// #endif

// slotPairs' layout: each group's row blocks in pairs (an odd count's last pair repeats its last block, storing
// the same values twice), 2 · (column threads rounded up to even) lanes a pair, a lane's bits 0 and 1 its row block
// in the pair and its column thread's parity; then a lane per row outside every allowed set (written zero). With
// an odd count of column threads the last quad's second column thread has no columns: its lanes load for their
// partners, their block of Y is zero, and their dvn parts (the dvnPartial row is rounded up to even) are exact
// zeros, which leave fromPartials' sums as they are.
fn pairCount(rows: u32) -> u32 {
  return (rowBlocks(rows) + 1u) / 2u;
}

@compute @workgroup_size(WG)
fn slotPairs(@builtin(global_invocation_id) gid: vec3<u32>) {
  let columnThreads = (P4 + COLUMN_VECS - 1u) / COLUMN_VECS;
  let lanesPerPair = 2u * (columnThreads + (columnThreads & 1u));
  let commonPairs = pairCount(NUM_COMMON);
  let groupPairs = commonPairs + K * pairCount(DISTINCT);
  let r = gid.y;
  let pair = gid.x / lanesPerPair;
  if (pair >= groupPairs) {
    // Rows outside every allowed set: zero, a row a lane.
    let row = NUM_COMMON + K * DISTINCT + gid.x - groupPairs * lanesPerPair;
    if (row >= M) { return; }
    for (var c = 0u; c < P4; c++) { dY[(r * M + row) * P4 + c] = vec4<f32>(0.0); }
    return;
  }
  let inPair = gid.x % lanesPerPair;
  let half = inPair & 1u;                       // this lane's row block in the pair
  let parity = (inPair >> 1u) & 1u;             // this lane's column thread's parity
  let c0 = 2u * (inPair >> 2u) + parity;        // this lane's column thread
  let storing = c0 < columnThreads;
  let partialWidth = columnThreads + (columnThreads & 1u);
  let col = min(vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u) * columnThreads, vec4<u32>(P4 - 1u));
  let isCommon = pair < commonPairs;
  let n = select((pair - commonPairs) / pairCount(DISTINCT), 0u, isCommon);
  let rowBlock = 2u * select((pair - commonPairs) % pairCount(DISTINCT), pair, isCommon) + half;
  let g = rowGroupOf(r, isCommon, n, min(rowBlock, rowBlocks(select(DISTINCT, NUM_COMMON, isCommon)) - 1u));
  let slot0 = g.slot0;
  let s1 = g.moreSlots.x; let s2 = g.moreSlots.y; let s3 = g.moreSlots.z; let s4 = g.moreSlots.w;
  let count = g.count;
  let members = g.members;
  let slotCount = NUM_COMMON + DISTINCT;
  // The loads this lane makes for its partners: dLogit columns 2 · half and 2 · half + 1 of its column thread;
  // the vn of rows 0, 1, 2 (parity 0) or 3, 4, 2 (parity 1) of its block.
  let myCols = select(col.xy, col.zw, half == 1u);
  let vnA = select(slot0, s3, parity == 1u);
  let vnB = select(s1, s4, parity == 1u);

  let inRow = (vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u) * columnThreads < vec4<u32>(P4)) & vec4<bool>(storing);
  let y0 = yBlockRow(r, g.row0, col, inRow);
  var y1 = y0; var y2 = y0; var y3 = y0; var y4 = y0;
  if (ROWS_PER_THREAD > 1u) { y1 = yBlockRow(r, g.row0 + s1 - slot0, col, inRow); }
  if (ROWS_PER_THREAD > 2u) { y2 = yBlockRow(r, g.row0 + s2 - slot0, col, inRow); }
  if (ROWS_PER_THREAD > 3u) { y3 = yBlockRow(r, g.row0 + s3 - slot0, col, inRow); }
  if (ROWS_PER_THREAD > 4u) { y4 = yBlockRow(r, g.row0 + s4 - slot0, col, inRow); }

  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0); var a02 = vec4<f32>(0.0); var a03 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0); var a12 = vec4<f32>(0.0); var a13 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0); var a22 = vec4<f32>(0.0); var a23 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0); var a32 = vec4<f32>(0.0); var a33 = vec4<f32>(0.0);
  var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0); var a42 = vec4<f32>(0.0); var a43 = vec4<f32>(0.0);
  for (var i = 0u; i < count; i++) {
    let seq = r * BATCH + select(memberSeq[members + i], i, isCommon);
    let list = seq * CTX;
    let d = seq * P4;
    let mine0 = dLogit[d + myCols.x];
    let mine1 = dLogit[d + myCols.y];
    let other0 = swapX(mine0);
    let other1 = swapX(mine1);
    let first = half == 0u;
    let d0 = select(other0, mine0, first);
    let d1 = select(other1, mine1, first);
    let d2 = select(mine0, other0, first);
    let d3 = select(mine1, other1, first);
    let a = uniqueVn[list + vnA];
    let b = uniqueVn[list + vnB];
    let fromA = swapY(a);
    let fromB = swapY(b);
    let even = parity == 0u;
    let partial = seq * slotCount * partialWidth + c0;
    let v0 = vec4<f32>(select(fromA, a, even));
    a00 = fma(v0, d0, a00); a01 = fma(v0, d1, a01); a02 = fma(v0, d2, a02); a03 = fma(v0, d3, a03);
    dvnPartial[partial + slot0 * partialWidth] = (dot(y0[0], d0) + dot(y0[1], d1)) + (dot(y0[2], d2) + dot(y0[3], d3));
    if (ROWS_PER_THREAD > 1u) {
      let v1 = vec4<f32>(select(fromB, b, even));
      a10 = fma(v1, d0, a10); a11 = fma(v1, d1, a11); a12 = fma(v1, d2, a12); a13 = fma(v1, d3, a13);
      dvnPartial[partial + s1 * partialWidth] = (dot(y1[0], d0) + dot(y1[1], d1)) + (dot(y1[2], d2) + dot(y1[3], d3));
    }
    if (ROWS_PER_THREAD > 2u) {
      let v2 = vec4<f32>(uniqueVn[list + s2]);
      a20 = fma(v2, d0, a20); a21 = fma(v2, d1, a21); a22 = fma(v2, d2, a22); a23 = fma(v2, d3, a23);
      dvnPartial[partial + s2 * partialWidth] = (dot(y2[0], d0) + dot(y2[1], d1)) + (dot(y2[2], d2) + dot(y2[3], d3));
    }
    if (ROWS_PER_THREAD > 3u) {
      let v3 = vec4<f32>(select(a, fromA, even));
      a30 = fma(v3, d0, a30); a31 = fma(v3, d1, a31); a32 = fma(v3, d2, a32); a33 = fma(v3, d3, a33);
      dvnPartial[partial + s3 * partialWidth] = (dot(y3[0], d0) + dot(y3[1], d1)) + (dot(y3[2], d2) + dot(y3[3], d3));
    }
    if (ROWS_PER_THREAD > 4u) {
      let v4 = vec4<f32>(select(b, fromB, even));
      a40 = fma(v4, d0, a40); a41 = fma(v4, d1, a41); a42 = fma(v4, d2, a42); a43 = fma(v4, d3, a43);
      dvnPartial[partial + s4 * partialWidth] = (dot(y4[0], d0) + dot(y4[1], d1)) + (dot(y4[2], d2) + dot(y4[3], d3));
    }
  }
  if (!storing) { return; }
  let keep = vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u) * columnThreads < vec4<u32>(P4);
  storeDYRows(r, g, col, keep, array<vec4<f32>, 20>(a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23,
    a30, a31, a32, a33, a40, a41, a42, a43));
}
