// Per replica, the first evaluation step at which the unseen-task test error falls below THRESHOLD (Li et al.'s
// claim that a larger training alpha needs fewer iterations is about this step). Recorded inside the replayed
// training step right after a test-set evaluation, so a sweep of replicas never waits on a readback: a replica
// that has crossed keeps its step (later evaluations never overwrite it), and one replica's crossing never stops
// or changes another.
// Inputs: the GPU step counter (u32[1]); the evaluator's sums [R][4] = (Σ hinge, Σ sign errors, Σ same-pattern
// mass, prompts counted). State: firstStep [R], −1 until the replica crosses, then the step as f32 (exact below
// 2^24 steps), so that it travels in the float metrics snapshot and in checkpoints as it is.
// error = Σ errors / prompts, compared in f32; no prompts (0 / 0 = NaN) never counts as a crossing.

override REPLICAS: u32;
override THRESHOLD: f32;
override WG: u32 = 64u;

const STATS_PER_REPLICA: u32 = 4u;
const ERRORS: u32 = 1u;
const PROMPTS: u32 = 3u;

@group(0) @binding(0) var<storage, read> step: array<u32>;
@group(0) @binding(1) var<storage, read> evalStats: array<f32>;
@group(0) @binding(2) var<storage, read_write> firstStep: array<f32>;

@compute @workgroup_size(WG)
fn record(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= REPLICAS || firstStep[r] >= 0.0) { return; }
  let error = evalStats[r * STATS_PER_REPLICA + ERRORS] / evalStats[r * STATS_PER_REPLICA + PROMPTS];
  if (error < THRESHOLD) { firstStep[r] = f32(step[0]); }
}
