// Synthetic data of Tian et al. (SPEC §2), as in the paper's code: the token layout, the conditional
// distributions P(l|n), and training batches as a pure function of (seed, replica, step) so that a resumed run
// sees exactly the batches an uninterrupted one would.
import { Random } from '../../util/random';
import type { ScanSnapConfig } from './config';

export interface ScanSnapDataSettings {
  numCommon: number;
  numQuery: number;
  nextPerQuery: number;
  distinctPerNext: number;
  /** Sequence length: L − 1 context tokens plus the query. */
  L: number;
}

/** Token ids in the paper's order: common; distinct tokens of next 0, of next 1, ...; queries; next tokens. */
export interface TokenLayout {
  M: number;
  K: number;
  numCommon: number;
  distinctPerNext: number;
  distinctBase: number;
  queryBase: number;
  nextBase: number;
  /** Query token id ψ(n) of next token n (0-based next index). */
  queryOf(n: number): number;
  /** Token ids n may draw (all common tokens, then its own distinct tokens, rarest first). */
  allowed(n: number): number[];
  /** P(l|n) over `allowed(n)`, same order. */
  probabilities(n: number): Float64Array;
}

/** Common tokens weigh 1, the distinct tokens of a next token linspace(0.1, 1, D) (rarest first). */
export function distinctWeights(D: number): Float64Array {
  const w = new Float64Array(D);
  for (let j = 0; j < D; j++) w[j] = D === 1 ? 1 : 0.1 + (0.9 * j) / (D - 1);
  return w;
}

export function tokenLayout(s: Omit<ScanSnapDataSettings, 'L'>): TokenLayout {
  const K = s.numQuery * s.nextPerQuery;
  const distinctBase = s.numCommon;
  const queryBase = distinctBase + K * s.distinctPerNext;
  const nextBase = queryBase + s.numQuery;
  const weights = distinctWeights(s.distinctPerNext);
  return {
    M: nextBase + K,
    K,
    numCommon: s.numCommon,
    distinctPerNext: s.distinctPerNext,
    distinctBase,
    queryBase,
    nextBase,
    queryOf: (n) => queryBase + Math.floor(n / s.nextPerQuery),
    allowed(n) {
      const ids: number[] = [];
      for (let c = 0; c < s.numCommon; c++) ids.push(c);
      for (let j = 0; j < s.distinctPerNext; j++) ids.push(distinctBase + n * s.distinctPerNext + j);
      return ids;
    },
    probabilities() {
      const p = new Float64Array(s.numCommon + s.distinctPerNext);
      p.fill(1, 0, s.numCommon);
      p.set(weights, s.numCommon);
      const total = p.reduce((a, b) => a + b, 0);
      return p.map((v) => v / total);
    },
  };
}

/** Ids per sequence in the compact GPU layout: L − 1 context ids, the query, the next token. */
export function sequenceStride(L: number): number {
  return L + 1;
}

/** Random streams: the data of step t uses stream DATA_STREAM + t, the initial parameters INIT_STREAM. */
export const INIT_STREAM = 0;
const DATA_STREAM = 1;

/**
 * Samples sequences of replica `replica` at `step` into `out` (batch × (L + 1) ids; see sequenceStride).
 * Replica r draws from seed + r, so runs packed into replicas are the same runs as alone with that seed.
 */
/** Buckets of the inverse-CDF guide table: u in bucket i starts its search at the first index that can hold it. */
const GUIDE_BUCKETS = 64;

export class SequenceSampler {
  readonly layout: TokenLayout;
  private readonly cumulative: Float64Array[];
  private readonly allowed: Uint32Array[];
  private readonly guide: Uint8Array[];

  constructor(readonly settings: ScanSnapDataSettings) {
    this.layout = tokenLayout(settings);
    this.allowed = [];
    this.cumulative = [];
    this.guide = [];
    for (let n = 0; n < this.layout.K; n++) {
      this.allowed.push(Uint32Array.from(this.layout.allowed(n)));
      const p = this.layout.probabilities(n);
      const c = new Float64Array(p.length);
      let acc = 0;
      p.forEach((v, i) => (c[i] = acc += v));
      c[c.length - 1] = 1;
      this.cumulative.push(c);
      // guide[i] = the smallest index whose cumulative probability exceeds i / GUIDE_BUCKETS: the inverse CDF
      // of any u in bucket i is at or after it (the same answer as a binary search, in a step or two).
      const guide = new Uint8Array(GUIDE_BUCKETS);
      let j = 0;
      for (let i = 0; i < GUIDE_BUCKETS; i++) {
        while (c[j] <= i / GUIDE_BUCKETS) j++;
        guide[i] = j;
      }
      this.guide.push(guide);
    }
  }

  fill(out: Uint32Array, offset: number, batch: number, seed: number, replica: number, step: number): void {
    const { L } = this.settings;
    const stride = sequenceStride(L);
    const rng = new Random(seed + replica, DATA_STREAM + step);
    for (let b = 0; b < batch; b++) {
      const n = rng.int(this.layout.K);
      const cum = this.cumulative[n];
      const ids = this.allowed[n];
      const guide = this.guide[n];
      const base = offset + b * stride;
      for (let t = 0; t < L - 1; t++) {
        const u = rng.uniform();
        let j = guide[Math.floor(u * GUIDE_BUCKETS)];
        while (u >= cum[j]) j++;
        out[base + t] = ids[j];
      }
      out[base + L - 1] = this.layout.queryOf(n);
      out[base + L] = this.layout.nextBase + n;
    }
  }

  /** All replicas' sequences of one step: [replica][batch][L + 1]. */
  step<T extends Uint32Array>(out: T, replicas: number, batch: number, seed: number, step: number): T {
    const per = batch * sequenceStride(this.settings.L);
    for (let r = 0; r < replicas; r++) this.fill(out, r * per, batch, seed, r, step);
    return out;
  }
}

/** SPEC §3 batch format. */
export interface SequenceBatchJson {
  sequences: { context: number[]; query: number; next: number }[];
}

export function toBatchJson(ids: Uint32Array, batch: number, L: number, offset = 0): SequenceBatchJson {
  const stride = sequenceStride(L);
  const sequences = [];
  for (let b = 0; b < batch; b++) {
    const base = offset + b * stride;
    sequences.push({ context: Array.from(ids.subarray(base, base + L - 1)), query: ids[base + L - 1], next: ids[base + L] });
  }
  return { sequences };
}

/**
 * Parses and checks a SPEC §3 batch against vocabulary size M; returns the compact ids and the shapes.
 * Every sequence must have the same context length (L − 1 ≥ 1).
 */
export function fromBatchJson(json: unknown, M: number): { ids: Uint32Array<ArrayBuffer>; batch: number; L: number } {
  const seqs = (json as SequenceBatchJson | null)?.sequences;
  if (!Array.isArray(seqs) || seqs.length === 0) throw new Error('scansnap batch: expected {"sequences": [...]} with at least one sequence');
  const L = (seqs[0]?.context?.length ?? 0) + 1;
  if (L < 2) throw new Error('scansnap batch: sequence 0 has an empty context; a context needs at least one token');
  const stride = sequenceStride(L);
  const ids = new Uint32Array(seqs.length * stride);
  const checkId = (v: unknown, where: string) => {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= M) {
      throw new Error(`scansnap batch: ${where} = ${JSON.stringify(v)}; token ids are integers in 0..${M - 1}`);
    }
    return v as number;
  };
  seqs.forEach((s, b) => {
    if (!Array.isArray(s.context) || s.context.length !== L - 1) {
      throw new Error(`scansnap batch: sequences[${b}].context has ${s.context?.length} tokens; every context must have ${L - 1} (as sequence 0)`);
    }
    s.context.forEach((v, t) => (ids[b * stride + t] = checkId(v, `sequences[${b}].context[${t}]`)));
    ids[b * stride + L - 1] = checkId(s.query, `sequences[${b}].query`);
    ids[b * stride + L] = checkId(s.next, `sequences[${b}].next`);
  });
  return { ids, batch: seqs.length, L };
}

/** Initial parameters of every replica: replica r draws Y, then Z, from Random(seed + r, INIT_STREAM). */
export function initialParams(config: Pick<ScanSnapConfig, 'replicas' | 'init' | 'seed'>, M: number): { Y: Float32Array; Z: Float32Array } {
  const Y = new Float32Array(config.replicas * M * M);
  const Z = new Float32Array(config.replicas * M * M);
  if (config.init === 'uniform') {
    const bound = 1 / Math.sqrt(M);
    for (let r = 0; r < config.replicas; r++) {
      const rng = new Random(config.seed + r, INIT_STREAM);
      for (const p of [Y, Z]) for (let i = r * M * M; i < (r + 1) * M * M; i++) p[i] = rng.range(-bound, bound);
    }
  }
  return { Y, Z };
}

