// The GPU evaluator (chunked test set, padding, pruned W_O) and the SPEC §3 JSON path against the float64
// reference.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose } from '../compare';
import { iclForwardPrompt, iclLossAndGradsReference, ICL_PARAM_NAMES, type IclParams64 } from '../../src/reference/icl';
import { iclShapes, parseIclConfig } from '../../src/models/icl/config';
import { batchToJson, densePrompts, inDomainPatterns, inDomainTestSet, initialParams, trainingBatch, WORDS_PER_COLUMN } from '../../src/models/icl/data';
import { iclParamsToJson } from '../../src/models/icl/params';
import type { IclEvalResult } from '../../src/models/icl/evaluate';
import type { LossGradsJson } from '../../src/engine/types';

const PROBE = '/tests/probes/icl.ts';

describe('ICL evaluator vs the float64 reference', () => {
  const gpu = useGpu();
  it('error, hinge loss and attention concentration over 3 chunks of 64 (150 prompts, padded), live and pruned W_O, R = 2', async () => {
    const raw = { dX: 12, dY: 3, N: 6, NTest: 9, m: 10, batch: 32, M1: 4, M2: 6, replicas: 2, testSize: 150, alphaTest: 0.6, patterns: 'random' };
    const config = parseIclConfig(raw);
    const shapes = iclShapes(config);
    const prunedRows = [1, 4, 7];
    const got = await gpu().call<{ live: IclEvalResult[]; pruned: IclEvalResult[]; params: Record<string, Float32Array>; chunks: number }>(
      PROBE, 'evaluateInChunks', { config: raw, steps: 15, chunk: 64, prunedRows },
    );
    expect(got.chunks).toBe(3);
    for (let r = 0; r < config.replicas; r++) {
      const set = inDomainTestSet(config, r);
      const batch = densePrompts(config, set, inDomainPatterns(config, r));
      const slice = (name: string, size: number) => Float64Array.from(got.params[name].subarray(r * size, (r + 1) * size));
      const params: IclParams64 = {
        W_Q: slice('W_Q', shapes.dA * shapes.d), W_K: slice('W_K', shapes.dA * shapes.d),
        W_V: slice('W_V', shapes.dV * shapes.d), W_O: slice('W_O', shapes.m * shapes.dV),
      };
      const pruned = { ...params, W_O: Float64Array.from(params.W_O) };
      for (const j of prunedRows) pruned.W_O.fill(0, j * shapes.dV, (j + 1) * shapes.dV);
      for (const [which, p] of [['live', params], ['pruned', pruned]] as const) {
        let hinge = 0, errors = 0, attention = 0;
        for (let b = 0; b < set.prompts; b++) {
          const f = iclForwardPrompt(shapes, p, batch, b);
          hinge += f.loss;
          if (!(batch.z[b] * f.F > 0)) errors++;
          const column = (i: number) => set.words[(b * (set.N + 1) + i) * WORDS_PER_COLUMN];
          for (let i = 0; i < set.N; i++) if (column(i) === column(set.N)) attention += f.attn[i];
        }
        const result = got[which][r];
        expect(result.prompts, `${which} replica ${r} prompts counted`).toBe(150);
        expect(Math.abs(result.hinge - hinge / 150), `${which} replica ${r} hinge`).toBeLessThan(1e-5 * Math.max(1, hinge / 150));
        expect(Math.abs(result.error - errors / 150), `${which} replica ${r} error`).toBeLessThanOrEqual(1 / 150);
        expect(Math.abs(result.attention - attention / 150), `${which} replica ${r} attention`).toBeLessThan(1e-5);
      }
      expect(got.pruned[r].hinge, 'pruning changes the loss').not.toBe(got.live[r].hinge);
    }
  });

  it('SPEC §3 JSON: lossAndGrads on the GPU equals lossAndGradsReference', async () => {
    const raw = { dX: 10, dY: 2, N: 5, m: 7, batch: 6, M1: 4, M2: 5, sigmaO: 0.5 };
    const config = parseIclConfig(raw);
    const shapes = iclShapes(config);
    const params = iclParamsToJson(shapes, initialParams(config, 0));
    const batch = batchToJson(densePrompts(config, trainingBatch(config, 0, 3), inDomainPatterns(config, 0)), shapes.d);
    const got = await gpu().call<LossGradsJson>(PROBE, 'lossAndGradsJson', { params, batch });
    const want = iclLossAndGradsReference(shapes, initialParams(config, 0), densePrompts(config, trainingBatch(config, 0, 3), inDomainPatterns(config, 0)));
    expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * want.loss);
    for (const name of ICL_PARAM_NAMES) expectClose((got.grads[name] as number[][]).flat(), want.grads[name], 2e-5, name);
  });

  it('SPEC §3 JSON: a wrongly shaped tensor is named', async () => {
    const raw = { dX: 10, dY: 2, N: 5, m: 7, batch: 6, M1: 4, M2: 5 };
    const config = parseIclConfig(raw);
    const shapes = iclShapes(config);
    const params = iclParamsToJson(shapes, initialParams(config, 0));
    (params.params!.W_V as number[][]).pop();
    const batch = batchToJson(densePrompts(config, trainingBatch(config, 0, 0), inDomainPatterns(config, 0)), shapes.d);
    await expect(gpu().call(PROBE, 'lossAndGradsJson', { params, batch })).rejects.toThrow('params: W_O is 7 × 12 but W_V is 11 × 12; W_O needs as many columns as W_V has rows (dV)');
    (params.params!.W_V as number[][])[2].pop();
    (params.params!.W_O as number[][]).forEach((row) => row.pop());
    await expect(gpu().call(PROBE, 'lossAndGradsJson', { params, batch })).rejects.toThrow(/params JSON params\.W_V\[2\]: expected 12 entries \(shape \[11, 12\]\), got 11 entries/);
  });
});
