// The counter-based hash every random draw on the GPU uses, spliced into kernels by the loader
// (`// #include "lib/counterHash.wgsl"`). Its TypeScript twin is mix32 / counterDraw / dropoutKeep in
// src/util/random.ts; the generators' and dropout's tests compare the two bit for bit.

// The lowbias32 integer hash (C. Wellons).
fn mix32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

// Random bits of draw `slot` of an item whose key hashes its seed, step and index.
fn draw(key: u32, slot: u32) -> u32 {
  return mix32(key + (slot + 1u) * 0x9e3779b9u);
}

// Dropout's mask (docs/transformer.md): the key of one (replica seed, step, layer, site), and whether element
// `index` is kept against a 24-bit threshold round(p * 2^24).
fn dropoutKey(seed: u32, step: u32, layer: u32, site: u32) -> u32 {
  return mix32(mix32(mix32(mix32(seed) + step) + layer) + site);
}

fn dropoutKeep(key: u32, index: u32, threshold24: u32) -> bool {
  return (draw(key, index) >> 8u) >= threshold24;
}
