// Language-model batches cut from a token stream that lives on the GPU: tokens[r][b][0..T] = stream[start + i],
// T + 1 tokens per window (inputs 0..T−1, targets 1..T, SPEC §4). The stream is uploaded once; each step picks
// its windows here from the step counter, so a training step reads no host data.
//   SEQUENTIAL (the PyTorch word-language-model tutorial's batchify + get_batch): the stream is cut into BATCH
//     columns of COLUMN tokens; step s takes window w = s mod WINDOWS of every column, start = b·COLUMN + w·T,
//     so an epoch walks each column once, and every replica sees the same data.
//   random: start = draw(key, b) mod (STREAM − T) with key = mix32(mix32(seed of the replica) + step): a pure
//     function of (seed, replica, step, b); the modulo's bias is below (STREAM − T) / 2^32.

// #include "lib/counterHash.wgsl"

override T: u32;
override BATCH: u32;
override STREAM: u32;
override SEQUENTIAL: bool = true;
override COLUMN: u32 = 0u;    // SEQUENTIAL: tokens per column, floor(STREAM / BATCH)
override WINDOWS: u32 = 1u;   // SEQUENTIAL: windows per epoch, floor((COLUMN − 1) / T)
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> stream: array<u32>;
@group(0) @binding(1) var<storage, read> step: array<u32>;     // [1]: the model's step counter
@group(0) @binding(2) var<storage, read> seeds: array<u32>;    // [R]: seed of each replica
@group(0) @binding(3) var<storage, read_write> tokens: array<u32>;

fn windowStart(r: u32, b: u32) -> u32 {
  if (SEQUENTIAL) { return b * COLUMN + (step[0] % WINDOWS) * T; }
  return draw(mix32(mix32(seeds[r]) + step[0]), b) % (STREAM - T);
}

// Grid: x strides over a replica's BATCH·(T + 1) tokens, y is the replica.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let stride = T + 1u;
  for (var i = gid.x; i < BATCH * stride; i += groups.x * WG) {
    let b = i / stride;
    tokens[r * BATCH * stride + i] = stream[windowStart(r, b) + (i - b * stride)];
  }
}
