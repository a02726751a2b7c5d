// Backward of iclAttentionForward: from dL/dpbar to dL/dkeyQuery, where pbar = Σ attn_i p_i,
// attn = softmax(s), s_i = p_i · keyQuery:
//   g_i = dpbar · p_i,  ds_i = attn_i (g_i − Σ_j attn_j g_j),  dkeyQuery = Σ_i ds_i p_i.
// (dL/dW_V, dL/dW_K and dL/dW_Q then follow from GEMMs over the batch.) One workgroup per prompt; or, with
// THREAD_PER_PROMPT, one thread per prompt with no workgroup memory and no barrier (what a CPU adapter wants):
// it forms g_i twice (once for Σ attn_j g_j, once for ds_i) and adds ds_i p_i into dkeyQuery in increasing i,
// so every sum runs in the workgroup version's order and the two give the same bits.

override D: u32;
override N: u32;
override PROMPTS: u32;
override WG: u32 = 64u;
override THREAD_PER_PROMPT: bool = false;

@group(0) @binding(0) var<storage, read> contexts: array<f32>;          // [R][PROMPTS][N][D]
@group(0) @binding(1) var<storage, read> attn: array<f32>;              // [R][PROMPTS][N]
@group(0) @binding(2) var<storage, read> pooledGrad: array<f32>;        // [R][PROMPTS][D]
@group(0) @binding(3) var<storage, read_write> keyQueryGrad: array<f32>; // [R][PROMPTS][D]

var<workgroup> upstream: array<f32, D>;
var<workgroup> scoreGrad: array<f32, N>;

// THREAD_PER_PROMPT: g_i for the four contexts i, i + 1, ... (indices clamped to the last), sharing each load of
// dpbar (a CPU adapter pays per load).
fn scoreGrads(ctx0: u32, q0: u32, i: u32) -> vec4<f32> {
  let c = ctx0 + min(vec4<u32>(i) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(N - 1u)) * D;
  var g = vec4<f32>(0.0);
  for (var k = 0u; k < D; k++) {
    g = fma(vec4<f32>(contexts[c.x + k], contexts[c.y + k], contexts[c.z + k], contexts[c.w + k]), vec4<f32>(pooledGrad[q0 + k]), g);
  }
  return g;
}

fn backwardAlone(prompt: u32) {
  let ctx0 = prompt * N * D;
  let q0 = prompt * D;
  let a0 = prompt * N;
  var mean = 0.0;
  for (var i = 0u; i < N; i += 4u) {
    let g = scoreGrads(ctx0, q0, i);
    for (var j = 0u; j < min(4u, N - i); j++) { mean = fma(attn[a0 + i + j], g[j], mean); }
  }
  for (var k = 0u; k < D; k++) { keyQueryGrad[q0 + k] = 0.0; }
  for (var i = 0u; i < N; i += 4u) {
    // ds of the clamped repeats is zero: adding 0 x (a finite context) leaves each sum's bits as they are.
    let live = vec4<u32>(i) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(N);
    let is = min(vec4<u32>(i) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(N - 1u));
    let a = vec4<f32>(attn[a0 + is.x], attn[a0 + is.y], attn[a0 + is.z], attn[a0 + is.w]);
    let ds = select(vec4<f32>(0.0), a * (scoreGrads(ctx0, q0, i) - vec4<f32>(mean)), live);
    let c = ctx0 + is * D;
    for (var k = 0u; k < D; k++) {
      var sum = keyQueryGrad[q0 + k];
      sum = fma(ds.x, contexts[c.x + k], sum);
      sum = fma(ds.y, contexts[c.y + k], sum);
      sum = fma(ds.z, contexts[c.z + k], sum);
      sum = fma(ds.w, contexts[c.w + k], sum);
      keyQueryGrad[q0 + k] = sum;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(global_invocation_id) gid: vec3<u32>) {
  if (THREAD_PER_PROMPT) {
    if (gid.x < PROMPTS) { backwardAlone(gid.y * PROMPTS + gid.x); }
    return;
  }
  let prompt = wid.y * PROMPTS + wid.x;
  let t = lid.x;
  let ctx0 = prompt * N * D;
  for (var k = t; k < D; k += WG) { upstream[k] = pooledGrad[prompt * D + k]; }
  workgroupBarrier();
  for (var i = t; i < N; i += WG) {
    var g = 0.0;
    for (var k = 0u; k < D; k++) { g = fma(contexts[ctx0 + i * D + k], upstream[k], g); }
    scoreGrad[i] = g;
  }
  workgroupBarrier();
  if (t == 0u) {
    var mean = 0.0;
    for (var i = 0u; i < N; i++) { mean = fma(attn[prompt * N + i], scoreGrad[i], mean); }
    for (var i = 0u; i < N; i++) { scoreGrad[i] = attn[prompt * N + i] * (scoreGrad[i] - mean); }
  }
  workgroupBarrier();
  for (var k = t; k < D; k += WG) {
    var sum = 0.0;
    for (var i = 0u; i < N; i++) { sum = fma(scoreGrad[i], contexts[ctx0 + i * D + k], sum); }
    keyQueryGrad[prompt * D + k] = sum;
  }
}
