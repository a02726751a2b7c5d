// Host wrapper for shaders/iclFirstCrossing.wgsl: per replica, the first evaluated step whose unseen-task error is
// below a threshold, recorded on the GPU. Reference: src/reference/iclFirstCrossing.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt } from './grid';

/** firstStep's value while a replica has not crossed. */
export const NOT_CROSSED = -1;

export interface IclFirstCrossingShape {
  replicas: number;
  /** An error in (0, 1]: a replica crosses at the first evaluation whose error is strictly below it. */
  threshold: number;
  /** Threads per workgroup (default 64). */
  wg?: number;
}

export interface IclFirstCrossingBuffers {
  /** u32 [1]: the step the evaluation belongs to (the trainer's GPU step counter). */
  step: BufferBinding;
  /** f32 [R][4]: the evaluator's Σ hinge, Σ sign errors, Σ same-pattern mass, prompts. */
  evalStats: BufferBinding;
  /** f32 [R]: NOT_CROSSED, or the step of the first crossing (kept once written). */
  firstStep: BufferBinding;
}

export async function iclFirstCrossing(kernels: KernelLibrary, s: IclFirstCrossingShape) {
  assertPositiveInt('iclFirstCrossing', 'replicas', s.replicas);
  if (!(Number.isFinite(s.threshold) && s.threshold > 0 && s.threshold <= 1)) {
    throw new RangeError(`iclFirstCrossing: threshold = ${s.threshold}; it must be an error in (0, 1]`);
  }
  const wg = s.wg ?? 64;
  assertPositiveInt('iclFirstCrossing', 'wg', wg);
  const kernel = await kernels.kernel('iclFirstCrossing', { entryPoint: 'record', constants: { REPLICAS: s.replicas, THRESHOLD: s.threshold, WG: wg } });
  return (buffers: IclFirstCrossingBuffers, label = 'iclFirstCrossing'): Dispatch =>
    kernel.dispatch({ ...buffers }, [Math.ceil(s.replicas / wg)], {
      label,
      minBytes: { step: 4, evalStats: 16 * s.replicas, firstStep: 4 * s.replicas },
      flops: s.replicas,
      bytes: 4 + 16 * s.replicas,
    });
}
