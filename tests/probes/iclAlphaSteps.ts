// In-page probe for Li et al.'s steps-against-alpha claim on the one-layer model: replicas with different training
// alphas record their first step below the error threshold on the GPU (crossingEvery) while training.
import { assertNoDeviceErrors, getContext } from '../../src/runtime/context';
import { IclTrainer } from '../../src/models/icl/model';
import type { IclConfig } from '../../src/models/icl/config';
import type { MetricRecord } from '../../src/engine/types';

/** Trains, returning the metrics over training and the final evaluation (with firstStep per replica). */
export async function trainWithCrossings(args: { config: Partial<IclConfig>; steps: number; metricsEvery: number }) {
  const ctx = await getContext();
  const t0 = performance.now();
  const trainer = await IclTrainer.create(ctx, args.config);
  try {
    const metrics: MetricRecord[] = await trainer.train(args.steps, { metricsEvery: args.metricsEvery });
    const evaluation = await trainer.evaluate();
    assertNoDeviceErrors(ctx);
    return { metrics, evaluation, seconds: (performance.now() - t0) / 1000 };
  } finally {
    trainer.destroy();
  }
}
