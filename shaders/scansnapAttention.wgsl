// Scan & Snap forward attention, one thread per sequence: s_t = Z[m][x_t] for the query m over the context,
// b = softmax(s), v = Σ_t b_t e_{x_t}, vn = v / ‖v‖. v has at most CTX nonzeros, so it is built as a list of
// distinct context tokens (repeats merged: v_k = Σ_{t: x_t = k} b_t) plus a dense copy of vn for the Y gradient.
// The softmax denominator cancels in the l2 normalisation, so only exp(s_t − max s) is accumulated.
// Layouts: tokens [R][BATCH][CTX + 2] (context, query, next); Z [R][ROWS][P]: only the rows ROW_BASE ..
// ROW_BASE + ROWS − 1 that can be queries (training keeps the other rows, which never change, off the GPU);
// lists [R][BATCH][CTX]; rows of Z and vnDense have P ≥ M entries (whole vec4s for the kernels that read four).

override BATCH: u32;
override CTX: u32;    // L − 1 context tokens
override M: u32;      // vocabulary
override P: u32;      // padded row length
override ROW_BASE: u32 = 0u;
override ROWS: u32;
override WG: u32 = 64u;

const NO_SLOT: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> Z: array<f32>;
@group(0) @binding(2) var<storage, read_write> uniqueIds: array<u32>;
@group(0) @binding(3) var<storage, read_write> uniqueVn: array<f32>;
@group(0) @binding(4) var<storage, read_write> uniqueCount: array<u32>;   // [R][BATCH]
// [R][BATCH][P] f32 bits. During the merge it maps a token to its slot in the list (saves a scratch buffer).
@group(0) @binding(5) var<storage, read_write> vnDense: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  let r = gid.y;
  if (b >= BATCH) { return; }
  let seq = r * BATCH + b;
  let tok = seq * (CTX + 2u);
  let zRow = (r * ROWS + tokens[tok + CTX] - ROW_BASE) * P;
  let dense = seq * P;
  let list = seq * CTX;

  var sMax = -3.4e38;
  for (var t = 0u; t < CTX; t++) {
    let k = tokens[tok + t];
    sMax = max(sMax, Z[zRow + k]);
    vnDense[dense + k] = NO_SLOT;
  }

  var count = 0u;
  for (var t = 0u; t < CTX; t++) {
    let k = tokens[tok + t];
    let weight = exp(Z[zRow + k] - sMax);
    let slot = vnDense[dense + k];
    if (slot == NO_SLOT) {
      vnDense[dense + k] = count;
      uniqueIds[list + count] = k;
      uniqueVn[list + count] = weight;
      count++;
    } else {
      uniqueVn[list + slot] += weight;
    }
  }

  var norm2 = 0.0;
  for (var j = 0u; j < count; j++) { norm2 += uniqueVn[list + j] * uniqueVn[list + j]; }
  let invNorm = 1.0 / sqrt(norm2);
  for (var k = 0u; k < P; k++) { vnDense[dense + k] = 0u; }
  for (var j = 0u; j < count; j++) {
    let vn = uniqueVn[list + j] * invNorm;
    uniqueVn[list + j] = vn;
    vnDense[dense + uniqueIds[list + j]] = bitcast<u32>(vn);
  }
  uniqueCount[seq] = count;
}
