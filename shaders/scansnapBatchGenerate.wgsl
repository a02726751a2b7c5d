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

// #include "lib/counterHash.wgsl"

fn below(x: u32, n: u32) -> u32 {
  return ((x >> 16u) * n) >> 16u;
}

// How many thresholds u reaches. They are nondecreasing (a cumulative distribution), so this is the length of
// the prefix of thresholds <= u, found by binary lifting: log2 loads instead of THRESHOLDS, with the same steps for
// every token.
fn allowedIndex(u: u32) -> u32 {
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

@compute @workgroup_size(1)
fn advanceStep() {
  stepCounter[0] = stepCounter[0] + 1u;
}
