// Softmax attention of the query over the N context columns (the query does not attend to itself), in the
// cheap order: the host has already formed keyQuery = W_Kᵀ W_Q p_q per prompt (two GEMMs), so the scores are
// s_i = p_i · keyQuery and W_K never touches the N context columns. Outputs the weights, the pooled column
// pbar = Σ attn_i p_i (W_V is applied afterwards by a GEMM, once per prompt instead of once per column), and the
// attention mass on contexts whose relevant pattern equals the query's (the concentration metric).
// One workgroup per prompt: x = prompt, y = replica. Reductions over i run in a fixed order (deterministic).

override D: u32;
override N: u32;
override PROMPTS: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> contexts: array<f32>;   // [R][PROMPTS][N][D]
@group(0) @binding(1) var<storage, read> keyQuery: array<f32>;   // [R][PROMPTS][D]
@group(0) @binding(2) var<storage, read> columns: array<u32>;    // compact prompts [R][PROMPTS][N + 1][4]
@group(0) @binding(3) var<storage, read_write> attn: array<f32>;            // [R][PROMPTS][N]
@group(0) @binding(4) var<storage, read_write> pooled: array<f32>;          // [R][PROMPTS][D]
@group(0) @binding(5) var<storage, read_write> samePatternMass: array<f32>; // [R][PROMPTS]

var<workgroup> query: array<f32, D>;
var<workgroup> weights: array<f32, N>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let prompt = wid.y * PROMPTS + wid.x;
  let t = lid.x;
  let ctx0 = prompt * N * D;
  for (var k = t; k < D; k += WG) { query[k] = keyQuery[prompt * D + k]; }
  workgroupBarrier();
  for (var i = t; i < N; i += WG) {
    var s = 0.0;
    for (var k = 0u; k < D; k++) { s = fma(contexts[ctx0 + i * D + k], query[k], s); }
    weights[i] = s;
  }
  workgroupBarrier();
  if (t == 0u) {
    var top = weights[0];
    for (var i = 1u; i < N; i++) { top = max(top, weights[i]); }
    var total = 0.0;
    for (var i = 0u; i < N; i++) {
      let e = exp(weights[i] - top);
      weights[i] = e;
      total += e;
    }
    let queryPattern = columns[(prompt * (N + 1u) + N) * 4u];
    var same = 0.0;
    for (var i = 0u; i < N; i++) {
      let a = weights[i] / total;
      weights[i] = a;
      attn[prompt * N + i] = a;
      if (columns[(prompt * (N + 1u) + i) * 4u] == queryPattern) { same += a; }
    }
    samePatternMass[prompt] = same;
  }
  workgroupBarrier();
  for (var k = t; k < D; k += WG) {
    var sum = 0.0;
    for (var i = 0u; i < N; i++) { sum = fma(weights[i], contexts[ctx0 + i * D + k], sum); }
    pooled[prompt * D + k] = sum;
  }
}
