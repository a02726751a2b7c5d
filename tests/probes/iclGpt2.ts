// In-page probes for GPT-2 on the ICL prompts (transformer data 'icl'): the source's expanded training batches and
// held-out chunk, and a short training run with its OOD sweep beside the one-layer model.
import { assertNoDeviceErrors, getContext } from '../../src/runtime/context';
import { readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { parseTransformerConfig } from '../../src/models/transformer/config';
import { iclSource } from '../../src/models/transformer/data/icl';
import { transformerModel } from '../../src/models/transformer/index';
import { TransformerTrainer } from '../../src/models/transformer/model';
import { gpt2OodSweep } from '../../src/models/transformer/presets/icl';

/** The training batches of the given steps and the first held-out chunk, as the source writes them (inputs, z). */
export async function sourceBatches(args: { config: Record<string, unknown>; steps: number[] }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const c = parseTransformerConfig(args.config);
  const seeds = pool.upload(Uint32Array.from({ length: c.replicas }, (_, r) => c.seed + r), 'seeds');
  const step = pool.acquire(4, 'step');
  const data = await iclSource.build(ctx, c, { seeds, step });
  const inputs = data.batch.inputs!;
  const z = data.batch.z!;
  const read = async () => ({ inputs: await readF32(device, inputs, inputs.size / 4), z: await readF32(device, z, z.size / 4) });
  const train = [];
  for (const t of args.steps) {
    device.queue.writeBuffer(step, 0, new Uint32Array([t]));
    new StepPlan(device, 'icl source train').add(...data.train).run();
    train.push(await read());
  }
  new StepPlan(device, 'icl source held-out').add(...data.evalChunks[0]).run();
  const heldOut = await read();
  data.release();
  [seeds, step].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return { train, heldOut, sampleLabels: data.sampleLabels };
}

/** Trains GPT-2 on the prompts, then the OOD sweep (GPT-2 and the one-layer model on the same prompts). */
export async function trainAndOod(args: { config: Record<string, unknown>; steps: number; S1: number[]; oneLayerSteps: number }) {
  const ctx = await getContext();
  const t0 = performance.now();
  const trainer = await transformerModel.createTrainer(ctx, args.config as never);
  try {
    const records = await trainer.train(args.steps, { metricsEvery: args.steps });
    const ood = await gpt2OodSweep(trainer as TransformerTrainer, ctx, args.S1, args.oneLayerSteps);
    assertNoDeviceErrors(ctx);
    return { records, ood, seconds: (performance.now() - t0) / 1000 };
  } finally {
    trainer.destroy();
  }
}
