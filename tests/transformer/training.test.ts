// The transformer trains: a tiny language model (V 16, T 16) learns a deterministic repeating sequence to a loss
// below 0.01, with four learning rates as four replicas of one job; a seed gives the same bits twice, and a run
// split in two through getState/setState ends with the same bits as one run. (A run killed and resumed through the
// CLI, with its recorded kernel choices, is tests/cli/tune.test.ts.)
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import type { MetricRecord, TrainerState } from '../../src/engine/types';

const PROBE = '/tests/probes/transformer.ts';
const tiny = { V: 16, T: 16, nLayers: 1, dModel: 16, dFF: 32, nHeads: 2, batch: 8, evalSize: 8, sampleSize: 1, weightDecay: 0 };

interface TrainResult { records: MetricRecord[]; evaluation: MetricRecord[]; state: TrainerState }

function bits(state: TrainerState): string[] {
  return Object.values(state.params).map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)).join(','));
}

describe('transformer training', () => {
  const gpu = useGpu();

  it('learns a repeating sequence to loss < 0.01; four learning rates train as replicas of one job', async () => {
    const lr = [0.003, 0.01, 0.03, 0.1];
    const out = await gpu().call<TrainResult>(PROBE, 'train', { config: { ...tiny, replicas: 4, lr }, steps: [40], metricsEvery: 20 });
    const last = out.records.filter((r) => r.step === 40);
    expect(last.map((r) => r.replica)).toEqual([0, 1, 2, 3]);
    const start = out.records.filter((r) => r.step === 0);
    for (const r of start) expect(r.evalLoss).toBeGreaterThan(2); // ln 16 = 2.77 at init, give or take
    expect(last[2].loss).toBeLessThan(0.01);
    expect(out.evaluation[2].evalLoss).toBeLessThan(0.01);
    expect(out.evaluation[2].perplexity).toBeLessThan(1.01);
    // the replicas are independent runs: the slowest rate is still far from there
    expect(out.evaluation[0].evalLoss).toBeGreaterThan(10 * out.evaluation[2].evalLoss);
    for (const r of last) {
      expect(Number.isFinite(r.gradNorm) && r.gradNorm > 0).toBe(true);
      expect(r['entropy.l0']).toBeGreaterThan(0);
      expect(r['change.l0']).toBeGreaterThan(0);
    }
  });

  it('the same seed gives the same bits; 3 + 2 steps through getState/setState equal 5 steps', async () => {
    const config = { ...tiny, replicas: 2, lr: [0.01, 0.02], dropout: 0.1 };
    const a = await gpu().call<TrainResult>(PROBE, 'train', { config, steps: [5], metricsEvery: 0 });
    const b = await gpu().call<TrainResult>(PROBE, 'train', { config, steps: [5], metricsEvery: 0 });
    expect(bits(b.state)).toEqual(bits(a.state));
    const split = await gpu().call<TrainResult>(PROBE, 'trainResumed', { config, first: 3, total: 5 });
    expect(bits(split.state)).toEqual(bits(a.state));
    const other = await gpu().call<TrainResult>(PROBE, 'train', { config: { ...config, seed: 1 }, steps: [5], metricsEvery: 0 });
    expect(bits(other.state)).not.toEqual(bits(a.state));
  });
});
