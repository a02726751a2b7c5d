// Synthetic data of Tian et al. (SPEC §2), as in the paper's code: the token layout, the conditional
// distributions P(l|n), and training batches as a pure function of (seed, replica, step) so that a resumed run
// sees exactly the batches an uninterrupted one would.
import { Random } from '../../util/random';
import { counterDraw as draw, mix32 } from '../../util/random';
import type { ScanSnapConfig } from './config';
import type { ScanSnapSlots } from '../../kernels/scansnapLayout';

export interface ScanSnapDataSettings {
  numCommon: number;
  numQuery: number;
  nextPerQuery: number;
  distinctPerNext: number;
  /** Sequence length: L − 1 context tokens plus the query. */
  L: number;
}

/** The slot layout of the kernels (ScanSnapSlots) for batches drawn from these settings. */
export function tokenSlots(s: Omit<ScanSnapDataSettings, 'L'>): ScanSnapSlots {
  const layout = tokenLayout(s);
  return { numCommon: s.numCommon, distinctPerNext: s.distinctPerNext, K: layout.K, nextBase: layout.nextBase, queryBase: layout.queryBase, nextPerQuery: s.nextPerQuery };
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

/** Random stream of the initial parameters (the data are counter-based, see SequenceSampler). */
export const INIT_STREAM = 0;


/** Uniform integer in 0..n−1 from the top 16 bits (n < 65536; exact in 32-bit arithmetic). */
function below(x: number, n: number): number {
  return ((x >>> 16) * n) >>> 16;
}

/**
 * The inverse CDF of P(l|n) as integers: threshold j is round(2^24 · P(first j + 1 allowed tokens)), one per
 * allowed token but the last. A 24-bit draw u picks the allowed token whose index is the number of thresholds
 * u reaches; computed once here in float64 and uploaded, so the GPU and the CPU compare the same integers.
 */
export function tokenThresholds(layout: TokenLayout): Uint32Array<ArrayBuffer> {
  const p = layout.probabilities(0);
  const out = new Uint32Array(Math.max(1, p.length - 1));
  let cumulative = 0;
  for (let j = 0; j < p.length - 1; j++) out[j] = Math.round((cumulative += p[j]) * 2 ** 24);
  return out;
}

/** The per-replica words shaders/scansnapBatchGenerate.wgsl reads: seed + r. */
export function replicaSeedWords(seed: number, replicas: number): Uint32Array<ArrayBuffer> {
  return Uint32Array.from({ length: replicas }, (_, r) => (seed + r) >>> 0);
}

/**
 * Training sequences, counter-based: draw i of sequence b of replica r at step t is a hash of (seed + r, t, b, i)
 * with slot 0 choosing the next token n uniformly and slot 1 + i the i-th context token from P(l|n) (see
 * tokenThresholds), so shaders/scansnapBatchGenerate.wgsl computes the same ids on the GPU. Replica r draws from
 * seed + r, so runs packed into replicas are the same runs as alone with that seed.
 */
export class SequenceSampler {
  readonly layout: TokenLayout;
  readonly thresholds: Uint32Array<ArrayBuffer>;
  private readonly allowedCount: number;

  constructor(readonly settings: ScanSnapDataSettings) {
    this.layout = tokenLayout(settings);
    this.thresholds = tokenThresholds(this.layout);
    this.allowedCount = settings.numCommon + settings.distinctPerNext;
  }

  /** Sequences of replica `replica` at `step` into `out` from `offset` (batch × (L + 1) ids; see sequenceStride). */
  fill(out: Uint32Array, offset: number, batch: number, seed: number, replica: number, step: number): void {
    const { L, numCommon, distinctPerNext } = this.settings;
    const { K, distinctBase, nextBase } = this.layout;
    const stride = sequenceStride(L);
    const thresholds = this.thresholds;
    const last = this.allowedCount - 1;
    const stepKey = mix32((mix32((seed + replica) >>> 0) + step) >>> 0);
    for (let b = 0; b < batch; b++) {
      const key = mix32((stepKey + b) >>> 0);
      const n = below(draw(key, 0), K);
      const base = offset + b * stride;
      const distinctFirst = distinctBase + n * distinctPerNext - numCommon;
      for (let t = 0; t < L - 1; t++) {
        const u = draw(key, t + 1) >>> 8;
        let j = 0;
        while (j < last && u >= thresholds[j]) j++;
        out[base + t] = j < numCommon ? j : distinctFirst + j;
      }
      out[base + L - 1] = this.layout.queryOf(n);
      out[base + L] = nextBase + n;
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
/** A SPEC §3 Scan & Snap batch as ids [batch][L + 1]; `mSource` says where M came from, for messages. */
export function fromBatchJson(json: unknown, M: number, mSource = `M = ${M}`): { ids: Uint32Array<ArrayBuffer>; batch: number; L: number } {
  const seqs = (json as SequenceBatchJson | null)?.sequences;
  if (!Array.isArray(seqs) || seqs.length === 0) throw new Error('scansnap batch: expected {"sequences": [...]} with at least one sequence');
  const L = (seqs[0]?.context?.length ?? 0) + 1;
  if (L < 2) throw new Error('scansnap batch: sequence 0 has an empty context; a context needs at least one token');
  const stride = sequenceStride(L);
  const ids = new Uint32Array(seqs.length * stride);
  const checkId = (v: unknown, where: string) => {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= M) {
      throw new Error(`scansnap batch: ${where} = ${JSON.stringify(v)}; token ids are integers in 0..${M - 1} (${mSource})`);
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
      for (const p of [Y, Z]) rng.fillRange(p, r * M * M, (r + 1) * M * M, -bound, bound);
    }
  }
  return { Y, Z };
}

