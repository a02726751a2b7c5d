// Scan & Snap training sequences generated on the GPU with a counter-based RNG: every draw of sequence b of
// replica r at step t is draw(key(seed + r, t, b), slot) with slot 0 choosing the next token n and slot 1 + i
// the i-th context token, so a batch is a pure function of (seed, replica, step), every token is independent
// (one thread each), and SequenceSampler in src/models/scansnap/data.ts computes the same ids on the CPU.
// Context tokens come from P(l|n) by integer inverse CDF: the index among n's allowed tokens is how many of the
// host's 24-bit cumulative thresholds the draw's top 24 bits reach, so no float compare can differ between sides.
// Output: ids [R][BATCH][L + 1] (L − 1 context tokens, the query ψ(n), the next token n).
//   generate:    one thread per token (or per sequence, THREAD_PER_SEQUENCE) (x) and replica (y), reading the step
//                from `step`.
//   advanceStep: step += 1, recorded at the end of every training step so that a replayed plan sees step t.
//   generateCounts: a thread per sequence, for the slot lists of training (ScanSnapSlots in
//                src/kernels/scansnapLayout.ts): a context token's index among n's allowed tokens is its slot, so
//                instead of the context ids the thread writes how often each slot was drawn (slotCounts, four
//                8-bit counts to a word, slot j in byte j % 4 of word j / 4), and of the ids only the query and
//                the next token; scansnapAttention's `slotsFromCounts` then reads eight words a sequence instead
//                of L − 1 ids. The context ids' places in `tokens` keep what they held.

override L: u32;
override BATCH: u32;
override K: u32;
override NUM_COMMON: u32;
override DISTINCT: u32;
override NEXT_PER_QUERY: u32;
override DISTINCT_BASE: u32;
override QUERY_BASE: u32;
override NEXT_BASE: u32;
override THRESHOLDS: u32;   // allowed tokens per next token − 1
override WG: u32 = 64u;
// A thread per sequence instead of per token: the sequence's key and next token are hashed once, not per token
// (what a CPU adapter wants; every variant writes the same ids).
override THREAD_PER_SEQUENCE: bool = false;

@group(0) @binding(0) var<storage, read> step: array<u32>;          // [1]
@group(0) @binding(1) var<storage, read> replicaSeeds: array<u32>;  // [R]: seed + r
@group(0) @binding(2) var<storage, read> thresholds: array<u32>;    // [max(1, THRESHOLDS)]: cumulative P(l|n) × 2^24
@group(0) @binding(3) var<storage, read_write> tokens: array<u32>;
@group(0) @binding(4) var<storage, read_write> stepCounter: array<u32>; // advanceStep only
@group(0) @binding(5) var<storage, read_write> slotCounts: array<u32>;  // [R][BATCH][8], generateCounts only

// #include "lib/counterHash.wgsl"

fn below(x: u32, n: u32) -> u32 {
  return ((x >> 16u) * n) >> 16u;
}

// A 24-bit draw u reaches threshold T (u >= T) exactly when i32(u) > signedBelow(T): a signed compare with a
// constant is one SIMD instruction on a CPU adapter, an unsigned one (emulated there by flipping sign bits) three
// or four (the slot counter took 13–14 ms instead of 16–18 at R 160). The unused thresholds (0xffffffff) map to
// i32's largest value, which no draw exceeds.
fn signedBelow(T: u32) -> i32 {
  return i32(min(T, 0x7fffffffu)) - 1;
}

// Up to 32 thresholds can be compiled in (INLINE_THRESHOLDS, T0 ... T31; unused ones stay 0xffffffff, which no
// 24-bit draw reaches): a token's index is then a sum of compares, with no loads and no loop. On SwiftShader the
// buffer search below took about 6 of the kernel's 7 ms at the grid's largest group (R 16, batch 128, L 128).
override INLINE_THRESHOLDS: bool = false;
override T0: u32 = 0xffffffffu; override T1: u32 = 0xffffffffu; override T2: u32 = 0xffffffffu; override T3: u32 = 0xffffffffu;
override T4: u32 = 0xffffffffu; override T5: u32 = 0xffffffffu; override T6: u32 = 0xffffffffu; override T7: u32 = 0xffffffffu;
override T8: u32 = 0xffffffffu; override T9: u32 = 0xffffffffu; override T10: u32 = 0xffffffffu; override T11: u32 = 0xffffffffu;
override T12: u32 = 0xffffffffu; override T13: u32 = 0xffffffffu; override T14: u32 = 0xffffffffu; override T15: u32 = 0xffffffffu;
override T16: u32 = 0xffffffffu; override T17: u32 = 0xffffffffu; override T18: u32 = 0xffffffffu; override T19: u32 = 0xffffffffu;
override T20: u32 = 0xffffffffu; override T21: u32 = 0xffffffffu; override T22: u32 = 0xffffffffu; override T23: u32 = 0xffffffffu;
override T24: u32 = 0xffffffffu; override T25: u32 = 0xffffffffu; override T26: u32 = 0xffffffffu; override T27: u32 = 0xffffffffu;
override T28: u32 = 0xffffffffu; override T29: u32 = 0xffffffffu; override T30: u32 = 0xffffffffu; override T31: u32 = 0xffffffffu;

// How many thresholds u reaches. They are nondecreasing (a cumulative distribution), so this is the length of
// the prefix of thresholds <= u: counted against the compiled-in ones, or found in the buffer by binary lifting
// (log2 loads instead of THRESHOLDS, with the same steps for every token).
fn allowedIndex(u: u32) -> u32 {
  if (INLINE_THRESHOLDS) {
    let su = i32(u);
    return select(0u, 1u, su > signedBelow(T0)) + select(0u, 1u, su > signedBelow(T1)) + select(0u, 1u, su > signedBelow(T2)) + select(0u, 1u, su > signedBelow(T3)) +
    select(0u, 1u, su > signedBelow(T4)) + select(0u, 1u, su > signedBelow(T5)) + select(0u, 1u, su > signedBelow(T6)) + select(0u, 1u, su > signedBelow(T7)) +
    select(0u, 1u, su > signedBelow(T8)) + select(0u, 1u, su > signedBelow(T9)) + select(0u, 1u, su > signedBelow(T10)) + select(0u, 1u, su > signedBelow(T11)) +
    select(0u, 1u, su > signedBelow(T12)) + select(0u, 1u, su > signedBelow(T13)) + select(0u, 1u, su > signedBelow(T14)) + select(0u, 1u, su > signedBelow(T15)) +
    select(0u, 1u, su > signedBelow(T16)) + select(0u, 1u, su > signedBelow(T17)) + select(0u, 1u, su > signedBelow(T18)) + select(0u, 1u, su > signedBelow(T19)) +
    select(0u, 1u, su > signedBelow(T20)) + select(0u, 1u, su > signedBelow(T21)) + select(0u, 1u, su > signedBelow(T22)) + select(0u, 1u, su > signedBelow(T23)) +
    select(0u, 1u, su > signedBelow(T24)) + select(0u, 1u, su > signedBelow(T25)) + select(0u, 1u, su > signedBelow(T26)) + select(0u, 1u, su > signedBelow(T27)) +
    select(0u, 1u, su > signedBelow(T28)) + select(0u, 1u, su > signedBelow(T29)) + select(0u, 1u, su > signedBelow(T30)) + select(0u, 1u, su > signedBelow(T31));
  }
  var j = 0u;
  for (var width = 1u << (31u - countLeadingZeros(max(THRESHOLDS, 1u))); width > 0u; width >>= 1u) {
    if (j + width <= THRESHOLDS && u >= thresholds[j + width - 1u]) { j += width; }
  }
  return j;
}

// Token t of a sequence with key `key` and next token n.
fn tokenOf(key: u32, n: u32, t: u32) -> u32 {
  if (t + 1u < L) {
    let j = allowedIndex(draw(key, t + 1u) >> 8u);
    return select(DISTINCT_BASE + n * DISTINCT + (j - NUM_COMMON), j, j < NUM_COMMON);
  }
  if (t + 1u == L) { return QUERY_BASE + n / NEXT_PER_QUERY; }
  return NEXT_BASE + n;
}

@compute @workgroup_size(WG)
fn generate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let stride = L + 1u;
  let stepKey = mix32(mix32(replicaSeeds[r]) + step[0]);
  if (THREAD_PER_SEQUENCE) {
    for (var b = gid.x; b < BATCH; b += groups.x * WG) {
      let key = mix32(stepKey + b);
      let n = below(draw(key, 0u), K);
      let first = (r * BATCH + b) * stride;
      for (var t = 0u; t < stride; t++) { tokens[first + t] = tokenOf(key, n, t); }
    }
    return;
  }
  for (var i = gid.x; i < BATCH * stride; i += groups.x * WG) {
    let b = i / stride;
    let key = mix32(stepKey + b);
    tokens[r * BATCH * stride + i] = tokenOf(key, below(draw(key, 0u), K), i - b * stride);
  }
}

// The slot counts of sequence seq's L − 1 context tokens (thresholds compiled in, at most 32 slots). Per token it
// only counts, for every threshold, whether the draw reaches it (C_i, packed four 8-bit counts to a word, in
// straight-line code with constant guards: no loop, no private array in memory on a CPU adapter); slot j's count
// is then C_(j−1) − C_j, with C_(−1) = L − 1 and C_(slots−1) = 0. The draws are draw(key, t), the key's counter
// advanced by addition instead of a multiply per token.
fn countSlots(key: u32, seq: u32) {
  var c0 = 0u; var c1 = 0u; var c2 = 0u; var c3 = 0u; var c4 = 0u; var c5 = 0u; var c6 = 0u; var c7 = 0u;
  var counter = key + 0x9e3779b9u;
  for (var t = 1u; t < L; t++) {
    counter += 0x9e3779b9u;
    let u = i32(mix32(counter) >> 8u);
    c0 += select(0u, 0x1u, u > signedBelow(T0)) + select(0u, 0x100u, u > signedBelow(T1)) + select(0u, 0x10000u, u > signedBelow(T2)) + select(0u, 0x1000000u, u > signedBelow(T3));
    if (THRESHOLDS > 4u) { c1 += select(0u, 0x1u, u > signedBelow(T4)) + select(0u, 0x100u, u > signedBelow(T5)) + select(0u, 0x10000u, u > signedBelow(T6)) + select(0u, 0x1000000u, u > signedBelow(T7)); }
    if (THRESHOLDS > 8u) { c2 += select(0u, 0x1u, u > signedBelow(T8)) + select(0u, 0x100u, u > signedBelow(T9)) + select(0u, 0x10000u, u > signedBelow(T10)) + select(0u, 0x1000000u, u > signedBelow(T11)); }
    if (THRESHOLDS > 12u) { c3 += select(0u, 0x1u, u > signedBelow(T12)) + select(0u, 0x100u, u > signedBelow(T13)) + select(0u, 0x10000u, u > signedBelow(T14)) + select(0u, 0x1000000u, u > signedBelow(T15)); }
    if (THRESHOLDS > 16u) { c4 += select(0u, 0x1u, u > signedBelow(T16)) + select(0u, 0x100u, u > signedBelow(T17)) + select(0u, 0x10000u, u > signedBelow(T18)) + select(0u, 0x1000000u, u > signedBelow(T19)); }
    if (THRESHOLDS > 20u) { c5 += select(0u, 0x1u, u > signedBelow(T20)) + select(0u, 0x100u, u > signedBelow(T21)) + select(0u, 0x10000u, u > signedBelow(T22)) + select(0u, 0x1000000u, u > signedBelow(T23)); }
    if (THRESHOLDS > 24u) { c6 += select(0u, 0x1u, u > signedBelow(T24)) + select(0u, 0x100u, u > signedBelow(T25)) + select(0u, 0x10000u, u > signedBelow(T26)) + select(0u, 0x1000000u, u > signedBelow(T27)); }
    if (THRESHOLDS > 28u) { c7 += select(0u, 0x1u, u > signedBelow(T28)) + select(0u, 0x100u, u > signedBelow(T29)) + select(0u, 0x10000u, u > signedBelow(T30)) + select(0u, 0x1000000u, u > signedBelow(T31)); }
  }
  // Slot j's count is C_(j−1) − C_j. Byte k of word w of the C_(j−1) is byte k − 1 of c_w (byte 3 of c_(w−1), or
  // L − 1, for k = 0), and no byte of the difference borrows (the C are nonincreasing), so each word of counts is
  // one shift, or and subtraction: written out, as an array indexed by a computed value would live in memory.
  let w = seq * 8u;
  slotCounts[w] = ((c0 << 8u) | (L - 1u)) - c0;
  slotCounts[w + 1u] = ((c1 << 8u) | (c0 >> 24u)) - c1;
  slotCounts[w + 2u] = ((c2 << 8u) | (c1 >> 24u)) - c2;
  slotCounts[w + 3u] = ((c3 << 8u) | (c2 >> 24u)) - c3;
  slotCounts[w + 4u] = ((c4 << 8u) | (c3 >> 24u)) - c4;
  slotCounts[w + 5u] = ((c5 << 8u) | (c4 >> 24u)) - c5;
  slotCounts[w + 6u] = ((c6 << 8u) | (c5 >> 24u)) - c6;
  slotCounts[w + 7u] = ((c7 << 8u) | (c6 >> 24u)) - c7;
}

@compute @workgroup_size(WG)
fn generateCounts(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let stepKey = mix32(mix32(replicaSeeds[r]) + step[0]);
  for (var b = gid.x; b < BATCH; b += groups.x * WG) {
    let key = mix32(stepKey + b);
    let n = below(draw(key, 0u), K);
    let first = (r * BATCH + b) * (L + 1u);
    countSlots(key, r * BATCH + b);
    tokens[first + L - 1u] = tokenOf(key, n, L - 1u);
    tokens[first + L] = tokenOf(key, n, L);
  }
}

@compute @workgroup_size(1)
fn advanceStep() {
  stepCounter[0] = stepCounter[0] + 1u;
}
