// Expands compact prompts (src/models/icl/data.ts) into dense columns p = [mu_rel + kappa nu_irr ; label q]
// with q = e_1 of the label space. Context columns go to `contexts`, the query column (label part zero) to
// `queries`, and the query's target z (stored in its label word) to `labels`. Separate context and query arrays
// let the projections of the queries run as plain batched GEMMs.
// Layouts: columns [R][PROMPTS][N + 1][4 words]; patterns [R][count][DX]; outputs [R][PROMPTS][...].

override DX: u32;
override D: u32;            // DX + DY
override N: u32;            // context columns per prompt
override PROMPTS: u32;      // prompts per replica
override REL_COUNT: u32;
override IRR_COUNT: u32;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> columns: array<u32>;
@group(0) @binding(1) var<storage, read> relPatterns: array<f32>;
@group(0) @binding(2) var<storage, read> irrPatterns: array<f32>;
@group(0) @binding(3) var<storage, read_write> contexts: array<f32>;
@group(0) @binding(4) var<storage, read_write> queries: array<f32>;
@group(0) @binding(5) var<storage, read_write> labels: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let perReplica = PROMPTS * (N + 1u) * D;
  for (var e = gid.x; e < perReplica; e += groups.x * WG) {
    let column = e / D;
    let k = e % D;
    let b = column / (N + 1u);
    let i = column % (N + 1u);
    let prompt = r * PROMPTS + b;
    let w = (prompt * (N + 1u) + i) * 4u;
    let label = bitcast<f32>(columns[w + 3u]);
    var value = 0.0;
    if (k < DX) {
      let rel = columns[w];
      let irr = columns[w + 1u];
      let kappa = bitcast<f32>(columns[w + 2u]);
      value = relPatterns[(r * REL_COUNT + rel) * DX + k] + kappa * irrPatterns[(r * IRR_COUNT + irr) * DX + k];
    } else if (k == DX && i < N) {
      value = label;
    }
    if (i < N) {
      contexts[(prompt * N + i) * D + k] = value;
    } else {
      queries[prompt * D + k] = value;
      if (k == 0u) { labels[prompt] = label; }
    }
  }
}
