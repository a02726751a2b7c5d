// Host wrapper for shaders/optimizerStep.wgsl: SGD (momentum) and AdamW over a whole parameter slab [R][P] in one
// dispatch, per-replica and per-group (ffn, rest) learning rates, clip scale, and the step counter's advance.
// The existing sgdMomentum kernel (per tensor, one learning rate) stays for the ICL and Scan & Snap models.
// Reference: src/reference/optimizerStep.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface OptimizerStepShape {
  replicas: number;
  /** Floats per replica: the slab size P. */
  size: number;
  /** Slab positions [0, ffnEnd) are the `ffn` group (learning rate lr[r]), the rest use lr[R + r]. */
  ffnEnd: number;
  /** AdamW's eps (default 1e-8, PyTorch's). */
  eps?: number;
  /** Threads per workgroup (default 256). */
  wg?: number;
}

interface CommonBuffers {
  /** [R][P] */
  param: BufferBinding;
  /** [R][P] */
  grad: BufferBinding;
  /** f32 [R]: multiplies the gradient (gradNorm's clip scale; ones without clipping). */
  gradScale: BufferBinding;
  /** f32 [2][R]: learning rates of the ffn group, then of the rest. */
  lr: BufferBinding;
}

export interface SgdStepBuffers extends CommonBuffers {
  /** [R][P], zero before the first step. */
  momentumBuffer: BufferBinding;
  /** f32 [R]: mu (0 = plain SGD). */
  momentum: BufferBinding;
}

export interface AdamwStepBuffers extends CommonBuffers {
  /** m, [R][P], zero before the first step. */
  expAvg: BufferBinding;
  /** v, [R][P], zero before the first step. */
  expAvgSq: BufferBinding;
  /** f32 [R] each. */
  beta1: BufferBinding;
  beta2: BufferBinding;
  weightDecay: BufferBinding;
  /** u32 [1]: steps taken so far (t = step + 1); advanceStep increments it. */
  step: BufferBinding;
}

export async function optimizerStep(kernels: KernelLibrary, s: OptimizerStepShape) {
  assertPositiveInt('optimizerStep', 'replicas', s.replicas);
  assertPositiveInt('optimizerStep', 'size', s.size);
  if (s.replicas > 65535) throw new RangeError(`optimizerStep: replicas = ${s.replicas}; allowed at most 65535 (the grid's y limit)`);
  if (!Number.isInteger(s.ffnEnd) || s.ffnEnd < 0 || s.ffnEnd > s.size) {
    throw new RangeError(`optimizerStep: ffnEnd = ${s.ffnEnd}; it must be an integer in 0..size (${s.size})`);
  }
  const eps = s.eps ?? 1e-8;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new RangeError(`optimizerStep: eps = ${eps}; it must be a positive finite number`);
  const wg = s.wg ?? 256;
  if (!Number.isInteger(wg) || wg < 1 || wg > 256) throw new RangeError(`optimizerStep: wg = ${wg}; allowed 1..256`);
  const constants = { SIZE: s.size, REPLICAS: s.replicas, FFN_END: s.ffnEnd, WG: wg, EPS: eps };
  const [sgd, adamw, advance] = await Promise.all([
    kernels.kernel('optimizerStep', { entryPoint: 'sgd', constants }),
    kernels.kernel('optimizerStep', { entryPoint: 'adamw', constants }),
    kernels.kernel('optimizerStep', { entryPoint: 'advanceStep' }),
  ]);
  const n = s.replicas * s.size;
  const slab = 4 * n;
  const perReplica = 4 * s.replicas;
  const grid: [number, number] = [strideGroups(s.size, wg), s.replicas];
  return {
    sgd: (buffers: SgdStepBuffers, label = 'optimizerStep.sgd'): Dispatch =>
      sgd.dispatch({ ...buffers }, grid, {
        label,
        minBytes: { param: slab, grad: slab, momentumBuffer: slab, gradScale: perReplica, lr: 2 * perReplica, momentum: perReplica },
        flops: 5 * n,
        bytes: 4 * 5 * n, // param and buffer read and written, grad read
      }),
    adamw: (buffers: AdamwStepBuffers, label = 'optimizerStep.adamw'): Dispatch =>
      adamw.dispatch({ ...buffers }, grid, {
        label,
        minBytes: {
          param: slab, grad: slab, expAvg: slab, expAvgSq: slab, gradScale: perReplica, lr: 2 * perReplica,
          beta1: perReplica, beta2: perReplica, weightDecay: perReplica, step: 4,
        },
        // scale, two moments (3 + 4), sqrt, divide, add, decay (2), step (3): counted as one each
        flops: 16 * n,
        bytes: 4 * 7 * n, // param, m, v read and written, grad read
      }),
    advanceStep: (step: BufferBinding, label = 'optimizerStep.advanceStep'): Dispatch =>
      advance.dispatch({ step }, [1], { label, minBytes: { step: 4 }, flops: 1, bytes: 8 }),
  };
}
