// In-page probes for the transformer model: GPU loss and gradients of given parameters on a given batch.
import { assertNoDeviceErrors, getContext } from '../../src/runtime/context';
import { transformerLossAndGradsGpu } from '../../src/models/transformer/lossAndGrads';
import type { TransformerBatch, TransformerConfig, TransformerParams, TransformerShapes } from '../../src/models/transformer/shapes';

export async function lossAndGrads(args: { config: TransformerConfig; shapes: TransformerShapes; params: TransformerParams; batch: TransformerBatch }) {
  const ctx = await getContext();
  const out = await transformerLossAndGradsGpu(ctx, args.config, args.shapes, args.params, args.batch);
  assertNoDeviceErrors(ctx);
  return out;
}

/** Trains a config and returns the records, the final evaluation, the state and the sample's attention. */
export async function train(args: { config: Record<string, unknown>; steps: number[]; metricsEvery?: number }) {
  const { transformerModel } = await import('../../src/models/transformer/index');
  const ctx = await getContext();
  const trainer = await transformerModel.createTrainer(ctx, args.config as never);
  try {
    const records = [];
    for (const steps of args.steps) records.push(...(await trainer.train(steps, { metricsEvery: args.metricsEvery })));
    const evaluation = await trainer.evaluate();
    const state = await trainer.getState();
    assertNoDeviceErrors(ctx);
    return { records, evaluation, state };
  } finally {
    trainer.destroy();
  }
}
