// In-page probes for the transformer model: GPU loss and gradients of given parameters on a given batch.
import { getContext } from '../../src/runtime/context';
import { transformerLossAndGradsGpu } from '../../src/models/transformer/lossAndGrads';
import type { TransformerBatch, TransformerConfig, TransformerParams, TransformerShapes } from '../../src/models/transformer/shapes';

export async function lossAndGrads(args: { config: TransformerConfig; shapes: TransformerShapes; params: TransformerParams; batch: TransformerBatch }) {
  return transformerLossAndGradsGpu(await getContext(), args.config, args.shapes, args.params, args.batch);
}
