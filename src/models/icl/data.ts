// ICL data (SPEC §1): patterns, tasks, and prompts in a compact form. A prompt is N context columns and a query
// column; each column is four 32-bit words [relevant pattern index, irrelevant pattern index, kappa, label],
// and the GPU (shaders/iclPromptBuild.wgsl) expands it to p = [mu_rel + kappa nu_irr ; label q]. The query's
// label word holds its target z (its column's label part is zero). Everything is a pure function of
// (seed + replica, stream[, step]) so a resumed run sees the same batches as an uninterrupted one.
import { counterDraw as draw, mix32, Random } from '../../util/random';
import type { DenseBatch, IclParams64 } from './shapes';
import { iclShapes, type IclConfig } from './config';
import { perReplica } from '../../config/schema';

export const WORDS_PER_COLUMN = 4;

/** Random streams of one replica's generator (seed + replica) for init, patterns and the fixed test sets. */
export const STREAM = { init: 1, patterns: 2, testSet: 3, oodRotation: 4, oodTestSet: 5 } as const;

export type Task = [number, number]; // (a, b): label +1 for pattern a, −1 for pattern b (0-based)

export interface Patterns {
  dX: number;
  relCount: number;
  irrCount: number;
  rel: Float64Array; // [relCount][dX]
  irr: Float64Array; // [irrCount][dX]
}

/** A set of prompts in compact form, [prompts][N + 1][4] words. */
export interface CompactPrompts {
  prompts: number;
  N: number;
  words: Uint32Array;
}

export function allTasks(count: number): Task[] {
  const tasks: Task[] = [];
  for (let a = 0; a < count; a++) for (let b = 0; b < count; b++) if (a !== b) tasks.push([a, b]);
  return tasks;
}

/** The default training tasks: the cycle (1,2), (2,3), …, (M1,1), which covers every pattern in both roles. */
export function trainingTasks(M1: number): Task[] {
  return Array.from({ length: M1 }, (_, i) => [i, (i + 1) % M1] as Task);
}

export function unseenTasks(M1: number): Task[] {
  const seen = new Set(trainingTasks(M1).map(([a, b]) => `${a},${b}`));
  return allTasks(M1).filter(([a, b]) => !seen.has(`${a},${b}`));
}

/** Gram–Schmidt on Gaussian vectors: `count` orthonormal vectors in R^dim. */
function randomOrthonormal(rng: Random, count: number, dim: number): Float64Array {
  const out = new Float64Array(count * dim);
  for (let k = 0; k < count; k++) {
    const v = out.subarray(k * dim, (k + 1) * dim);
    for (;;) {
      for (let i = 0; i < dim; i++) v[i] = rng.normal();
      for (let j = 0; j < k; j++) {
        const w = out.subarray(j * dim, (j + 1) * dim);
        let proj = 0;
        for (let i = 0; i < dim; i++) proj += v[i] * w[i];
        for (let i = 0; i < dim; i++) v[i] -= proj * w[i];
      }
      const norm = Math.hypot(...v);
      if (norm > 1e-6) {
        for (let i = 0; i < dim; i++) v[i] /= norm;
        break;
      }
    }
  }
  return out;
}

/** IDR patterns mu_1..mu_M1 and IDI patterns nu_1..nu_M2 of replica r. */
export function inDomainPatterns(c: IclConfig, r: number): Patterns {
  const { dX, M1, M2 } = c;
  let all: Float64Array;
  if (c.patterns === 'basis') {
    all = new Float64Array((M1 + M2) * dX);
    for (let k = 0; k < M1 + M2; k++) all[k * dX + k] = 1;
  } else {
    all = randomOrthonormal(new Random(c.seed + r, STREAM.patterns), M1 + M2, dX);
  }
  return { dX, relCount: M1, irrCount: M2, rel: all.slice(0, M1 * dX), irr: all.slice(M1 * dX) };
}

/** M1' = floor(M1/2) ODR patterns; an OOD task is an ordered pair of two different ones, so M1 must be >= 4. */
export function outOfDomainPatternCount(c: IclConfig): number {
  const relCount = Math.floor(c.M1 / 2);
  if (relCount < 2) {
    throw new RangeError(`M1 = ${c.M1} is not allowed for out-of-domain evaluation: it needs M1 >= 4 (M1' = floor(M1/2) >= 2 ODR patterns)`);
  }
  return relCount;
}

/**
 * Out-of-domain patterns (SPEC §1): ODR mu'_j = (S1/2)(mu_{2j−1} + mu_{2j}) for the floor(M1/2) pairs of IDR
 * patterns, and ODI patterns = a seeded random rotation of the IDI patterns within their span.
 */
export function outOfDomainPatterns(c: IclConfig, r: number, S1: number): Patterns {
  const idp = inDomainPatterns(c, r);
  const { dX } = c;
  const relCount = outOfDomainPatternCount(c);
  const rel = new Float64Array(relCount * dX);
  for (let j = 0; j < relCount; j++) {
    for (let i = 0; i < dX; i++) rel[j * dX + i] = (S1 / 2) * (idp.rel[2 * j * dX + i] + idp.rel[(2 * j + 1) * dX + i]);
  }
  const rotation = randomOrthonormal(new Random(c.seed + r, STREAM.oodRotation), c.M2, c.M2);
  const irr = new Float64Array(c.M2 * dX);
  for (let k = 0; k < c.M2; k++) {
    for (let l = 0; l < c.M2; l++) {
      const coef = rotation[k * c.M2 + l];
      for (let i = 0; i < dX; i++) irr[k * dX + i] += coef * idp.irr[l * dX + i];
    }
  }
  return { dX, relCount, irrCount: c.M2, rel, irr };
}

interface PromptDraw {
  relCount: number;
  irrCount: number;
  kappaMax: number;
  alpha: number;
  N: number;
}

/**
 * Writes one prompt of task (a, b) at column `column0`. Draw order (fixed, part of the data contract): the
 * query's label, IDI index, kappa; then per context a uniform choosing a / b / another pattern (and for another
 * pattern its index and a label coin), its IDI index and kappa.
 */
function writePrompt(rng: Random, task: Task, g: PromptDraw, u32: Uint32Array, f32: Float32Array, column0: number): void {
  const [a, b] = task;
  const others = g.relCount - 2;
  const writeColumn = (column: number, rel: number, label: number) => {
    const w = column * WORDS_PER_COLUMN;
    u32[w] = rel;
    u32[w + 1] = rng.int(g.irrCount);
    f32[w + 2] = rng.range(-g.kappaMax, g.kappaMax);
    f32[w + 3] = label;
  };
  const z = rng.sign();
  writeColumn(column0 + g.N, z === 1 ? a : b, z);
  for (let i = 0; i < g.N; i++) {
    const pick = rng.uniform();
    // With only two patterns (M1' = 2) every context is a or b, ½ each.
    const alpha = others === 0 ? 1 : g.alpha;
    if (pick < alpha / 2) writeColumn(column0 + i, a, 1);
    else if (pick < alpha) writeColumn(column0 + i, b, -1);
    else {
      let rel = rng.int(others);
      for (const taken of [a, b].sort((x, y) => x - y)) if (rel >= taken) rel++;
      writeColumn(column0 + i, rel, rng.sign());
    }
  }
}

function compact(prompts: number, N: number): { set: CompactPrompts; u32: Uint32Array; f32: Float32Array } {
  const buffer = new ArrayBuffer(prompts * (N + 1) * WORDS_PER_COLUMN * 4);
  return { set: { prompts, N, words: new Uint32Array(buffer) }, u32: new Uint32Array(buffer), f32: new Float32Array(buffer) };
}


/** Uniform integer in 0..n−1 from the top 16 bits (n < 65536; exact in 32-bit arithmetic). */
function below(x: number, n: number): number {
  return ((x >>> 16) * n) >>> 16;
}

/** kappa in [−kappaMax, kappaMax) from 24 bits, rounded once to float32 as on the GPU. */
function kappaOf(x: number, kappaMax: number): number {
  return Math.fround(((x >>> 8) / 8388608 - 1) * Math.fround(kappaMax));
}

/** The per-replica words shaders/iclBatchGenerate.wgsl reads: seed + r and alpha/2, alpha as 24-bit thresholds. */
export function replicaDrawWords(c: IclConfig): Uint32Array {
  const out = new Uint32Array(3 * c.replicas);
  for (let r = 0; r < c.replicas; r++) {
    const alpha = perReplica(c.alpha, r);
    out.set([(c.seed + r) >>> 0, Math.round((alpha / 2) * 2 ** 24), Math.round(alpha * 2 ** 24)], 3 * r);
  }
  return out;
}

/**
 * The training batch of replica r at `step`, written at column `column0` of the given views. Counter-based:
 * draw i of prompt b is a hash of (seed + r, step, b, i) with fixed slots — task 0, query label 1, query IDI
 * index 2 and kappa 3, then per context five slots (a / b / other, other pattern, its label coin, IDI index,
 * kappa) — so shaders/iclBatchGenerate.wgsl computes the same words on the GPU, one thread per prompt.
 */
export function writeTrainingBatch(c: IclConfig, r: number, step: number, u32: Uint32Array, f32: Float32Array, column0 = 0): void {
  const tasks = trainingTasks(c.M1);
  const [, thresholdA, thresholdB] = replicaDrawWords({ ...c, replicas: r + 1 }).subarray(3 * r);
  const seedKey = mix32((c.seed + r) >>> 0);
  const writeColumn = (column: number, rel: number, irr: number, kappa: number, label: number) => {
    const w = column * WORDS_PER_COLUMN;
    u32[w] = rel;
    u32[w + 1] = irr;
    f32[w + 2] = kappa;
    f32[w + 3] = label;
  };
  for (let b = 0; b < c.batch; b++) {
    const key = mix32((mix32((seedKey + step) >>> 0) + b) >>> 0);
    const [a, bb] = tasks[below(draw(key, 0), tasks.length)];
    const first = column0 + b * (c.N + 1);
    const positive = (draw(key, 1) & 1) === 1;
    writeColumn(first + c.N, positive ? a : bb, below(draw(key, 2), c.M2), kappaOf(draw(key, 3), c.kappaMax), positive ? 1 : -1);
    for (let i = 0; i < c.N; i++) {
      const slot = 4 + 5 * i;
      const pick = draw(key, slot) >>> 8;
      let rel = a;
      let label = 1;
      if (pick >= thresholdB) {
        rel = below(draw(key, slot + 1), c.M1 - 2);
        if (rel >= Math.min(a, bb)) rel++;
        if (rel >= Math.max(a, bb)) rel++;
        label = (draw(key, slot + 2) & 1) === 1 ? 1 : -1;
      } else if (pick >= thresholdA) {
        rel = bb;
        label = -1;
      }
      writeColumn(first + i, rel, below(draw(key, slot + 3), c.M2), kappaOf(draw(key, slot + 4), c.kappaMax), label);
    }
  }
}

export function trainingBatch(c: IclConfig, r: number, step: number): CompactPrompts {
  const { set, u32, f32 } = compact(c.batch, c.N);
  writeTrainingBatch(c, r, step, u32, f32);
  return set;
}

/** The fixed unseen-task test set of replica r (testSize prompts, NTest contexts, alphaTest). */
export function inDomainTestSet(c: IclConfig, r: number, prompts = c.testSize): CompactPrompts {
  return testSet(c, new Random(c.seed + r, STREAM.testSet), unseenTasks(c.M1), c.M1, prompts);
}

/**
 * The fixed out-of-domain test set of replica r: all ordered pairs of ODR patterns. It does not depend on S1
 * (only the ODR patterns do), so error curves over S1 compare the same draws.
 */
export function outOfDomainTestSet(c: IclConfig, r: number, prompts = c.testSize): CompactPrompts {
  const relCount = outOfDomainPatternCount(c);
  return testSet(c, new Random(c.seed + r, STREAM.oodTestSet), allTasks(relCount), relCount, prompts);
}

function testSet(c: IclConfig, rng: Random, tasks: Task[], relCount: number, prompts: number): CompactPrompts {
  const { set, u32, f32 } = compact(prompts, c.NTest);
  const g: PromptDraw = { relCount, irrCount: c.M2, kappaMax: c.kappaMax, alpha: c.alphaTest, N: c.NTest };
  for (let b = 0; b < prompts; b++) writePrompt(rng, tasks[rng.int(tasks.length)], g, u32, f32, b * (c.NTest + 1));
  return set;
}

/** Dense float64 prompts p = [mu_rel + kappa nu_irr ; label q] (q = e_1), query label part zero. */
export function densePrompts(c: IclConfig, set: CompactPrompts, patterns: Patterns): DenseBatch {
  const { dX, d } = iclShapes(c);
  const f32 = new Float32Array(set.words.buffer, set.words.byteOffset, set.words.length);
  const P = new Float64Array(set.prompts * (set.N + 1) * d);
  const z = new Float64Array(set.prompts);
  for (let b = 0; b < set.prompts; b++) {
    for (let i = 0; i <= set.N; i++) {
      const column = b * (set.N + 1) + i;
      const w = column * WORDS_PER_COLUMN;
      const rel = set.words[w];
      const irr = set.words[w + 1];
      // kappa and the label are stored as float32: widen the stored values so that GPU and reference agree.
      const kappa = f32[w + 2];
      for (let k = 0; k < dX; k++) P[column * d + k] = patterns.rel[rel * dX + k] + kappa * patterns.irr[irr * dX + k];
      if (i < set.N) P[column * d + dX] = f32[w + 3];
      else z[b] = f32[w + 3];
    }
  }
  return { prompts: set.prompts, N: set.N, P, z };
}

/** Initial parameters of replica r (SPEC §1): delta × rectangular identity (+ noise) and Gaussian W_O. */
export function initialParams(c: IclConfig, r: number): IclParams64 {
  const { d, dA, dV, m } = iclShapes(c);
  const rng = new Random(c.seed + r, STREAM.init);
  const identity = (rows: number) => {
    const W = new Float64Array(rows * d);
    for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) W[i * d + j] = (i === j ? c.delta : 0) + (c.initNoise > 0 ? c.initNoise * rng.normal() : 0);
    return W;
  };
  const W_Q = identity(dA);
  const W_K = identity(dA);
  const W_V = identity(dV);
  const W_O = new Float64Array(m * dV);
  for (let i = 0; i < W_O.length; i++) W_O[i] = c.sigmaO * rng.normal();
  return { W_Q, W_K, W_V, W_O };
}

/** SPEC §3 batch JSON of dense prompts. */
export function batchToJson(batch: DenseBatch, d: number): { prompts: { P: number[][]; z: number }[] } {
  return {
    prompts: Array.from({ length: batch.prompts }, (_, b) => ({
      P: Array.from({ length: batch.N + 1 }, (_, i) => Array.from(batch.P.subarray((b * (batch.N + 1) + i) * d, (b * (batch.N + 1) + i + 1) * d))),
      z: batch.z[b],
    })),
  };
}

/** Parses SPEC §3 batch JSON, naming what is wrong. */
/** A SPEC §3 ICL batch as dense prompts of token length `d` (`dSource` says where d came from, for messages). */
export function batchFromJson(json: unknown, d: number, dSource = 'd = dX + dY'): DenseBatch {
  const prompts = (json as { prompts?: unknown })?.prompts;
  if (!Array.isArray(prompts) || prompts.length === 0) throw new TypeError('ICL batch: expected {"prompts": [{"P": [...], "z": ±1}, ...]} with at least one prompt');
  const first = (prompts[0] as { P?: unknown }).P;
  if (!Array.isArray(first) || first.length < 2) throw new TypeError('ICL batch: prompts[0].P must list N + 1 >= 2 columns (N contexts, then the query)');
  const N = first.length - 1;
  const P = new Float64Array(prompts.length * (N + 1) * d);
  const z = new Float64Array(prompts.length);
  prompts.forEach((prompt, b) => {
    const { P: columns, z: label } = prompt as { P?: unknown; z?: unknown };
    if (!Array.isArray(columns) || columns.length !== N + 1) throw new TypeError(`ICL batch: prompts[${b}].P has ${Array.isArray(columns) ? columns.length : 'no'} columns; expected ${N + 1}`);
    if (label !== 1 && label !== -1) throw new TypeError(`ICL batch: prompts[${b}].z = ${JSON.stringify(label)}; expected 1 or -1`);
    z[b] = label;
    columns.forEach((col: unknown, i: number) => {
      if (!Array.isArray(col) || col.length !== d || col.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        const got = Array.isArray(col) ? `${col.length} entries` : JSON.stringify(col)?.slice(0, 40);
        throw new TypeError(`ICL batch: prompts[${b}].P[${i}] must be ${d} finite numbers (${dSource}), got ${got}`);
      }
      P.set(col as number[], (b * (N + 1) + i) * d);
    });
  });
  return { prompts: prompts.length, N, P, z };
}
