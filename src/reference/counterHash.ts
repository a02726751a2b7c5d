// Reference of shaders/counterHash.wgsl, written plainly in exact integer arithmetic (BigInt, reduced mod 2^32 after
// every operation) from the definitions in shaders/lib/counterHash.wgsl: lowbias32, a draw, dropout's key. It is
// independent of the Math.imul twins in src/util/random.ts, which the CPU generators use; the test checks all three.
const MOD = 1n << 32n;
const u32 = (x: bigint) => ((x % MOD) + MOD) % MOD;

/** The lowbias32 integer hash (C. Wellons). */
export function mix32Reference(v: number): number {
  let x = u32(BigInt(v));
  x ^= x >> 16n;
  x = u32(x * 0x7feb352dn);
  x ^= x >> 15n;
  x = u32(x * 0x846ca68bn);
  x ^= x >> 16n;
  return Number(x);
}

/** Random bits of draw `slot` of an item with hashed key `key`: mix32(key + (slot + 1) · golden ratio). */
export function drawReference(key: number, slot: number): number {
  return mix32Reference(Number(u32(BigInt(key) + BigInt(slot + 1) * 0x9e3779b9n)));
}

/** Dropout's key of one (seed, step, layer, site). */
export function dropoutKeyReference(seed: number, step: number, layer: number, site: number): number {
  const add = (a: number, b: number) => Number(u32(BigInt(a) + BigInt(b)));
  return mix32Reference(add(mix32Reference(add(mix32Reference(add(mix32Reference(seed), step)), layer)), site));
}

/** What the kernel's `draws` entry writes: [keys.length][slots]. */
export function counterHashDrawsReference(keys: Uint32Array, slots: number): Uint32Array {
  return Uint32Array.from({ length: keys.length * slots }, (_, i) => drawReference(keys[Math.floor(i / slots)], i % slots));
}

/** What the kernel's `dropoutKeys` entry writes, for (seed, step, layer, site) tuples packed 4 words each. */
export function counterHashDropoutKeysReference(tuples: Uint32Array): Uint32Array {
  return Uint32Array.from({ length: tuples.length / 4 }, (_, k) => dropoutKeyReference(tuples[4 * k], tuples[4 * k + 1], tuples[4 * k + 2], tuples[4 * k + 3]));
}
