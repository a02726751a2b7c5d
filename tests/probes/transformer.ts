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

/** Trains `first` steps, moves the state into a new trainer, and trains on to `total`. */
export async function trainResumed(args: { config: Record<string, unknown>; first: number; total: number }) {
  const { transformerModel } = await import('../../src/models/transformer/index');
  const ctx = await getContext();
  const one = await transformerModel.createTrainer(ctx, args.config as never);
  await one.train(args.first, { metricsEvery: 0 });
  const middle = await one.getState();
  one.destroy();
  const two = await transformerModel.createTrainer(ctx, args.config as never);
  try {
    await two.setState(middle);
    await two.train(args.total - args.first, { metricsEvery: 0 });
    const state = await two.getState();
    assertNoDeviceErrors(ctx);
    return { state };
  } finally {
    two.destroy();
  }
}
