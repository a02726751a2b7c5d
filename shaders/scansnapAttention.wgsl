// Scan & Snap forward attention, one thread per sequence: s_t = Z[m][x_t] for the query m over the context,
// b = softmax(s), v = Σ_t b_t e_{x_t}, vn = v / ‖v‖. v has at most CTX nonzeros, so it is built as a list of
// distinct context tokens (repeats merged: v_k = Σ_{t: x_t = k} b_t) plus a dense copy of vn for the Y gradient.
// The softmax denominator cancels in the l2 normalisation, so only exp(s_t − max s) is accumulated.
// Layouts: tokens [R][BATCH][CTX + 2] (context, query, next); Z [R][ROWS][P]: only the rows ROW_BASE ..
// ROW_BASE + ROWS − 1 that can be queries (training keeps the other rows, which never change, off the GPU);
// lists [R][BATCH][CTX]; rows of Z and vnDense have P ≥ M entries (whole vec4s for the kernels that read four).
//
// Entry `slots`, for batches drawn from a token layout (ScanSnapSlots in src/kernels/scansnapLayout.ts): the
// list holds the vn of exactly n's NUM_COMMON + DISTINCT allowed tokens in ascending order, 0 for those the
// context lacks, so slot j is the same token in every sequence of next token n (what the slot entries of the
// later kernels sum by). The ids are implied by the slots and the next token, so only uniqueVn is written (not
// uniqueIds, uniqueCount or vnDense). Repeats are counted, not merged: v_k = count_k · exp(Z[m][k] − max), one
// exp per slot instead of one per token. The counts are packed four 8-bit counters to a word and bumped with
// selects, because a CPU adapter keeps a dynamically indexed private array in memory.

override BATCH: u32;
override CTX: u32;    // L − 1 context tokens
override M: u32;      // vocabulary
override P: u32;      // padded row length
override ROW_BASE: u32 = 0u;
override ROWS: u32;
override WG: u32 = 64u;

// Entries `slots` and `slotsFromCounts` only: the token layout (distinct tokens start at NUM_COMMON). `slots`
// counts the slots from the context ids; `slotsFromCounts` reads them from slotCounts, which
// scansnapBatchGenerate's `generateCounts` writes (8 words a sequence, four 8-bit counts to a word), and reads
// only the query and next id of a sequence.
override NUM_COMMON: u32 = 0u;
override DISTINCT: u32 = 1u;
override NEXT_BASE: u32 = 0u;
@group(0) @binding(6) var<storage, read> slotCounts: array<u32>;   // [R][BATCH][8], slotsFromCounts only

const NO_SLOT: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> Z: array<f32>;
@group(0) @binding(2) var<storage, read_write> uniqueIds: array<u32>;
@group(0) @binding(3) var<storage, read_write> uniqueVn: array<f32>;
@group(0) @binding(4) var<storage, read_write> uniqueCount: array<u32>;   // [R][BATCH]
// [R][BATCH][P] f32 bits. During the merge it maps a token to its slot in the list (saves a scratch buffer).
// Entry `main` only.
@group(0) @binding(5) var<storage, read_write> vnDense: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  let r = gid.y;
  if (b >= BATCH) { return; }
  let seq = r * BATCH + b;
  let tok = seq * (CTX + 2u);
  let zRow = (r * ROWS + tokens[tok + CTX] - ROW_BASE) * P;
  let dense = seq * P;
  let list = seq * CTX;

  var sMax = -3.4e38;
  for (var t = 0u; t < CTX; t++) {
    let k = tokens[tok + t];
    sMax = max(sMax, Z[zRow + k]);
    vnDense[dense + k] = NO_SLOT;
  }

  var count = 0u;
  for (var t = 0u; t < CTX; t++) {
    let k = tokens[tok + t];
    let weight = exp(Z[zRow + k] - sMax);
    let slot = vnDense[dense + k];
    if (slot == NO_SLOT) {
      vnDense[dense + k] = count;
      uniqueIds[list + count] = k;
      uniqueVn[list + count] = weight;
      count++;
    } else {
      uniqueVn[list + slot] += weight;
    }
  }

  var norm2 = 0.0;
  for (var j = 0u; j < count; j++) { norm2 += uniqueVn[list + j] * uniqueVn[list + j]; }
  let invNorm = 1.0 / sqrt(norm2);
  for (var k = 0u; k < P; k++) { vnDense[dense + k] = 0u; }
  for (var j = 0u; j < count; j++) {
    let vn = uniqueVn[list + j] * invNorm;
    uniqueVn[list + j] = vn;
    vnDense[dense + uniqueIds[list + j]] = bitcast<u32>(vn);
  }
  uniqueCount[seq] = count;
}

// Slot j's token for a sequence whose distinct tokens start at distinctFirst.
fn slotToken(j: u32, distinctFirst: u32) -> u32 {
  return select(distinctFirst + j - NUM_COMMON, j, j < NUM_COMMON);
}

// Slot j's count. The word is picked by selects over constant indices: a CPU adapter keeps an array indexed by a
// computed value in memory and loads it lane by lane (with `counts[j >> 2u]` attention took 6.9 ms at R 160,
// batch 128 on SwiftShader, 4.1–4.2 with the selects).
fn countOf(counts: array<u32, 8>, j: u32) -> u32 {
  let w = j >> 2u;
  var word = counts[0];
  let slotCount = NUM_COMMON + DISTINCT;
  if (slotCount > 4u) { word = select(word, counts[1], w == 1u); }
  if (slotCount > 8u) { word = select(word, counts[2], w == 2u); }
  if (slotCount > 12u) { word = select(word, counts[3], w == 3u); }
  if (slotCount > 16u) { word = select(word, counts[4], w == 4u); }
  if (slotCount > 20u) { word = select(word, counts[5], w == 5u); }
  if (slotCount > 24u) { word = select(word, counts[6], w == 6u); }
  if (slotCount > 28u) { word = select(word, counts[7], w == 7u); }
  return (word >> ((j & 3u) << 3u)) & 255u;
}

// The slot list of sequence seq (replica r) from its slot counts.
fn writeSlotList(seq: u32, r: u32, counts: array<u32, 8>) {
  let tok = seq * (CTX + 2u);
  let zRow = (r * ROWS + tokens[tok + CTX] - ROW_BASE) * P;
  let distinctFirst = NUM_COMMON + (tokens[tok + CTX + 1u] - NEXT_BASE) * DISTINCT;
  let slotCount = NUM_COMMON + DISTINCT;
  var sMax = -3.4e38;
  for (var j = 0u; j < slotCount; j++) {
    if (countOf(counts, j) > 0u) { sMax = max(sMax, Z[zRow + slotToken(j, distinctFirst)]); }
  }
  let list = seq * CTX;
  var norm2 = 0.0;
  for (var j = 0u; j < slotCount; j++) {
    let k = slotToken(j, distinctFirst);
    let count = countOf(counts, j);
    // An absent token's exp is never taken: its score may exceed the max and overflow.
    let v = select(0.0, f32(count) * exp(Z[zRow + k] - sMax), count > 0u);
    uniqueVn[list + j] = v;
    norm2 += v * v;
  }
  let invNorm = 1.0 / sqrt(norm2);
  for (var j = 0u; j < slotCount; j++) { uniqueVn[list + j] *= invNorm; }
}

@compute @workgroup_size(WG)
fn slots(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  let r = gid.y;
  if (b >= BATCH) { return; }
  let seq = r * BATCH + b;
  let tok = seq * (CTX + 2u);
  let distinctFirst = NUM_COMMON + (tokens[tok + CTX + 1u] - NEXT_BASE) * DISTINCT;
  let slotCount = NUM_COMMON + DISTINCT;
  // The guards are constants, so only the words the slots need are bumped.
  var c0 = 0u; var c1 = 0u; var c2 = 0u; var c3 = 0u; var c4 = 0u; var c5 = 0u; var c6 = 0u; var c7 = 0u;
  for (var t = 0u; t < CTX; t++) {
    let k = tokens[tok + t];
    let j = select(k - distinctFirst + NUM_COMMON, k, k < NUM_COMMON);
    let word = j >> 2u;
    let one = 1u << ((j & 3u) << 3u);
    c0 += select(0u, one, word == 0u);
    if (slotCount > 4u) { c1 += select(0u, one, word == 1u); }
    if (slotCount > 8u) { c2 += select(0u, one, word == 2u); }
    if (slotCount > 12u) { c3 += select(0u, one, word == 3u); }
    if (slotCount > 16u) { c4 += select(0u, one, word == 4u); }
    if (slotCount > 20u) { c5 += select(0u, one, word == 5u); }
    if (slotCount > 24u) { c6 += select(0u, one, word == 6u); }
    if (slotCount > 28u) { c7 += select(0u, one, word == 7u); }
  }
  writeSlotList(seq, r, array<u32, 8>(c0, c1, c2, c3, c4, c5, c6, c7));
}

@compute @workgroup_size(WG)
fn slotsFromCounts(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  let r = gid.y;
  if (b >= BATCH) { return; }
  let seq = r * BATCH + b;
  let w = seq * 8u;
  writeSlotList(seq, r, array<u32, 8>(
    slotCounts[w], slotCounts[w + 1u], slotCounts[w + 2u], slotCounts[w + 3u],
    slotCounts[w + 4u], slotCounts[w + 5u], slotCounts[w + 6u], slotCounts[w + 7u],
  ));
}
