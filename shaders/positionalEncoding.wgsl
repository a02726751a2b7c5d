// Positions added to the token embeddings (SPEC §4): x[r][b][t][c] += PE[t][c] over activations
// [REPLICAS][BATCH][T][D_MODEL], in place. PE is either the sinusoidal table (one T x D_MODEL table for every
// replica: PE_STRIDE = 0) or the learned `pos` tensor of each replica inside the parameter slab (PE_STRIDE = P).
// The backward, dpos[r][t][c] = sum_b dx[r][b][t][c], is a batch sum with an output stride: reduceRows does it
// (src/kernels/positionalEncoding.ts).

override BATCH: u32;
override T: u32;
override D_MODEL: u32;
override PE_STRIDE: u32;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> pe: array<f32>;

// Grid: x strides over one replica's B T D_MODEL elements, y is the replica.
@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let replica = gid.y;
  let perSequence = T * D_MODEL;
  let size = BATCH * perSequence;
  for (var i = gid.x; i < size; i += groups.x * WG) {
    x[replica * size + i] += pe[replica * PE_STRIDE + i % perSequence];
  }
}
