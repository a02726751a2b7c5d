// Loss and gradients of given parameters on given dense prompts, on the GPU (the SPEC §3 exchange path and the
// tests' entry point): uploads dense columns in place of the prompt builder's output and runs the training
// step's forward and backward once, without the SGD update.
import type { GpuContext } from '../../runtime/context';
import { poison, readF32 } from '../../runtime/buffers';
import { StepPlan } from '../../runtime/plan';
import { ICL_PARAM_NAMES, iclParamShapes, type DenseBatch, type IclParamName, type IclParams64, type IclShapes } from './shapes';
import { acquireTrainActivations, forwardBackward, type IclParamBuffers } from './network';

export interface GpuLossAndGrads {
  /** Batch-mean hinge loss per replica. */
  loss: Float32Array;
  /** Gradients [R][rows][cols] per parameter. */
  grads: Record<IclParamName, Float32Array>;
}

/** `params[r]` and `batches[r]` belong to replica r; all batches must have the same prompt count and N. */
export async function iclLossAndGradsGpu(ctx: GpuContext, shapes: IclShapes, params: IclParams64[], batches: DenseBatch[]): Promise<GpuLossAndGrads> {
  const R = params.length;
  const { prompts: B, N } = batches[0];
  if (batches.length !== R || batches.some((b) => b.prompts !== B || b.N !== N)) {
    throw new RangeError(`icl lossAndGrads: need one batch per replica (${R}), all with ${B} prompts of N = ${N} contexts`);
  }
  const { d } = shapes;
  const { device, pool } = ctx;
  const sizes = iclParamShapes(shapes);
  const buffers: GPUBuffer[] = [];
  const upload = (data: Float32Array | Uint32Array, label: string) => {
    const b = pool.upload(data, label);
    buffers.push(b);
    return b;
  };
  const flatParams = {} as IclParamBuffers;
  const grads = {} as IclParamBuffers;
  for (const name of ICL_PARAM_NAMES) {
    const size = sizes[name][0] * sizes[name][1];
    const flat = new Float32Array(R * size);
    params.forEach((p, r) => flat.set(p[name], r * size));
    flatParams[name] = upload(flat, name);
    grads[name] = pool.acquire(4 * R * size, `grad ${name}`);
    buffers.push(grads[name]);
    poison(device, grads[name]);
  }
  const contexts = new Float32Array(R * B * N * d);
  const queries = new Float32Array(R * B * d);
  const labels = new Float32Array(R * B);
  batches.forEach((batch, r) => {
    for (let b = 0; b < B; b++) {
      const prompt = r * B + b;
      contexts.set(batch.P.subarray(b * (N + 1) * d, (b * (N + 1) + N) * d), prompt * N * d);
      queries.set(batch.P.subarray((b * (N + 1) + N) * d, (b + 1) * (N + 1) * d), prompt * d);
      labels[prompt] = batch.z[b];
    }
  });
  const dims = { replicas: R, prompts: B, N, shapes };
  const act = acquireTrainActivations(ctx, dims);
  buffers.push(...Object.values(act));
  for (const b of Object.values(act)) poison(device, b);
  const input = {
    contexts: upload(contexts, 'contexts'),
    queries: upload(queries, 'queries'),
    labels: upload(labels, 'labels'),
    // No compact prompts here: the same-pattern mass is not needed, every column reads as pattern 0.
    columns: upload(new Uint32Array(R * B * (N + 1) * 4), 'columns'),
  };
  new StepPlan(device, 'icl lossAndGrads').add(...(await forwardBackward(ctx, dims, flatParams, grads, input, act, buffers))).run();
  const stats = await readF32(device, act.trainStats, 2 * R);
  const out = {} as Record<IclParamName, Float32Array>;
  for (const name of ICL_PARAM_NAMES) out[name] = await readF32(device, grads[name], R * sizes[name][0] * sizes[name][1]);
  for (const b of buffers) pool.release(b);
  return { loss: Float32Array.from({ length: R }, (_, r) => stats[2 * r]), grads: out };
}
