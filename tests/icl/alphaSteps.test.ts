// Li et al.'s in-domain claim about the training alpha (the share of a training prompt's contexts from its task
// pair): the larger alpha, the fewer iterations training needs. One trainer of 8 replicas (alpha 0.4, 0.6, 0.8, 1.0
// × 2 seeds, SPEC defaults otherwise, a 500-prompt unseen-task test set) records each replica's first step below
// 5% error on the GPU every 2 steps; the metrics read the same evaluation at the same steps, so the two must agree.
import { beforeAll, describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { alphaStepsTables } from '../../src/models/icl/analysis';
import type { MetricRecord, ResultTable } from '../../src/engine/types';

const ALPHAS = [0.4, 0.6, 0.8, 1.0];
const SEEDS = 2;
const EVERY = 2;
const THRESHOLD = 0.05;

describe('ICL: steps needed against the training alpha (Li et al.), iclFirstCrossing in the training loop', () => {
  const gpu = useGpu();
  let metrics: MetricRecord[];
  let evaluation: MetricRecord[];
  let tables: Record<string, ResultTable>;
  const alphaOf = (r: number) => ALPHAS[Math.floor(r / SEEDS)];

  beforeAll(async () => {
    const alpha = ALPHAS.flatMap((a) => Array(SEEDS).fill(a));
    ({ metrics, evaluation } = await gpu().call<{ metrics: MetricRecord[]; evaluation: MetricRecord[] }>('/tests/probes/iclAlphaSteps.ts', 'trainWithCrossings', {
      config: { replicas: alpha.length, alpha, testSize: 500, crossingEvery: EVERY, crossingThreshold: THRESHOLD }, steps: 60, metricsEvery: EVERY,
    }));
    tables = alphaStepsTables(evaluation.map((e) => ({ alpha: alphaOf(e.replica), seed: 1 + e.replica, firstStep: e.firstStep ?? NaN })));
  });

  it('each replica records the first evaluated step whose unseen-task error is below the threshold, as the metrics see it', () => {
    for (const e of evaluation) {
      const below = metrics.filter((m) => m.replica === e.replica && m.testError < THRESHOLD).map((m) => m.step);
      expect(below.length, `replica ${e.replica} crossed`).toBeGreaterThan(0);
      expect(e.firstStep, `replica ${e.replica}`).toBe(Math.min(...below));
      // Later evaluations (some above the threshold again) never moved it.
      expect(metrics.filter((m) => m.replica === e.replica && m.step >= e.firstStep).every((m) => m.firstStep === e.firstStep)).toBe(true);
    }
  });

  it('the steps needed fall as alpha rises, with a negative log-log slope', () => {
    const mean = tables.stepsByAlpha.rows.map((r) => r[1]);
    for (let i = 1; i < mean.length; i++) expect(mean[i], `alpha ${ALPHAS[i]} vs ${ALPHAS[i - 1]}`).toBeLessThanOrEqual(mean[i - 1]);
    expect(mean[mean.length - 1]).toBeLessThan(mean[0]);
    const [slope, , r2, fitted] = tables.stepsFit.rows[0];
    expect(fitted).toBe(ALPHAS.length * SEEDS);
    expect(slope).toBeLessThan(-0.3);
    expect(r2).toBeGreaterThan(0.5);
  });
});
