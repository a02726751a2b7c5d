// Expands compact prompts (src/models/icl/data.ts) into dense columns p = [mu_rel + kappa nu_irr ; label q]
// with q = e_1 of the label space. Context columns go to `contexts`, the query column (label part zero) to
// `queries`, and the query's target z (stored in its label word) to `labels`. Separate context and query arrays
// let the projections of the queries run as plain batched GEMMs.
// Layouts: columns [R][PROMPTS][N + 1][4 words]; patterns [R][count][DX]; outputs [R][PROMPTS][...].
// Entry `sequences` writes the same columns as positions × features instead, the transformer's real inputs
// (SPEC §4: column i of P is input position i, the query last): prompts [R][PROMPTS][N + 1][D], and labels.

override DX: u32;
override D: u32;            // DX + DY
override N: u32;            // context columns per prompt
override PROMPTS: u32;      // prompts per replica
override REL_COUNT: u32;
override IRR_COUNT: u32;
override WG: u32 = 256u;
// A thread per column instead of per element: a column's words are read, its indices divided out and its
// context-or-query choice made once, not D times (what a CPU adapter wants: SwiftShader built ICL's default batch
// in 1.2 ms so, 7.6 ms a thread per element).
override WHOLE_COLUMNS: bool = false;

@group(0) @binding(0) var<storage, read> columns: array<u32>;
@group(0) @binding(1) var<storage, read> relPatterns: array<f32>;
@group(0) @binding(2) var<storage, read> irrPatterns: array<f32>;
@group(0) @binding(3) var<storage, read_write> contexts: array<f32>;
@group(0) @binding(4) var<storage, read_write> queries: array<f32>;
@group(0) @binding(5) var<storage, read_write> labels: array<f32>;
@group(0) @binding(6) var<storage, read_write> prompts: array<f32>;

// Element k of p for column i of a prompt whose compact column starts at word w: the features, the context's
// label at DX (the query's label part is zero), zero beyond.
fn columnElement(r: u32, w: u32, i: u32, k: u32) -> f32 {
  if (k < DX) {
    let kappa = bitcast<f32>(columns[w + 2u]);
    return relPatterns[(r * REL_COUNT + columns[w]) * DX + k] + kappa * irrPatterns[(r * IRR_COUNT + columns[w + 1u]) * DX + k];
  }
  if (k == DX && i < N) { return bitcast<f32>(columns[w + 3u]); }
  return 0.0;
}

// Element k of column `column` (prompt column / (N + 1), position column % (N + 1)) of replica r.
fn buildColumn(r: u32, column: u32, k: u32) {
  let b = column / (N + 1u);
  let i = column % (N + 1u);
  let prompt = r * PROMPTS + b;
  let w = (prompt * (N + 1u) + i) * 4u;
  let value = columnElement(r, w, i, k);
  if (i < N) {
    contexts[(prompt * N + i) * D + k] = value;
  } else {
    queries[prompt * D + k] = value;
    if (k == 0u) { labels[prompt] = bitcast<f32>(columns[w + 3u]); }
  }
}

// WHOLE_COLUMNS: the same values as buildColumn's, with the context-or-query choice made once per column.
fn buildWholeColumn(r: u32, column: u32) {
  let b = column / (N + 1u);
  let i = column % (N + 1u);
  let prompt = r * PROMPTS + b;
  let w = (prompt * (N + 1u) + i) * 4u;
  let rel = (r * REL_COUNT + columns[w]) * DX;
  let irr = (r * IRR_COUNT + columns[w + 1u]) * DX;
  let kappa = bitcast<f32>(columns[w + 2u]);
  let label = bitcast<f32>(columns[w + 3u]);
  if (i < N) {
    let out = (prompt * N + i) * D;
    for (var k = 0u; k < DX; k++) { contexts[out + k] = relPatterns[rel + k] + kappa * irrPatterns[irr + k]; }
    contexts[out + DX] = label;
    for (var k = DX + 1u; k < D; k++) { contexts[out + k] = 0.0; }
  } else {
    let out = prompt * D;
    for (var k = 0u; k < DX; k++) { queries[out + k] = relPatterns[rel + k] + kappa * irrPatterns[irr + k]; }
    for (var k = DX; k < D; k++) { queries[out + k] = 0.0; }
    labels[prompt] = label;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  if (WHOLE_COLUMNS) {
    for (var column = gid.x; column < PROMPTS * (N + 1u); column += groups.x * WG) { buildWholeColumn(r, column); }
    return;
  }
  for (var e = gid.x; e < PROMPTS * (N + 1u) * D; e += groups.x * WG) { buildColumn(r, e / D, e % D); }
}

// The columns as positions × features: prompt b's column i at [r][b][i]; a thread per element, or per column with
// WHOLE_COLUMNS (the same values either way).
@compute @workgroup_size(WG)
fn sequences(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let r = gid.y;
  let perReplica = PROMPTS * (N + 1u);
  let stride = groups.x * WG;
  if (WHOLE_COLUMNS) {
    for (var column = gid.x; column < perReplica; column += stride) {
      let i = column % (N + 1u);
      let w = (r * perReplica + column) * 4u;
      let out = (r * perReplica + column) * D;
      for (var k = 0u; k < D; k++) { prompts[out + k] = columnElement(r, w, i, k); }
      if (i == N) { labels[r * PROMPTS + column / (N + 1u)] = bitcast<f32>(columns[w + 3u]); }
    }
    return;
  }
  for (var e = gid.x; e < perReplica * D; e += stride) {
    let column = e / D;
    let k = e % D;
    let i = column % (N + 1u);
    let w = (r * perReplica + column) * 4u;
    prompts[(r * perReplica + column) * D + k] = columnElement(r, w, i, k);
    if (i == N && k == 0u) { labels[r * PROMPTS + column / (N + 1u)] = bitcast<f32>(columns[w + 3u]); }
  }
}
