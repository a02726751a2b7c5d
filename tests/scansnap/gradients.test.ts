// Scan & Snap loss and gradients: GPU kernels against the float64 reference (src/reference/scansnap.ts),
// the reference against central finite differences, and k momentum steps of the trainer against the reference.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { centralDifferences, scansnapLossAndGradsReference } from '../../src/reference/scansnap';
import { sgdMomentumReference } from '../../src/reference/sgdMomentum';
import { initialParams, SequenceSampler, toBatchJson } from '../../src/models/scansnap/data';
import { parseScanSnapConfig, paramsToJson, scansnapModel } from '../../src/models/scansnap/index';
import type { LossGradsJson, MetricRecord, TrainerState } from '../../src/engine/types';

const PROBE = '/tests/probes/scansnap.ts';

/** Random ids; contexts draw from `vocabInContext` tokens so that repeats are frequent. */
function randomIds(rng: Random, replicas: number, batch: number, L: number, M: number, vocabInContext: number): Uint32Array<ArrayBuffer> {
  const ids = new Uint32Array(replicas * batch * (L + 1));
  for (let s = 0; s < replicas * batch; s++) {
    for (let t = 0; t < L - 1; t++) ids[s * (L + 1) + t] = rng.int(vocabInContext);
    ids[s * (L + 1) + L - 1] = rng.int(M);
    ids[s * (L + 1) + L] = rng.int(M);
  }
  return ids;
}

describe('scansnap loss and gradients on the GPU vs float64 reference', () => {
  const gpu = useGpu();
  const cases = [
    { replicas: 1, M: 5, batch: 3, L: 2, vocab: 5, scale: 1 },
    { replicas: 3, M: 7, batch: 6, L: 9, vocab: 3, scale: 2 }, // many repeated context tokens
    { replicas: 2, M: 70, batch: 5, L: 33, vocab: 70, scale: 0.5 }, // M > workgroup size
  ];
  for (const c of cases) {
    it(`R=${c.replicas} M=${c.M} batch=${c.batch} L=${c.L}, contexts from ${c.vocab} tokens`, async () => {
      const rng = new Random(1000 + c.M);
      const n = c.replicas * c.M * c.M;
      const Y = seededArray(rng, n, -c.scale, c.scale);
      const Z = seededArray(rng, n, -c.scale, c.scale);
      const ids = randomIds(rng, c.replicas, c.batch, c.L, c.M, c.vocab);
      const got = await gpu().call<{ loss: Float64Array; dY: Float32Array; dZ: Float32Array }>(PROBE, 'lossAndGrads', {
        replicas: c.replicas, M: c.M, batch: c.batch, L: c.L, Y, Z, ids,
      });
      const mm = c.M * c.M;
      for (let r = 0; r < c.replicas; r++) {
        const want = scansnapLossAndGradsReference(c.M, Y.subarray(r * mm, (r + 1) * mm), Z.subarray(r * mm, (r + 1) * mm),
          ids.subarray(r * c.batch * (c.L + 1)), c.batch, c.L);
        expect(Math.abs(got.loss[r] - want.loss) / want.loss, `replica ${r} loss`).toBeLessThan(1e-5);
        expectClose(got.dY.subarray(r * mm, (r + 1) * mm), want.dY, 2e-5, `replica ${r} dY`);
        expectClose(got.dZ.subarray(r * mm, (r + 1) * mm), want.dZ, 2e-5, `replica ${r} dZ`);
      }
    });
  }

  it('SPEC §3 JSON: lossAndGrads (GPU) equals lossAndGradsReference', async () => {
    const config = { numCommon: 2, numQuery: 2, nextPerQuery: 1, distinctPerNext: 2, L: 6, batch: 4 };
    const parsed = parseScanSnapConfig(config);
    const sampler = new SequenceSampler(parsed);
    const M = sampler.layout.M;
    const ids = new Uint32Array(4 * 7);
    sampler.fill(ids, 0, 4, 3, 0, 0);
    const batch = toBatchJson(ids, 4, 6);
    const rng = new Random(5);
    const params = paramsToJson(seededArray(rng, M * M), seededArray(rng, M * M), M);
    const got = await gpu().call<LossGradsJson>(PROBE, 'lossAndGradsJson', { params, batch });
    const want = scansnapModel.lossAndGradsReference(params, batch);
    expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-5);
    for (const name of ['Y', 'Z']) {
      expectClose((got.grads[name] as number[][]).flat(), (want.grads[name] as number[][]).flat(), 2e-5, `grads.${name}`);
    }
  });
});

describe('scansnap float64 reference vs central finite differences', () => {
  for (const [M, L, batch] of [[4, 2, 3], [6, 7, 4]]) {
    it(`M=${M} L=${L} batch=${batch}`, () => {
      const rng = new Random(77 + M);
      const Y = Float64Array.from(seededArray(rng, M * M));
      const Z = Float64Array.from(seededArray(rng, M * M, -2, 2));
      const ids = randomIds(rng, 1, batch, L, M, 3);
      // Rows of Z that are some sequence's query are the ones with gradient; check those and all of Y.
      const queries = Array.from({ length: batch }, (_, b) => ids[b * (L + 1) + L - 1]);
      const want = scansnapLossAndGradsReference(M, Y, Z, ids, batch, L);
      const yIdx = Array.from({ length: M * M }, (_, i) => i);
      const zIdx = [...new Set(queries)].flatMap((q) => Array.from({ length: M }, (_, k) => q * M + k));
      const fdY = centralDifferences((p) => scansnapLossAndGradsReference(M, p, Z, ids, batch, L).loss, Y, yIdx);
      const fdZ = centralDifferences((p) => scansnapLossAndGradsReference(M, Y, p, ids, batch, L).loss, Z, zIdx);
      expectClose(Array.from(yIdx, (i) => want.dY[i]), fdY, 1e-7, 'dY vs finite differences');
      expectClose(Array.from(zIdx, (i) => want.dZ[i]), fdZ, 1e-7, 'dZ vs finite differences');
      // With one context token (L = 2) the attention is 1 whatever Z is, so dZ vanishes; otherwise it must not.
      const largestDZ = Math.max(...Array.from(want.dZ).map(Math.abs));
      if (L === 2) expect(largestDZ).toBe(0);
      else expect(largestDZ).toBeGreaterThan(1e-4);
    });
  }
});

// L 6: a list cannot hold a next token's 6 allowed tokens (5 context tokens), so the trainer keeps the general
// lists; L 12: slot lists (scansnapAttention and scansnapGradY's `slots` entries).
describe.each([
  { L: 6, lists: 'general lists' },
  { L: 12, lists: 'slot lists' },
])('scansnap trainer, L = $L ($lists): momentum steps vs reference, resume bit for bit', ({ L, lists }) => {
  const gpu = useGpu();
  const config = {
    numCommon: 3, numQuery: 2, nextPerQuery: 2, distinctPerNext: 3, L, batch: 8, replicas: 3,
    etaY: [0.5, 2, 5], etaZ: [1, 0.3, 3], momentum: [0.9, 0, 0.5], init: 'uniform', seed: 11, trackNext: 1,
  } as const;
  const steps = 4;

  it(`${steps} steps of 3 replicas with their own seeds, learning rates and momenta`, async () => {
    const got = await gpu().call<{ state: TrainerState; dispatchLabels: string[] }>(PROBE, 'train', { config, steps, metricsEvery: 2 });
    expect(got.dispatchLabels.includes('scansnapGradY listByNext'), 'the step sums dY by next token').toBe(lists === 'slot lists');
    const c = parseScanSnapConfig(config);
    const sampler = new SequenceSampler(c);
    const M = sampler.layout.M;
    const mm = M * M;
    const init = initialParams(c, M);
    let Y: { param: Float64Array; velocity: Float64Array | null } = { param: Float64Array.from(init.Y), velocity: null };
    let Z: { param: Float64Array; velocity: Float64Array | null } = { param: Float64Array.from(init.Z), velocity: null };
    const ids = new Uint32Array(c.replicas * c.batch * (c.L + 1));
    for (let t = 0; t < steps; t++) {
      sampler.step(ids, c.replicas, c.batch, c.seed, t);
      const dY = new Float64Array(c.replicas * mm);
      const dZ = new Float64Array(c.replicas * mm);
      for (let r = 0; r < c.replicas; r++) {
        const g = scansnapLossAndGradsReference(M, Y.param.subarray(r * mm, (r + 1) * mm), Z.param.subarray(r * mm, (r + 1) * mm),
          ids.subarray(r * c.batch * (c.L + 1)), c.batch, c.L);
        dY.set(g.dY, r * mm);
        dZ.set(g.dZ, r * mm);
      }
      Y = sgdMomentumReference(mm, Y.param, dY, Y.velocity, config.etaY, config.momentum);
      Z = sgdMomentumReference(mm, Z.param, dZ, Z.velocity, config.etaZ, config.momentum);
    }
    expect(got.state.step).toBe(steps);
    expectClose(got.state.params.Y, Y.param, 1e-5, 'Y');
    expectClose(got.state.params.Z, Z.param, 1e-5, 'Z');
    expectClose(got.state.optimizer.Y, Y.velocity!, 1e-5, 'velocity of Y');
    expectClose(got.state.optimizer.Z, Z.velocity!, 1e-5, 'velocity of Z');
  });

  it("batchSource 'cpu' (host sequences, uploaded) trains to the same bits as 'gpu' (generated in the plan)", async () => {
    const onGpu = await gpu().call<{ state: TrainerState; records: MetricRecord[] }>(PROBE, 'train', { config, steps, metricsEvery: 3 });
    const onCpu = await gpu().call<{ state: TrainerState; records: MetricRecord[] }>(PROBE, 'train', { config: { ...config, batchSource: 'cpu' }, steps, metricsEvery: 3 });
    for (const part of ['params', 'optimizer'] as const) {
      for (const name of ['Y', 'Z']) {
        expect(new Uint32Array(onCpu.state[part][name].buffer)).toEqual(new Uint32Array(onGpu.state[part][name].buffer));
      }
    }
    expect(onCpu.records.map((r) => [r.step, r.loss])).toEqual(onGpu.records.map((r) => [r.step, r.loss]));
  });

  it('setState refuses momentum in a row of Z that is no query (only query rows live on the GPU)', async () => {
    const message = await gpu().call<string>(PROBE, 'setStateOutsideQueryRows', { config, row: 2 });
    expect(message).toContain('optimizer.Z has momentum in row 2, which is no query token');
  });

  it('2 steps, getState, a fresh trainer, setState, 2 steps equals 4 steps bit for bit', async () => {
    const straight = await gpu().call<{ state: TrainerState }>(PROBE, 'train', { config, steps });
    const resumed = await gpu().call<{ state: TrainerState }>(PROBE, 'train', { config, steps, resumeAt: 2 });
    for (const part of ['params', 'optimizer'] as const) {
      for (const name of ['Y', 'Z']) {
        expect(new Uint32Array(resumed.state[part][name].buffer)).toEqual(new Uint32Array(straight.state[part][name].buffer));
      }
    }
  });
});

describe('scansnap metrics leave the GPU correctly', () => {
  const gpu = useGpu();
  it('recorded loss and attention metrics equal float64 recomputations from the state and the data', async () => {
    const config = { numCommon: 3, numQuery: 2, nextPerQuery: 2, distinctPerNext: 5, L: 10, batch: 6, replicas: 3, etaY: 2, etaZ: [1, 3, 5], init: 'uniform', seed: 4, trackNext: 4 };
    const got = await gpu().call<{ state: TrainerState; records: MetricRecord[]; evaluation: MetricRecord[] }>(PROBE, 'train', { config, steps: 3, metricsEvery: 1 });
    const c = parseScanSnapConfig(config);
    const sampler = new SequenceSampler(c);
    const { M, K } = sampler.layout;
    const mm = M * M;
    // Loss of step 0's batch on the initial parameters, recorded at step 1.
    const init = initialParams(c, M);
    const ids = sampler.step(new Uint32Array(c.replicas * c.batch * (c.L + 1)), c.replicas, c.batch, c.seed, 0);
    for (let r = 0; r < c.replicas; r++) {
      const want = scansnapLossAndGradsReference(M, init.Y.subarray(r * mm), init.Z.subarray(r * mm), ids.subarray(r * c.batch * (c.L + 1)), c.batch, c.L).loss;
      const rec = got.records.find((x) => x.step === 1 && x.replica === r)!;
      expect(Math.abs(rec.loss - want) / want).toBeLessThan(1e-5);
    }
    // Attention metrics at step 3 from the final Z, written out from SPEC §2 here.
    for (let r = 0; r < c.replicas; r++) {
      const rec = got.records.find((x) => x.step === 3 && x.replica === r)!;
      const evaluated = got.evaluation[r];
      let meanEntropy = 0;
      for (let n = 0; n < K; n++) {
        const row = sampler.layout.queryOf(n);
        const allowed = sampler.layout.allowed(n);
        const weights = [1, 1, 1, 0.1, 0.325, 0.55, 0.775, 1];
        const unnormalised = allowed.map((l, i) => weights[i] * Math.exp(got.state.params.Z[r * mm + row * M + l]));
        const total = unnormalised.reduce((a, b) => a + b, 0);
        const cn = unnormalised.map((x) => x / total);
        const distinct = cn.slice(3);
        const mass = distinct.reduce((a, b) => a + b, 0);
        const entropy = -distinct.reduce((a, x) => a + (x / mass) * Math.log(x / mass), 0);
        meanEntropy += entropy / K;
        for (const source of [rec, evaluated]) {
          expect(source[`entropy.n${n}`]).toBeCloseTo(entropy, 6);
          expect(source[`distinctMass.n${n}`]).toBeCloseTo(mass, 6);
          allowed.forEach((l, i) => expect(source[`c.n${n}.t${l}`]).toBeCloseTo(cn[i], 6));
        }
      }
      expect(rec.entropy).toBeCloseTo(meanEntropy, 6);
      expect(rec.entropy).toBeLessThan(Math.log(5));
    }
  });
});
