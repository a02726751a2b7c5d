// Host wrapper for shaders/iclMlpHinge.wgsl: F = Σ a_j ReLU(u_j), hinge loss, its gradient (training) or
// test-set sums (evaluation). Reference: src/reference/iclMlpHinge.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt } from './grid';

export interface IclMlpHingeShape {
  replicas: number;
  /** Prompts per replica (per chunk for evaluation). */
  prompts: number;
  m: number;
  /** Evaluation only: the test set is stored as [chunks][replicas][prompts]. */
  chunks?: number;
}

export interface IclHingeTrainBuffers {
  mlpInput: BufferBinding;
  labels: BufferBinding;
  mlpInputGrad: BufferBinding;
  trainStats: BufferBinding;
}

export interface IclHingeEvaluateBuffers {
  mlpInput: BufferBinding;
  labels: BufferBinding;
  samePatternMass: BufferBinding;
  evalStats: BufferBinding;
}

async function build(kernels: KernelLibrary, s: IclMlpHingeShape, entryPoint: 'hingeTrain' | 'hingeEvaluate') {
  for (const k of ['replicas', 'prompts', 'm'] as const) assertPositiveInt('iclMlpHinge', k, s[k]);
  const chunks = s.chunks ?? 1;
  assertPositiveInt('iclMlpHinge', 'chunks', chunks);
  return kernels.kernel('iclMlpHinge', {
    entryPoint,
    constants: { M: s.m, PROMPTS: s.prompts, CHUNKS: chunks, REPLICAS: s.replicas },
  });
}

export async function iclHingeTrain(kernels: KernelLibrary, s: IclMlpHingeShape) {
  const kernel = await build(kernels, s, 'hingeTrain');
  const rows = s.replicas * s.prompts;
  return (buffers: IclHingeTrainBuffers, label = 'iclHingeTrain'): Dispatch =>
    kernel.dispatch({ ...buffers }, [s.replicas], {
      label,
      minBytes: { mlpInput: 4 * rows * s.m, labels: 4 * rows, mlpInputGrad: 4 * rows * s.m, trainStats: 8 * s.replicas },
      flops: 4 * rows * s.m,
      bytes: 8 * rows * s.m + 4 * rows,
    });
}

export async function iclHingeEvaluate(kernels: KernelLibrary, s: IclMlpHingeShape) {
  const kernel = await build(kernels, s, 'hingeEvaluate');
  const rows = s.replicas * s.prompts * (s.chunks ?? 1);
  return (buffers: IclHingeEvaluateBuffers, label = 'iclHingeEvaluate'): Dispatch =>
    kernel.dispatch({ ...buffers }, [s.replicas], {
      label,
      minBytes: { mlpInput: 4 * rows * s.m, labels: 4 * rows, samePatternMass: 4 * rows, evalStats: 16 * s.replicas },
      flops: 3 * rows * s.m,
      bytes: 4 * rows * s.m + 8 * rows,
    });
}
