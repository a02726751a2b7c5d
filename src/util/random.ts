// Seeded randomness for data, initialisation and tests. xoshiro128** seeded through splitmix32: fast, good
// quality, and the same sequence in every JavaScript engine, so a seed means the same run everywhere.

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /** `seed` is any integer; `stream` separates independent sequences from the same seed (e.g. data vs init). */
  constructor(seed: number, stream = 0) {
    const sm = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return (this.nextU32() * 2 ** 21 + (this.nextU32() >>> 11)) / 2 ** 53;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /**
   * out[from .. to − 1] = range(lo, hi) each, in order: the same values as that many range() calls, with the
   * generator's state in locals (a loop of method calls took 0.65 s for the 18 M values of 160 Scan & Snap
   * replicas at M = 240).
   */
  fillRange(out: { [i: number]: number }, from: number, to: number, lo: number, hi: number): void {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const span = hi - lo;
    for (let i = from; i < to; i++) {
      // Two nextU32 steps, written out.
      let x = Math.imul(s1, 5);
      const high = Math.imul(((x << 7) | (x >>> 25)) >>> 0, 9) >>> 0;
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = ((s3 << 11) | (s3 >>> 21)) >>> 0;
      x = Math.imul(s1, 5);
      const low = Math.imul(((x << 7) | (x >>> 25)) >>> 0, 9) >>> 0;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = ((s3 << 11) | (s3 >>> 21)) >>> 0;
      out[i] = lo + span * ((high * 2 ** 21 + (low >>> 11)) / 2 ** 53);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /** Uniform integer in 0..n-1 (unbiased). */
  int(n: number): number {
    if (n <= 0) throw new RangeError(`Random.int(${n})`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  sign(): 1 | -1 {
    return this.nextU32() & 1 ? 1 : -1;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** Array of `n` draws of `draw`. */
  fill(n: number, draw: (r: Random) => number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = draw(this);
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// Counter-based draws, for data that must be a pure function of (seed, replica, step, index) and identical on
// the GPU: shaders/iclBatchGenerate.wgsl and shaders/scansnapBatchGenerate.wgsl compute the same hashes.

/** The lowbias32 integer hash (C. Wellons). */
export function mix32(v: number): number {
  let x = v >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Random bits of draw `slot` of an item whose key hashes its seed + replica, step and index. */
export function counterDraw(key: number, slot: number): number {
  return mix32((key + Math.imul(slot + 1, 0x9e3779b9)) >>> 0);
}

/** Dropout's key for one (replica seed, step, layer, site): docs/transformer.md, shaders/lib/counterHash.wgsl. */
export function dropoutKey(seed: number, step: number, layer: number, site: number): number {
  return mix32((mix32((mix32((mix32(seed >>> 0) + step) >>> 0) + layer) >>> 0) + site) >>> 0);
}

/** round(p · 2^24): element kept when the top 24 bits of its draw reach it (no float compare on either side). */
export function dropoutThreshold(p: number): number {
  return Math.round(p * 2 ** 24);
}

/** Whether element `index` survives dropout under `key` (inverted dropout then scales it by 1 / (1 − p)). */
export function dropoutKeep(key: number, index: number, threshold24: number): boolean {
  return counterDraw(key, index) >>> 8 >= threshold24;
}
