// Host wrapper for shaders/hingeReadout.wgsl: the transformer's ICL head F = w_out·x[query] + b_out with the hinge
// loss, its gradients (into the gradient slab) and a test-set evaluation. Reference: src/reference/hingeReadout.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt } from './grid';

export interface HingeReadoutShape {
  replicas: number;
  /** Prompts per replica. */
  batch: number;
  /** Positions per prompt (N + 1: the query is the last). */
  T: number;
  dModel: number;
  /** Floats per replica of the parameter and gradient slabs (P). */
  slabSize: number;
  /** Slab offsets (floats) of w_out (dModel floats) and b_out (1 float). */
  wOutOffset: number;
  bOutOffset: number;
  /** Threads per workgroup, a power of two up to 256 (default 64). */
  wg?: number;
}

export interface HingeReadoutTrainBuffers {
  /** [R][B][T][dModel] */
  x: BufferBinding;
  /** f32 ±1 [R][B] */
  z: BufferBinding;
  /** [R][P] */
  params: BufferBinding;
  /** out [R][B] */
  F: BufferBinding;
  /** out [R][B]: dLoss/dF (scratch between the dispatches) */
  dF: BufferBinding;
  /** out [R][B][T][dModel]: every element written */
  dx: BufferBinding;
  /** [R][P]: w_out's and b_out's gradients overwritten, nothing else touched */
  grads: BufferBinding;
  /** out [R]: batch-mean hinge loss */
  loss: BufferBinding;
}

export interface HingeReadoutEvalBuffers {
  x: BufferBinding;
  /** f32 [R][B]: ±1, or 0 for padding prompts (not counted) */
  z: BufferBinding;
  params: BufferBinding;
  /** out [R][B] */
  F: BufferBinding;
  /** [R][2]: sign error count (F = 0 counts wrong) and hinge sum; overwritten, or added to with accumulate */
  evalStats: BufferBinding;
}

export async function hingeReadout(kernels: KernelLibrary, s: HingeReadoutShape) {
  for (const k of ['replicas', 'batch', 'T', 'dModel', 'slabSize'] as const) assertPositiveInt('hingeReadout', k, s[k]);
  if (s.replicas > 65535) throw new RangeError(`hingeReadout: replicas = ${s.replicas}; allowed at most 65535 (the grid's limit)`);
  const wg = s.wg ?? 64;
  if (!Number.isInteger(Math.log2(wg)) || wg > 256) throw new RangeError(`hingeReadout: wg = ${wg}; it must be a power of two, at most 256`);
  if (!Number.isInteger(s.wOutOffset) || s.wOutOffset < 0 || s.wOutOffset + s.dModel > s.slabSize) {
    throw new RangeError(`hingeReadout: wOutOffset = ${s.wOutOffset}; w_out (${s.dModel} floats) must lie inside the slab of ${s.slabSize}`);
  }
  const overlapsW = s.bOutOffset >= s.wOutOffset && s.bOutOffset < s.wOutOffset + s.dModel;
  if (!Number.isInteger(s.bOutOffset) || s.bOutOffset < 0 || s.bOutOffset >= s.slabSize || overlapsW) {
    throw new RangeError(`hingeReadout: bOutOffset = ${s.bOutOffset}; b_out must lie inside the slab of ${s.slabSize}, outside w_out [${s.wOutOffset}, ${s.wOutOffset + s.dModel})`);
  }
  const constants = {
    REPLICAS: s.replicas, BATCH: s.batch, T: s.T, D: s.dModel,
    SLAB_STRIDE: s.slabSize, W_OUT_OFFSET: s.wOutOffset, B_OUT_OFFSET: s.bOutOffset, WG: wg,
  };
  const [forward, inputGrad, paramGrads, evaluate, evaluateAccumulate] = await Promise.all([
    kernels.kernel('hingeReadout', { entryPoint: 'forward', constants }),
    kernels.kernel('hingeReadout', { entryPoint: 'inputGrad', constants }),
    kernels.kernel('hingeReadout', { entryPoint: 'paramGrads', constants }),
    kernels.kernel('hingeReadout', { entryPoint: 'evaluate', constants }),
    kernels.kernel('hingeReadout', { entryPoint: 'evaluate', constants: { ...constants, ACCUMULATE: 1 } }),
  ]);
  const prompts = s.replicas * s.batch;
  const activations = prompts * s.T * s.dModel;
  const slab = 4 * ((s.replicas - 1) * s.slabSize + Math.max(s.wOutOffset + s.dModel, s.bOutOffset + 1));
  return {
    /** forward (F, dF), inputGrad (dx), paramGrads (dw_out, db_out, loss): the head's training step. */
    train: (b: HingeReadoutTrainBuffers, label = 'hingeReadout'): Dispatch[] => [
      forward.dispatch({ x: b.x, z: b.z, params: b.params, F: b.F, dF: b.dF }, [Math.ceil(s.batch / wg), s.replicas], {
        label: `${label} forward`,
        minBytes: { x: 4 * activations, z: 4 * prompts, params: slab, F: 4 * prompts, dF: 4 * prompts },
        flops: prompts * (2 * s.dModel + 4),
        bytes: 4 * (prompts * (s.dModel + 3) + s.replicas * (s.dModel + 1)),
      }),
      inputGrad.dispatch({ params: b.params, dF: b.dF, dx: b.dx }, [Math.min(prompts * s.T, 65535)], {
        label: `${label} inputGrad`,
        minBytes: { params: slab, dF: 4 * prompts, dx: 4 * activations },
        flops: prompts * s.dModel,
        bytes: 4 * (activations + prompts * (s.dModel + 1)),
      }),
      paramGrads.dispatch({ x: b.x, z: b.z, F: b.F, dF: b.dF, grads: b.grads, loss: b.loss }, [Math.ceil((s.dModel + 2) / wg), s.replicas], {
        label: `${label} paramGrads`,
        minBytes: { x: 4 * activations, z: 4 * prompts, F: 4 * prompts, dF: 4 * prompts, grads: slab, loss: 4 * s.replicas },
        flops: prompts * (2 * s.dModel + 4),
        bytes: 4 * (prompts * (s.dModel + 4) + s.replicas * (s.dModel + 2)),
      }),
    ],
    /** Sign errors and hinge sum of a test batch per replica; `accumulate` adds them to evalStats. */
    evaluate: (b: HingeReadoutEvalBuffers, options: { accumulate?: boolean; label?: string } = {}): Dispatch =>
      (options.accumulate ? evaluateAccumulate : evaluate).dispatch({ ...b }, [s.replicas], {
        label: options.label ?? 'hingeReadout evaluate',
        minBytes: { x: 4 * activations, z: 4 * prompts, params: slab, F: 4 * prompts, evalStats: 8 * s.replicas },
        flops: prompts * (2 * s.dModel + 5),
        bytes: 4 * (prompts * (s.dModel + 2) + s.replicas * (s.dModel + 3)),
      }),
  };
}
