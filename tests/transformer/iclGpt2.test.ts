// GPT-2 on Li et al.'s ICL prompts (transformer data 'icl'): the source feeds the transformer exactly the one-layer
// model's prompts (the same counter-based batches of (seed + r, step), the same unseen-task test set), as positions ×
// features with the query last; and a short run learns the in-domain task and runs the OOD sweep beside the
// one-layer model on the same prompts.
import { beforeAll, describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose } from '../compare';
import { parseIclConfig } from '../../src/models/icl/config';
import { densePrompts, inDomainPatterns, inDomainTestSet, trainingBatch } from '../../src/models/icl/data';
import type { MetricRecord, ResultTable } from '../../src/engine/types';

const DATA = { dX: 10, dY: 3, N: 5, M1: 4, M2: 6, alpha: [0.8, 0.5], alphaTest: 0.6 };
const SOURCE = { data: 'icl', ...DATA, replicas: 2, batch: 7, evalSize: 11, sampleSize: 2, seed: 3, dModel: 8, nHeads: 2, dFF: 8, nLayers: 1 };

type Batch = { inputs: Float32Array; z: Float32Array };

/** Replica r's prompts of a [R][B][N + 1][d] batch, against the one-layer model's dense prompts of the same set. */
function expectPrompts(got: Batch, r: number, B: number, want: { P: Float64Array; z: Float64Array; prompts: number }, exact: boolean, what: string) {
  const per = (DATA.N + 1) * (DATA.dX + DATA.dY);
  const inputs = got.inputs.subarray(r * B * per, r * B * per + want.prompts * per);
  const z = got.z.subarray(r * B, r * B + want.prompts);
  if (exact) expect(Array.from(inputs), `${what}: inputs`).toEqual(Array.from(want.P));
  else expectClose(inputs, want.P, 1e-6, `${what}: inputs`);
  expect(Array.from(z), `${what}: z`).toEqual(Array.from(want.z));
}

describe("transformer data 'icl': the one-layer model's prompts as real inputs (iclPromptBuild sequences)", () => {
  const gpu = useGpu();
  for (const patterns of ['basis', 'random'] as const) {
    it(`training batches of steps 0 and 5 and the held-out chunk, ${patterns} patterns, per-replica alpha`, async () => {
      const got = await gpu().call<{ train: Batch[]; heldOut: Batch; sampleLabels: string[] }>('/tests/probes/iclGpt2.ts', 'sourceBatches', { config: { ...SOURCE, patterns }, steps: [0, 5] });
      const ic = parseIclConfig({ ...DATA, patterns, replicas: 2, batch: 7, seed: 3, NTest: DATA.N, testSize: 11 });
      for (let r = 0; r < 2; r++) {
        const p = inDomainPatterns(ic, r);
        // Basis patterns: every element is one f32 product or a copy, so the GPU's bits equal the float64 twin's.
        [0, 5].forEach((step, i) => expectPrompts(got.train[i], r, 7, densePrompts(ic, trainingBatch(ic, r, step), p), patterns === 'basis', `replica ${r} step ${step}`));
        expectPrompts(got.heldOut, r, 7, densePrompts(ic, { ...inDomainTestSet(ic, r), prompts: 7 }, p), patterns === 'basis', `replica ${r} held-out`);
      }
      expect(got.train[0].inputs).not.toEqual(got.train[1].inputs);
      expect(got.sampleLabels).toHaveLength(DATA.N + 1);
      expect(got.sampleLabels[DATA.N]).toMatch(/^query mu\d$/);
    });
  }
});

describe('GPT-2 on the ICL prompts: in-domain learning and the OOD sweep beside the one-layer model (Li et al.)', () => {
  const gpu = useGpu();
  const S1 = [0.5, 0.9, 1.3];
  const STEPS = 120;
  let records: MetricRecord[];
  let ood: ResultTable;
  const col = (name: string) => ood.columns.indexOf(name);

  beforeAll(async () => {
    // The presets' data (12 relevant patterns: 12 training tasks, so that memorising them does not pay) and a
    // one-layer GPT-2 small enough for SwiftShader (120 steps, about 10 s here; measured: error 0.38, 0.24, 0.17 at
    // S1 = 0.5, 0.9, 1.3 after reaching 2% in-domain).
    ({ records, ood } = await gpu().call<{ records: MetricRecord[]; ood: ResultTable }>('/tests/probes/iclGpt2.ts', 'trainAndOod', {
      config: {
        data: 'icl', M1: 12, M2: 20, norm: 'pre', activation: 'gelu', causal: true, posEncoding: 'none', nLayers: 1, dModel: 32, nHeads: 1, dFF: 32,
        optimizer: 'adamw', lr: 1e-3, weightDecay: 0, batch: 64, evalSize: 500, sampleSize: 1, replicas: 1,
      },
      steps: STEPS, S1, oneLayerSteps: 150,
    }));
  });

  it('the unseen-task error falls from chance to below 10%', () => {
    const first = records.find((r) => r.step === 0)!;
    const last = records.find((r) => r.step === STEPS)!;
    expect(first.evalError).toBeGreaterThan(0.4);
    expect(last.evalError).toBeLessThan(0.1);
  });

  it("GPT-2's OOD error at S1 = 1.3 is well below its error at 0.5 (under half), falling with S1; so is the one-layer model's", () => {
    expect(ood.rows.map((r) => r[col('S1')])).toEqual(S1);
    for (const row of ood.rows) for (const v of row) expect(Number.isFinite(v)).toBe(true);
    const gpt2 = ood.rows.map((r) => r[col('error')]);
    expect(gpt2[1]).toBeLessThan(gpt2[0]);
    expect(gpt2[2]).toBeLessThan(gpt2[1]);
    expect(gpt2[2]).toBeLessThan(0.5 * gpt2[0]);
    const oneLayer = ood.rows.map((r) => r[col('oneLayerError')]);
    expect(oneLayer[0]).toBeGreaterThan(0.25);
    expect(oneLayer[2]).toBeLessThan(0.05);
  });
});
