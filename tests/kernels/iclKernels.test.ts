// Each ICL kernel run alone in the page against a float64 reference of just that kernel's math
// (src/reference/<kernel>.ts), so that a broken kernel is named by its own failing test (tests/icl checks the
// kernels together, through the whole model). The model's CPU twins (densePrompts, writeTrainingBatch) are checked
// against the same references.
// Awkward sizes throughout: N = 1, several replicas, prompt counts and N, d past one 64- or 256-wide workgroup and
// not multiples of it, m odd.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { iclPromptBuildReference } from '../../src/reference/iclPromptBuild';
import { iclAttentionForwardReference } from '../../src/reference/iclAttentionForward';
import { iclAttentionBackwardReference } from '../../src/reference/iclAttentionBackward';
import { iclHeadOutputReference, iclHingeEvaluateReference, iclHingeTrainReference } from '../../src/reference/iclMlpHinge';
import { iclBatchGenerateReference } from '../../src/reference/iclBatchGenerate';
import { parseIclConfig } from '../../src/models/icl/config';
import { densePrompts, replicaDrawWords, trainingBatch, trainingTasks } from '../../src/models/icl/data';
import type { IclAttentionShape } from '../../src/kernels/iclAttentionForward';
import type { IclMlpHingeShape } from '../../src/kernels/iclMlpHinge';

const PROBE = '/tests/probes/iclKernels.ts';

function f32Bits(x: number): number {
  return new Uint32Array(new Float32Array([x]).buffer)[0];
}

function f32Words(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** A thread per prompt (CPU adapters' default), 2 threads a workgroup so that odd prompt counts leave one partial. */
const THREAD_PER_PROMPT = { threadPerPrompt: true, wg: 2 };

/** Compact prompts [prompts][N + 1][4]: pattern indices below the counts, kappa and label stored as float32 bits. */
function randomColumns(rng: Random, prompts: number, N: number, relCount: number, irrCount: number, kappaMax = 0.7): Uint32Array {
  const words = new Uint32Array(prompts * (N + 1) * 4);
  for (let c = 0; c < prompts * (N + 1); c++) {
    words.set([rng.int(relCount), rng.int(irrCount), f32Bits(rng.range(-kappaMax, kappaMax)), f32Bits(rng.int(2) === 1 ? 1 : -1)], 4 * c);
  }
  return words;
}

interface PromptBuildCase {
  replicas: number;
  prompts: number;
  N: number;
  dX: number;
  dY: number;
  relCount: number;
  irrCount: number;
}

// Elements per replica: 10 (one partial 256-wide group), 440 (two groups, the second partial), 2812 (eleven).
const PROMPT_BUILD_CASES: PromptBuildCase[] = [
  { replicas: 1, prompts: 1, N: 1, dX: 4, dY: 1, relCount: 3, irrCount: 1 },
  { replicas: 3, prompts: 5, N: 7, dX: 9, dY: 2, relCount: 4, irrCount: 5 },
  { replicas: 2, prompts: 37, N: 3, dX: 16, dY: 3, relCount: 5, irrCount: 9 },
];

describe('iclPromptBuild (shaders/iclPromptBuild.wgsl) against its float64 reference, and densePrompts equal to it', () => {
  const gpu = useGpu();
  for (const k of PROMPT_BUILD_CASES) {
    it(JSON.stringify(k), async () => {
      const rng = new Random(k.prompts * 100 + k.N * 10 + k.dX, 7);
      const d = k.dX + k.dY;
      const columns = randomColumns(rng, k.replicas * k.prompts, k.N, k.relCount, k.irrCount);
      const relPatterns = seededArray(rng, k.replicas * k.relCount * k.dX);
      const irrPatterns = seededArray(rng, k.replicas * k.irrCount * k.dX);
      const shape = { replicas: k.replicas, prompts: k.prompts, N: k.N, dX: k.dX, d, relCount: k.relCount, irrCount: k.irrCount };
      type Built = { contexts: Float32Array; queries: Float32Array; labels: Float32Array };
      const got = await gpu().call<Built>(PROBE, 'runPromptBuild', { shape, columns, relPatterns, irrPatterns });
      // A thread per column (CPU adapters' default), 3 threads a workgroup so that the last one is partial.
      const byColumn = await gpu().call<Built>(PROBE, 'runPromptBuild', { shape: { ...shape, wholeColumns: true, wg: 3 }, columns, relPatterns, irrPatterns });
      for (const key of ['contexts', 'queries', 'labels'] as const) expect(f32Words(byColumn[key]), `wholeColumns ${key}`).toEqual(f32Words(got[key]));
      const reference = iclPromptBuildReference(shape, columns, relPatterns, irrPatterns);
      const config = parseIclConfig({ dX: k.dX, dY: k.dY, N: k.N, M1: k.relCount, M2: k.irrCount });
      const perPrompt = (k.N + 1) * 4;
      const slice = <T extends Float32Array | Float64Array>(a: T, r: number, per: number) => a.subarray(r * k.prompts * per, (r + 1) * k.prompts * per) as T;
      for (let r = 0; r < k.replicas; r++) {
        const set = { prompts: k.prompts, N: k.N, words: columns.subarray(r * k.prompts * perPrompt, (r + 1) * k.prompts * perPrompt) };
        const patterns = {
          dX: k.dX,
          relCount: k.relCount,
          irrCount: k.irrCount,
          rel: Float64Array.from(relPatterns.subarray(r * k.relCount * k.dX, (r + 1) * k.relCount * k.dX)),
          irr: Float64Array.from(irrPatterns.subarray(r * k.irrCount * k.dX, (r + 1) * k.irrCount * k.dX)),
        };
        const wantContexts = slice(reference.contexts, r, k.N * d);
        const wantQueries = slice(reference.queries, r, d);
        expectClose(slice(got.contexts, r, k.N * d), wantContexts, 1e-6, `replica ${r} contexts`);
        expectClose(slice(got.queries, r, d), wantQueries, 1e-6, `replica ${r} queries`);
        expect(Array.from(slice(got.labels, r, 1)), `replica ${r} labels`).toEqual(Array.from(slice(reference.labels, r, 1)));
        // The model's CPU twin (reference training and analyses read it): the same float64 values.
        const twin = densePrompts(config, set, patterns);
        const twinContexts = new Float64Array(k.prompts * k.N * d);
        const twinQueries = new Float64Array(k.prompts * d);
        for (let b = 0; b < k.prompts; b++) {
          const prompt = twin.P.subarray(b * (k.N + 1) * d, (b + 1) * (k.N + 1) * d);
          twinContexts.set(prompt.subarray(0, k.N * d), b * k.N * d);
          twinQueries.set(prompt.subarray(k.N * d), b * d);
        }
        expect(twinContexts, `replica ${r} densePrompts contexts`).toEqual(wantContexts);
        expect(twinQueries, `replica ${r} densePrompts queries`).toEqual(wantQueries);
        expect(twin.z, `replica ${r} densePrompts labels`).toEqual(slice(reference.labels, r, 1));
      }
    });
  }
});

// One workgroup of 64 threads per prompt: N = 1, N and d below, at and past 64 (the strided loops), replicas > 1;
// N and d not multiples of the thread-per-prompt variant's blocks of four.
const ATTENTION_CASES: IclAttentionShape[] = [
  { replicas: 1, prompts: 1, N: 1, d: 1 },
  { replicas: 1, prompts: 2, N: 1, d: 5 },
  { replicas: 3, prompts: 5, N: 7, d: 9 },
  { replicas: 2, prompts: 3, N: 70, d: 66 },
  { replicas: 2, prompts: 2, N: 64, d: 64 },
];

function attentionInputs(s: IclAttentionShape, stream: number) {
  const rng = new Random(s.prompts * 1000 + s.N * 10 + s.d, stream);
  const prompts = s.replicas * s.prompts;
  return {
    rng,
    contexts: seededArray(rng, prompts * s.N * s.d),
    // Few patterns, so that contexts often share the query's and the same-pattern mass is neither 0 nor 1.
    columns: randomColumns(rng, prompts, s.N, 3, 2),
  };
}

describe('iclAttentionForward (shaders/iclAttentionForward.wgsl) against softmax attention in float64', () => {
  const gpu = useGpu();
  for (const shape of ATTENTION_CASES) {
    it(JSON.stringify(shape), async () => {
      const { rng, contexts, columns } = attentionInputs(shape, 11);
      const keyQuery = seededArray(rng, shape.replicas * shape.prompts * shape.d, -2, 2);
      type Forward = { attn: Float32Array; pooled: Float32Array; samePatternMass: Float32Array };
      const got = await gpu().call<Forward>(PROBE, 'runAttentionForward', { shape, contexts, keyQuery, columns });
      const alone = await gpu().call<Forward>(PROBE, 'runAttentionForward', { shape: { ...shape, ...THREAD_PER_PROMPT }, contexts, keyQuery, columns });
      for (const key of ['attn', 'pooled', 'samePatternMass'] as const) expect(f32Words(alone[key]), `threadPerPrompt ${key}`).toEqual(f32Words(got[key]));
      const want = iclAttentionForwardReference(shape, contexts, keyQuery, columns);
      expectClose(got.attn, want.attn, 1e-5, 'attn');
      expectClose(got.pooled, want.pooled, 1e-5, 'pooled');
      expectClose(got.samePatternMass, want.samePatternMass, 1e-5, 'samePatternMass');
    });
  }
});

describe('iclAttentionBackward (shaders/iclAttentionBackward.wgsl) against the softmax chain rule in float64', () => {
  const gpu = useGpu();

  it('the float64 backward is the gradient of dpbar · pbar(keyQuery) (central differences)', () => {
    const shape: IclAttentionShape = { replicas: 1, prompts: 2, N: 5, d: 4 };
    const { rng, contexts, columns } = attentionInputs(shape, 13);
    const keyQuery = Float64Array.from(seededArray(rng, shape.prompts * shape.d));
    const pooledGrad = seededArray(rng, shape.prompts * shape.d);
    const objective = (kq: Float64Array) => iclAttentionForwardReference(shape, contexts, kq, columns).pooled.reduce((sum, v, k) => sum + v * pooledGrad[k], 0);
    const eps = 1e-6;
    const numeric = keyQuery.map((_, k) => {
      const shifted = (delta: number) => objective(keyQuery.map((v, j) => (j === k ? v + delta : v)));
      return (shifted(eps) - shifted(-eps)) / (2 * eps);
    });
    const analytic = iclAttentionBackwardReference(shape, contexts, iclAttentionForwardReference(shape, contexts, keyQuery, columns).attn, pooledGrad);
    expectClose(analytic, numeric, 1e-7, 'dkeyQuery');
  });

  for (const shape of ATTENTION_CASES) {
    it(JSON.stringify(shape), async () => {
      const { rng, contexts, columns } = attentionInputs(shape, 17);
      const keyQuery = seededArray(rng, shape.replicas * shape.prompts * shape.d, -2, 2);
      const attn = Float32Array.from(iclAttentionForwardReference(shape, contexts, keyQuery, columns).attn);
      const pooledGrad = seededArray(rng, shape.replicas * shape.prompts * shape.d);
      const got = await gpu().call<Float32Array>(PROBE, 'runAttentionBackward', { shape, contexts, attn, pooledGrad });
      const alone = await gpu().call<Float32Array>(PROBE, 'runAttentionBackward', { shape: { ...shape, ...THREAD_PER_PROMPT }, contexts, attn, pooledGrad });
      expect(f32Words(alone), 'threadPerPrompt keyQueryGrad').toEqual(f32Words(got));
      expectClose(got, iclAttentionBackwardReference(shape, contexts, attn, pooledGrad), 2e-5, 'keyQueryGrad');
    });
  }
});

// u spans ±(m + 2) so that both sides of the hinge's kink (z F < 1 and z F >= 1), wrong signs and
// all-dead rows (F = 0) all occur. One 64-thread workgroup per replica: prompts below and past 64.
const HINGE_CASES: IclMlpHingeShape[] = [
  { replicas: 1, prompts: 1, m: 1 },
  { replicas: 3, prompts: 5, m: 3 },
  { replicas: 2, prompts: 70, m: 1 },
  { replicas: 2, prompts: 130, m: 4 },
  { replicas: 1, prompts: 64, m: 7 },
];

function hingeInputs(s: IclMlpHingeShape, stream: number) {
  const rng = new Random(s.replicas * 1000 + s.prompts * 10 + s.m + (s.chunks ?? 1), stream);
  const rows = s.replicas * s.prompts * (s.chunks ?? 1);
  const mlpInput = seededArray(rng, rows * s.m, -(s.m + 2), s.m + 2);
  const labels = Float32Array.from({ length: rows }, () => (rng.int(2) === 1 ? 1 : -1));
  return { rng, mlpInput, labels };
}

describe('iclMlpHinge hingeTrain (shaders/iclMlpHinge.wgsl) against the hinge loss and its gradient in float64', () => {
  const gpu = useGpu();
  for (const shape of HINGE_CASES) {
    it(JSON.stringify(shape), async () => {
      const { mlpInput, labels } = hingeInputs(shape, 19);
      const got = await gpu().call<{ mlpInputGrad: Float32Array; trainStats: Float32Array }>(PROBE, 'runHingeTrain', { shape, mlpInput, labels });
      const want = iclHingeTrainReference(shape, mlpInput, labels);
      const active = Array.from({ length: shape.replicas * shape.prompts }, (_, row) => 1 - labels[row] * iclHeadOutputReference(mlpInput, row, shape.m) > 0);
      if (shape.prompts > 2) expect(new Set(active).size, 'both sides of the hinge occur').toBe(2);
      expectClose(got.mlpInputGrad, want.mlpInputGrad, 1e-6, 'mlpInputGrad');
      for (let r = 0; r < shape.replicas; r++) {
        expect(got.trainStats[2 * r], `replica ${r} mean loss`).toBeCloseTo(want.trainStats[2 * r], 5);
        expect(got.trainStats[2 * r + 1], `replica ${r} error fraction`).toBeCloseTo(want.trainStats[2 * r + 1], 6);
      }
    });
  }
});

describe('iclMlpHinge hingeEvaluate (shaders/iclMlpHinge.wgsl) against test-set sums in float64', () => {
  const gpu = useGpu();
  const cases: IclMlpHingeShape[] = [
    { replicas: 1, prompts: 1, m: 1, chunks: 1 },
    { replicas: 3, prompts: 5, m: 3, chunks: 3 },
    { replicas: 2, prompts: 70, m: 2, chunks: 2 },
    { replicas: 2, prompts: 9, m: 5, chunks: 9 },
  ];
  for (const shape of cases) {
    it(JSON.stringify(shape), async () => {
      const { rng, mlpInput, labels } = hingeInputs(shape, 23);
      const chunks = shape.chunks ?? 1;
      // Padding (z = 0) as the evaluator writes it: the tail of the last chunk, in every replica.
      const padded = chunks > 1 ? Math.ceil(shape.prompts / 2) : 0;
      for (let r = 0; r < shape.replicas; r++) {
        for (let b = shape.prompts - padded; b < shape.prompts; b++) labels[((chunks - 1) * shape.replicas + r) * shape.prompts + b] = 0;
      }
      const samePatternMass = seededArray(rng, labels.length, 0, 1);
      const got = await gpu().call<Float32Array>(PROBE, 'runHingeEvaluate', { shape, mlpInput, labels, samePatternMass });
      const want = iclHingeEvaluateReference(shape, mlpInput, labels, samePatternMass);
      for (let r = 0; r < shape.replicas; r++) {
        const [loss, errors, mass, count] = got.subarray(4 * r, 4 * r + 4);
        expect(count, `replica ${r} count`).toBe(want[4 * r + 3]);
        expect(errors, `replica ${r} errors`).toBe(want[4 * r + 1]);
        expect(Math.abs(loss - want[4 * r]), `replica ${r} Σ loss ${loss} vs ${want[4 * r]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, want[4 * r]));
        expect(Math.abs(mass - want[4 * r + 2]), `replica ${r} Σ mass ${mass} vs ${want[4 * r + 2]}`).toBeLessThanOrEqual(1e-5 * Math.max(1, want[4 * r + 2]));
      }
    });
  }
});

describe('iclBatchGenerate (shaders/iclBatchGenerate.wgsl) against its reference, and its CPU twin writeTrainingBatch, word for word', () => {
  const gpu = useGpu();
  // alpha = 1, 0.5 and 0 take each context branch (pair pattern a, pattern b, another pattern) in turn; 70 and 130
  // prompts stride past one 64-thread group; the last step makes advanceStep wrap the u32 counter.
  const cases = [
    { raw: { N: 1, batch: 1, M1: 3, M2: 1, dX: 4, replicas: 1, alpha: 0.8, kappaMax: 0.5, seed: 0 }, step: 0 },
    { raw: { N: 3, batch: 70, M1: 4, M2: 5, dX: 9, replicas: 3, alpha: [1, 0.5, 0], kappaMax: 0.7, seed: 99 }, step: 41 },
    { raw: { N: 9, batch: 130, M1: 7, M2: 2, dX: 9, replicas: 2, alpha: 0.3, kappaMax: 1, seed: 4 }, step: 0xffffffff },
  ];
  for (const { raw, step } of cases) {
    it(`${JSON.stringify(raw)} step ${step}`, async () => {
      const c = parseIclConfig(raw);
      const tasks = trainingTasks(c.M1);
      const shape = { replicas: c.replicas, prompts: c.batch, N: c.N, relCount: c.M1, irrCount: c.M2, tasks: tasks.length, kappaMax: c.kappaMax };
      const inputs = { replicaDraws: replicaDrawWords(c), tasks: Uint32Array.from(tasks.flat()) };
      const got = await gpu().call<{ columns: Uint32Array; stepAfter: number }>(PROBE, 'runBatchGenerate', { shape, step, ...inputs });
      const want = iclBatchGenerateReference(shape, step, inputs.replicaDraws, inputs.tasks);
      const perReplica = c.batch * (c.N + 1) * 4;
      for (let r = 0; r < c.replicas; r++) {
        const wantReplica = Array.from(want.subarray(r * perReplica, (r + 1) * perReplica));
        expect(Array.from(got.columns.subarray(r * perReplica, (r + 1) * perReplica)), `replica ${r}`).toEqual(wantReplica);
        expect(Array.from(trainingBatch(c, r, step).words), `replica ${r}: writeTrainingBatch`).toEqual(wantReplica);
      }
      expect(got.stepAfter, 'advanceStep').toBe((step + 1) >>> 0);
    });
  }
});
