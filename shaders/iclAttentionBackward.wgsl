// Backward of iclAttentionForward: from dL/dpbar to dL/dkeyQuery, where pbar = Σ attn_i p_i,
// attn = softmax(s), s_i = p_i · keyQuery:
//   g_i = dpbar · p_i,  ds_i = attn_i (g_i − Σ_j attn_j g_j),  dkeyQuery = Σ_i ds_i p_i.
// (dL/dW_V, dL/dW_K and dL/dW_Q then follow from GEMMs over the batch.) One workgroup per prompt.

override D: u32;
override N: u32;
override PROMPTS: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> contexts: array<f32>;          // [R][PROMPTS][N][D]
@group(0) @binding(1) var<storage, read> attn: array<f32>;              // [R][PROMPTS][N]
@group(0) @binding(2) var<storage, read> pooledGrad: array<f32>;        // [R][PROMPTS][D]
@group(0) @binding(3) var<storage, read_write> keyQueryGrad: array<f32>; // [R][PROMPTS][D]

var<workgroup> upstream: array<f32, D>;
var<workgroup> scoreGrad: array<f32, N>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
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
