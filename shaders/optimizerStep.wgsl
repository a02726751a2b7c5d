// One optimizer step over a whole parameter slab [R][SIZE] (SIZE = P, docs/transformer.md), PyTorch semantics:
//   sgd:         buf = mu·buf + g; p −= lr·buf   (torch.optim.SGD with momentum, no dampening, no Nesterov; the
//                first step's buf = g comes out of mu·0 + g with buf zeroed; mu = 0 is plain SGD)
//   adamw:       p *= 1 − lr·wd; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
//                p −= (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + EPS)   (torch.optim.AdamW, amsgrad off)
//   advanceStep: step += 1, recorded last in a training step so that a replayed plan sees t = step + 1.
// g = gradScale[r]·grad (the clip scale of shaders/gradNorm.wgsl; 1 without clipping). The learning rate is
// lr[group·R + r]: group 0 (`ffn`) for slab positions below FFN_END, which the slab puts first, group 1 (`rest`)
// after. β1, β2, wd and mu are per replica. t is read on the GPU from the step counter: the host never writes
// it inside the loop. Grid x strides over a replica's slab, grid y is the replica; each element is touched by
// one thread, so there is nothing to order. Zero padding (zero params, grads and states) stays zero.

override SIZE: u32;         // P
override REPLICAS: u32;
override FFN_END: u32;      // slab positions [0, FFN_END) are the ffn group
override EPS: f32 = 1e-8;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> param: array<f32>;        // [R][P]
@group(0) @binding(1) var<storage, read> grad: array<f32>;               // [R][P]
@group(0) @binding(2) var<storage, read> gradScale: array<f32>;          // [R]
@group(0) @binding(3) var<storage, read> lr: array<f32>;                 // [2][R]: ffn, rest
@group(0) @binding(4) var<storage, read_write> momentumBuffer: array<f32>; // sgd: [R][P]
@group(0) @binding(5) var<storage, read> momentum: array<f32>;           // sgd: [R]
@group(0) @binding(6) var<storage, read_write> expAvg: array<f32>;       // adamw: m [R][P]
@group(0) @binding(7) var<storage, read_write> expAvgSq: array<f32>;     // adamw: v [R][P]
@group(0) @binding(8) var<storage, read> beta1: array<f32>;              // adamw: [R]
@group(0) @binding(9) var<storage, read> beta2: array<f32>;              // adamw: [R]
@group(0) @binding(10) var<storage, read> weightDecay: array<f32>;       // adamw: [R]
@group(0) @binding(11) var<storage, read_write> step: array<u32>;        // [1]: steps taken so far

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let s = gradScale[r];
  let mu = momentum[r];
  let rateFfn = lr[r];
  let rateRest = lr[REPLICAS + r];
  for (var i = gid.x; i < SIZE; i += groups.x * WG) {
    let k = r * SIZE + i;
    let rate = select(rateRest, rateFfn, i < FFN_END);
    let b = mu * momentumBuffer[k] + s * grad[k];
    momentumBuffer[k] = b;
    param[k] = param[k] - rate * b;
  }
}

// 1 − β^t without the cancellation of computing β^t first (PyTorch evaluates its bias corrections in float64 on
// the host; in f32, 1 − 0.999¹ from a rounded power would keep 4 digits). Binary powering carries the pair
// (a, c) = (β^n, 1 − β^n): squaring gives (a², c·(1 + a)), one more factor gives (β·a, (1 − β) + β·c). Both
// updates add positive terms only, so c keeps full relative precision (about 2·log2(t) roundings).
fn oneMinusPower(beta: f32, t: u32) -> f32 {
  var a = 1.0;
  var c = 0.0;
  for (var bit = 31 - i32(countLeadingZeros(t)); bit >= 0; bit--) {
    c = c * (1.0 + a);
    a = a * a;
    if (((t >> u32(bit)) & 1u) == 1u) {
      c = (1.0 - beta) + beta * c;
      a = beta * a;
    }
  }
  return c;
}

@compute @workgroup_size(WG)
fn adamw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let t = step[0] + 1u;
  let s = gradScale[r];
  let b1 = beta1[r];
  let b2 = beta2[r];
  let wd = weightDecay[r];
  let correction2Sqrt = sqrt(oneMinusPower(b2, t));
  let correction1 = oneMinusPower(b1, t);
  let rateFfn = lr[r];
  let rateRest = lr[REPLICAS + r];
  for (var i = gid.x; i < SIZE; i += groups.x * WG) {
    let k = r * SIZE + i;
    let rate = select(rateRest, rateFfn, i < FFN_END);
    let g = s * grad[k];
    let m = b1 * expAvg[k] + (1.0 - b1) * g;
    let v = b2 * expAvgSq[k] + (1.0 - b2) * g * g;
    expAvg[k] = m;
    expAvgSq[k] = v;
    let denom = sqrt(v) / correction2Sqrt + EPS;
    param[k] = param[k] * (1.0 - rate * wd) - (rate / correction1) * m / denom;
  }
}

@compute @workgroup_size(1)
fn advanceStep() {
  step[0] = step[0] + 1u;
}
