// The paper's claims (Li et al. 2024, as stated in SPEC §1 and issue 3) at the SPEC default shapes and learning
// rate, trained 40 steps (eta = 10 converges within ~30 steps here) on a 1000-prompt test set, for two seeds.
// Every error is reported with the hinge loss next to it.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import type { MetricRecord, ResultTable } from '../../src/engine/types';

const PROBE = '/tests/probes/icl.ts';
const STEPS = 40;
const REPLICAS = 2;

interface Analysis {
  metrics: MetricRecord[];
  ood: ResultTable;
  pruning: ResultTable;
  norms: { norms: ResultTable; split: ResultTable };
  seconds: number;
}

describe('ICL paper claims at the SPEC defaults (2 seeds, 40 steps, 1000 test prompts)', () => {
  const gpu = useGpu();
  let result: Analysis;
  const run = async () =>
    (result ??= await gpu().call<Analysis>(PROBE, 'trainAndAnalyze', {
      config: { replicas: REPLICAS, testSize: 1000, metricsEvery: 10 },
      steps: STEPS,
      S1: [0.5, 1.3],
      ratios: [0.1, 0.2],
      draws: 10,
    }));
  const at = (step: number, r: number) => result.metrics.find((m) => m.step === step && m.replica === r)!;

  it('attention concentration on same-pattern contexts rises from ~0.45 to > 0.9', async () => {
    await run();
    for (let r = 0; r < REPLICAS; r++) {
      console.log(`replica ${r}: attention ${at(0, r).attention.toFixed(3)} -> ${at(STEPS, r).attention.toFixed(3)}`);
      expect(at(0, r).attention).toBeGreaterThan(0.4);
      expect(at(0, r).attention).toBeLessThan(0.5);
      expect(at(STEPS, r).attention).toBeGreaterThan(0.9);
    }
  });

  it('unseen-task error falls below 5%', async () => {
    await run();
    for (let r = 0; r < REPLICAS; r++) {
      const end = at(STEPS, r);
      console.log(`replica ${r}: unseen-task error ${at(0, r).testError} -> ${end.testError} (hinge ${at(0, r).testHinge.toFixed(4)} -> ${end.testHinge.toFixed(4)})`);
      expect(at(0, r).testError).toBeGreaterThan(0.3);
      expect(end.testError).toBeLessThan(0.05);
      expect(end.testHinge).toBeLessThan(0.1);
    }
  });

  it('OOD error is much lower at S1 = 1.3 than at S1 = 0.5', async () => {
    await run();
    for (let r = 0; r < REPLICAS; r++) {
      const row = (S1: number) => result.ood.rows.find((x) => x[0] === S1 && x[1] === r)!;
      const [low, high] = [row(0.5), row(1.3)];
      console.log(`replica ${r}: OOD error S1=0.5 ${low[2]} (hinge ${low[3].toFixed(4)}), S1=1.3 ${high[2]} (hinge ${high[3].toFixed(4)})`);
      expect(low[2]).toBeGreaterThan(0.2);
      expect(high[2]).toBeLessThan(0.05);
      expect(high[3]).toBeLessThan(low[3] / 5);
    }
  });

  it('sorted W_O row norms split into a small group and a large one', async () => {
    await run();
    for (const [r, smallFraction, gap, meanRatio] of result.norms.split.rows) {
      console.log(`replica ${r}: small group ${(100 * smallFraction).toFixed(1)}%, gap ${gap.toFixed(2)}x, mean ratio ${meanRatio.toFixed(2)}x`);
      expect(smallFraction).toBeGreaterThan(0.03);
      expect(smallFraction).toBeLessThan(0.3);
      expect(gap).toBeGreaterThan(2);
    }
  });

  // The issue states the claim at ratio 0.2. With the small group at 5–11% of the 64 neurons, 0.2 (13 neurons)
  // also removes large ones: on the H100 runs (5 seeds, 1000 steps) magnitude < random held at 0.2 for the mean
  // over seeds (hinge 0.0023 vs 0.0036) but per seed for only 3 of 5, and at 0.1 for all 5. So the test asserts
  // 0.2 on the mean over seeds and 0.1 for every seed (README, ICL section).
  it('magnitude pruning hurts the hinge loss less than random pruning (mean of 10 draws): ratio 0.2 over seeds, 0.1 per seed', async () => {
    await run();
    const mean = { magnitude: 0, random: 0 };
    for (const [ratio, r, magError, magHinge, randError, randHinge] of result.pruning.rows) {
      console.log(`replica ${r}, ratio ${ratio}: magnitude error ${magError} hinge ${magHinge.toFixed(5)}; random error ${randError} hinge ${randHinge.toFixed(5)}`);
      if (ratio === 0.1) expect(magHinge).toBeLessThan(randHinge);
      if (ratio === 0.2) {
        mean.magnitude += magHinge / REPLICAS;
        mean.random += randHinge / REPLICAS;
      }
    }
    console.log(`ratio 0.2, mean over seeds: magnitude hinge ${mean.magnitude.toFixed(5)}, random ${mean.random.toFixed(5)}`);
    expect(mean.magnitude).toBeLessThan(mean.random);
    console.log(`train + analyses: ${result.seconds.toFixed(1)} s`);
  });
});
