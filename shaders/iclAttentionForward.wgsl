// Softmax attention of the query over the N context columns (the query does not attend to itself), in the
// cheap order: the host has already formed keyQuery = W_Kᵀ W_Q p_q per prompt (two GEMMs), so the scores are
// s_i = p_i · keyQuery and W_K never touches the N context columns. Outputs the weights, the pooled column
// pbar = Σ attn_i p_i (W_V is applied afterwards by a GEMM, once per prompt instead of once per column), and the
// attention mass on contexts whose relevant pattern equals the query's (the concentration metric).
// One workgroup per prompt (x = prompt, y = replica), its threads sharing the scores and sums; or, with
// THREAD_PER_PROMPT, one thread per prompt (x = prompt / WG) with the weights kept in `attn`, no workgroup memory
// and no barrier (what a CPU adapter wants). Every sum over i or k runs in the same fixed order either way, so the
// two give the same bits.

override D: u32;
override N: u32;
override PROMPTS: u32;
override WG: u32 = 64u;
override THREAD_PER_PROMPT: bool = false;

@group(0) @binding(0) var<storage, read> contexts: array<f32>;   // [R][PROMPTS][N][D]
@group(0) @binding(1) var<storage, read> keyQuery: array<f32>;   // [R][PROMPTS][D]
@group(0) @binding(2) var<storage, read> columns: array<u32>;    // compact prompts [R][PROMPTS][N + 1][4]
@group(0) @binding(3) var<storage, read_write> attn: array<f32>;            // [R][PROMPTS][N]
@group(0) @binding(4) var<storage, read_write> pooled: array<f32>;          // [R][PROMPTS][D]
@group(0) @binding(5) var<storage, read_write> samePatternMass: array<f32>; // [R][PROMPTS]

var<workgroup> query: array<f32, D>;
var<workgroup> weights: array<f32, N>;

// THREAD_PER_PROMPT: the whole forward of one prompt; attn holds the scores, then the exponentials, then the
// weights. Four contexts (then four columns of pbar) at a time share each load of keyQuery (of a weight): a CPU
// adapter pays per load. Past the end the indices clamp to the last one, which is computed and written again.
fn attendAlone(prompt: u32) {
  let ctx0 = prompt * N * D;
  let q0 = prompt * D;
  let a0 = prompt * N;
  for (var i = 0u; i < N; i += 4u) {
    let c = ctx0 + min(vec4<u32>(i) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(N - 1u)) * D;
    var s = vec4<f32>(0.0);
    for (var k = 0u; k < D; k++) {
      s = fma(vec4<f32>(contexts[c.x + k], contexts[c.y + k], contexts[c.z + k], contexts[c.w + k]), vec4<f32>(keyQuery[q0 + k]), s);
    }
    let at = a0 + (c - ctx0) / D;
    attn[at.x] = s.x;
    attn[at.y] = s.y;
    attn[at.z] = s.z;
    attn[at.w] = s.w;
  }
  var top = attn[a0];
  for (var i = 1u; i < N; i++) { top = max(top, attn[a0 + i]); }
  var total = 0.0;
  for (var i = 0u; i < N; i++) {
    let e = exp(attn[a0 + i] - top);
    attn[a0 + i] = e;
    total += e;
  }
  let queryPattern = columns[(prompt * (N + 1u) + N) * 4u];
  var same = 0.0;
  for (var i = 0u; i < N; i++) {
    let a = attn[a0 + i] / total;
    attn[a0 + i] = a;
    if (columns[(prompt * (N + 1u) + i) * 4u] == queryPattern) { same += a; }
  }
  samePatternMass[prompt] = same;
  for (var k = 0u; k < D; k += 4u) {
    let ks = min(vec4<u32>(k) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(D - 1u));
    var sum = vec4<f32>(0.0);
    for (var i = 0u; i < N; i++) {
      let c = ctx0 + i * D;
      sum = fma(vec4<f32>(attn[a0 + i]), vec4<f32>(contexts[c + ks.x], contexts[c + ks.y], contexts[c + ks.z], contexts[c + ks.w]), sum);
    }
    pooled[q0 + ks.x] = sum.x;
    pooled[q0 + ks.y] = sum.y;
    pooled[q0 + ks.z] = sum.z;
    pooled[q0 + ks.w] = sum.w;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(global_invocation_id) gid: vec3<u32>) {
  if (THREAD_PER_PROMPT) {
    if (gid.x < PROMPTS) { attendAlone(gid.y * PROMPTS + gid.x); }
    return;
  }
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
