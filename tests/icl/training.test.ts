// The trainer end to end (CPU batch generation, prompt building on the GPU, forward, backward, SGD) against the
// float64 reference stepping the same init and the same batches; resumption; config errors.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose } from '../compare';
import { ICL_PARAM_NAMES, iclParamShapes, iclSgdStepReference, type IclParams64 } from '../../src/reference/icl';
import { iclShapes, parseIclConfig, type IclConfig } from '../../src/models/icl/config';
import { densePrompts, inDomainPatterns, initialParams, trainingBatch } from '../../src/models/icl/data';
import { perReplica } from '../../src/config/schema';

const PROBE = '/tests/probes/icl.ts';

type Params32 = Record<string, Float32Array>;

function referenceTraining(config: IclConfig, steps: number): IclParams64[] {
  const shapes = iclShapes(config);
  return Array.from({ length: config.replicas }, (_, r) => {
    const patterns = inDomainPatterns(config, r);
    let params = initialParams(config, r);
    for (let t = 0; t < steps; t++) {
      params = iclSgdStepReference(shapes, params, densePrompts(config, trainingBatch(config, r, t), patterns), perReplica(config.eta, r)).params;
    }
    return params;
  });
}

describe('ICL trainer vs the float64 reference', () => {
  const gpu = useGpu();
  it('k SGD steps from the same init and batches agree (R = 3, per-replica eta and alpha, random patterns, m odd, dA, dV != d)', async () => {
    const raw = {
      dX: 10, dY: 2, N: 6, dA: 5, dV: 7, m: 9, batch: 12, M1: 4, M2: 5, replicas: 3, eta: [3, 5, 10], alpha: [0.8, 0.6, 1],
      patterns: 'random', initNoise: 0.1, sigmaO: 0.3, evalTest: false, metricsEvery: 0,
    };
    const config = parseIclConfig(raw);
    const steps = 6;
    const got = await gpu().call<{ params: Params32; step: number }>(PROBE, 'train', { config: raw, steps: [2, 4] });
    expect(got.step).toBe(steps);
    const want = referenceTraining(config, steps);
    const sizes = iclParamShapes(iclShapes(config));
    want.forEach((p, r) => {
      for (const name of ICL_PARAM_NAMES) {
        const size = sizes[name][0] * sizes[name][1];
        const moved = p[name].some((v, i) => Math.abs(v - initialParams(config, r)[name][i]) > 1e-3);
        expect(moved, `replica ${r} ${name} changed during training`).toBe(true);
        expectClose(got.params[name].subarray(r * size, (r + 1) * size), p[name], 1e-4, `replica ${r} ${name}`);
      }
    });
  });

  it('the same seed gives the same bits, resumed or not, batches generated on the GPU or the CPU; a different seed differs', async () => {
    const raw = { dX: 8, dY: 2, N: 4, m: 6, batch: 8, M1: 3, M2: 4, evalTest: false, metricsEvery: 0 };
    const a = await gpu().call<{ params: Params32 }>(PROBE, 'train', { config: raw, steps: [5] });
    const b = await gpu().call<{ params: Params32 }>(PROBE, 'train', { config: raw, steps: [2, 3] });
    const cpu = await gpu().call<{ params: Params32 }>(PROBE, 'train', { config: { ...raw, batchSource: 'cpu' }, steps: [3, 2] });
    const c = await gpu().call<{ params: Params32 }>(PROBE, 'train', { config: { ...raw, seed: 2 }, steps: [5] });
    for (const name of ICL_PARAM_NAMES) {
      expect(Array.from(b.params[name]), name).toEqual(Array.from(a.params[name]));
      expect(Array.from(cpu.params[name]), name).toEqual(Array.from(a.params[name]));
    }
    expect(Array.from(c.params.W_O)).not.toEqual(Array.from(a.params.W_O));
  });

  it('metricsEvery 0 records after the last step only; metricsAtEnd false records nothing, with the same bits', async () => {
    const raw = { dX: 8, dY: 2, N: 4, m: 6, batch: 8, M1: 3, M2: 4, evalTest: false, replicas: 2 };
    const atEnd = await gpu().call<{ params: Params32; metrics: { step: number; replica: number }[] }>(PROBE, 'train', { config: raw, steps: [3, 2], metricsEvery: 0 });
    const none = await gpu().call<{ params: Params32; metrics: unknown[]; step: number }>(PROBE, 'train', { config: raw, steps: [3, 2], metricsEvery: 0, metricsAtEnd: false });
    expect(atEnd.metrics.map((m) => [m.step, m.replica])).toEqual([[3, 0], [3, 1], [5, 0], [5, 1]]);
    expect(none.metrics).toEqual([]);
    expect(none.step).toBe(5);
    for (const name of ICL_PARAM_NAMES) expect(Array.from(none.params[name]), name).toEqual(Array.from(atEnd.params[name]));
  });

  it('the GPU batch generator writes the same words as the CPU one (R = 2, per-replica alpha, step 123456)', async () => {
    const raw = { N: 7, batch: 33, M1: 5, M2: 9, dX: 16, replicas: 2, alpha: [0.8, 0.3], kappaMax: 0.7 };
    const config = parseIclConfig(raw);
    const got = await gpu().call<Uint32Array>(PROBE, 'generateBatch', { config: raw, step: 123456 });
    const perReplica = config.batch * (config.N + 1) * 4;
    for (let r = 0; r < config.replicas; r++) {
      expect(Array.from(got.subarray(r * perReplica, (r + 1) * perReplica)), `replica ${r}`).toEqual(Array.from(trainingBatch(config, r, 123456).words));
    }
    const rel = Array.from({ length: got.length / 4 }, (_, i) => got[4 * i]);
    expect(new Set(rel).size, 'every relevant pattern occurs').toBe(config.M1);
  });
});

describe('ICL config errors (before any GPU work)', () => {
  const gpu = useGpu();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ M1: 20, M2: 20 }, /M1 \+ M2 = 20 \+ 20 = 40 must be <= dX = 32/],
    [{ eta: -1 }, /eta = -1 is not allowed: expected a finite number > 0/],
    [{ eta: [1, 2], replicas: 3 }, /eta has 2 values but replicas = 3/],
    [{ patterns: 'gaussian' }, /patterns = "gaussian" is not allowed: expected one of "basis", "random"/],
    [{ bacth: 10 }, /unknown key 'bacth' \(did you mean 'batch'\?\)/],
    [{ M1: 2 }, /M1 = 2 is not allowed: expected an integer >= 3/],
    [{ replicas: 60000, testSize: 100000 }, /bytes but this adapter binds at most \d+: lower replicas/],
  ];
  for (const [config, message] of cases) {
    it(JSON.stringify(config), async () => {
      expect(await gpu().call<string>(PROBE, 'createError', { config })).toMatch(message);
    });
  }
});
