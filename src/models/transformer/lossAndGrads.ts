// Loss and gradients of given parameters on a given batch, on the GPU: the SPEC §4 exchange path (onelayer grad)
// and the whole-model gradient tests. One forward and backward of the training network, no dropout, no update;
// the gradient slab is NaN-poisoned first, so a region no kernel wrote shows up.
import type { GpuContext } from '../../runtime/context';
import { poison, readF32 } from '../../runtime/buffers';
import { StepPlan } from '../../runtime/plan';
import { assertNoDeviceErrors } from '../../runtime/context';
import { buildNetwork } from './network';
import { packSlab, slabLayout, unpackSlab } from './slab';
import type { TransformerBatch, TransformerConfig, TransformerParams, TransformerShapes } from './shapes';

/** Bytes the LM head's logits chunk may take in a one-off evaluation (chunked over V beyond it). */
const HEAD_BUDGET_BYTES = 64 * 2 ** 20;

export interface TransformerGpuLossAndGrads {
  loss: number;
  grads: Record<string, Float32Array>;
}

export async function transformerLossAndGradsGpu(
  ctx: GpuContext, config: TransformerConfig, shapes: TransformerShapes, params: TransformerParams, batch: TransformerBatch,
): Promise<TransformerGpuLossAndGrads> {
  const layout = slabLayout(config, shapes);
  const { pool, device } = ctx;
  const owned: GPUBuffer[] = [];
  const upload = (data: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>, label: string) => {
    const b = pool.upload(data, label);
    owned.push(b);
    return b;
  };
  const grads = pool.acquire(4 * layout.P, 'transformer grads');
  owned.push(grads);
  poison(device, grads);
  const io = {
    params: upload(packSlab(layout, params, 1), 'transformer params'),
    grads,
    seeds: upload(new Uint32Array(1), 'transformer seeds'),
    step: upload(new Uint32Array(1), 'transformer step'),
    ...(batch.head === 'lm'
      ? { tokens: upload(Uint32Array.from(batch.tokens), 'transformer tokens') }
      : { inputs: upload(Float32Array.from(batch.inputs), 'transformer inputs'), z: upload(Float32Array.from(batch.z), 'transformer z') }),
  };
  const network = await buildNetwork(ctx, {
    structure: config, shapes, layout, replicas: 1, batch: batch.B, T: batch.T, dropout: 0, backward: true, headBudgetBytes: HEAD_BUDGET_BYTES,
  }, io);
  try {
    new StepPlan(device, 'transformer loss and gradients').add(...network.forwardTrain, ...network.backward).run();
    const loss = (await readF32(device, network.loss, 1))[0];
    const slab = await readF32(device, grads, layout.P);
    assertNoDeviceErrors(ctx);
    return { loss, grads: unpackSlab(layout, slab, 1) };
  } finally {
    network.release();
    for (const b of owned) pool.release(b);
  }
}
