// Training batches generated on the GPU with a counter-based RNG: every random draw of prompt b of replica r at
// step t is draw(key(seed + r, t, b), i) for a fixed slot i, so a batch is a pure function of (seed, replica,
// step), prompts are independent (one thread each), and src/models/icl/data.ts (writeTrainingBatch) reproduces
// the same words bit for bit on the CPU. Output: compact columns [R][PROMPTS][N + 1][4 words] as
// iclPromptBuild reads them. Integer choices use the top 16 bits (exact in u32); kappa uses 24 bits.
//   generate:    one thread per prompt (x) and replica (y), reading the step from `step`.
//   advanceStep: step += 1, recorded at the end of every training step so that a replayed plan sees step t.

override N: u32;
override PROMPTS: u32;
override REL_COUNT: u32;
override IRR_COUNT: u32;
override TASKS: u32;
override KAPPA_MAX: f32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> step: array<u32>;            // [1]
@group(0) @binding(1) var<storage, read> replicaDraws: array<u32>;    // [R][3]: seed + r, alpha/2 and alpha as 24-bit thresholds
@group(0) @binding(2) var<storage, read> tasks: array<u32>;           // [TASKS][2]: (a, b)
@group(0) @binding(3) var<storage, read_write> columns: array<u32>;
@group(0) @binding(4) var<storage, read_write> stepCounter: array<u32>; // advanceStep only

// #include "lib/counterHash.wgsl"

fn below(x: u32, n: u32) -> u32 {
  return ((x >> 16u) * n) >> 16u;
}

fn kappaOf(x: u32) -> f32 {
  return (f32(x >> 8u) * (1.0 / 8388608.0) - 1.0) * KAPPA_MAX;
}

fn writeColumn(column: u32, rel: u32, irr: u32, kappa: f32, label: f32) {
  columns[column * 4u] = rel;
  columns[column * 4u + 1u] = irr;
  columns[column * 4u + 2u] = bitcast<u32>(kappa);
  columns[column * 4u + 3u] = bitcast<u32>(label);
}

@compute @workgroup_size(WG)
fn generate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let seed = replicaDraws[r * 3u];
  let thresholdA = replicaDraws[r * 3u + 1u];
  let thresholdB = replicaDraws[r * 3u + 2u];
  for (var b = gid.x; b < PROMPTS; b += groups.x * WG) {
    let key = mix32(mix32(mix32(seed) + step[0]) + b);
    let task = below(draw(key, 0u), TASKS);
    let a = tasks[task * 2u];
    let bb = tasks[task * 2u + 1u];
    let first = (r * PROMPTS + b) * (N + 1u);
    let positive = (draw(key, 1u) & 1u) == 1u;
    writeColumn(first + N, select(bb, a, positive), below(draw(key, 2u), IRR_COUNT), kappaOf(draw(key, 3u)), select(-1.0, 1.0, positive));
    for (var i = 0u; i < N; i++) {
      let slot = 4u + 5u * i;
      let pick = draw(key, slot) >> 8u;
      var rel = a;
      var label = 1.0;
      if (pick >= thresholdB) {
        rel = below(draw(key, slot + 1u), REL_COUNT - 2u);
        if (rel >= min(a, bb)) { rel += 1u; }
        if (rel >= max(a, bb)) { rel += 1u; }
        label = select(-1.0, 1.0, (draw(key, slot + 2u) & 1u) == 1u);
      } else if (pick >= thresholdA) {
        rel = bb;
        label = -1.0;
      }
      writeColumn(first + i, rel, below(draw(key, slot + 3u), IRR_COUNT), kappaOf(draw(key, slot + 4u)), label);
    }
  }
}

@compute @workgroup_size(1)
fn advanceStep() {
  stepCounter[0] = stepCounter[0] + 1u;
}
