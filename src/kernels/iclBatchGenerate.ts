// Host wrapper for shaders/iclBatchGenerate.wgsl: training batches from a counter-based RNG on the GPU, and the
// step counter it reads. Reference: src/reference/iclBatchGenerate.ts (the model's fast CPU twin writeTrainingBatch gives the same words).
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface IclBatchGenerateShape {
  replicas: number;
  prompts: number;
  N: number;
  relCount: number;
  irrCount: number;
  tasks: number;
  kappaMax: number;
}

export interface IclBatchGenerateBuffers {
  step: BufferBinding;
  replicaDraws: BufferBinding;
  tasks: BufferBinding;
  columns: BufferBinding;
}

export async function iclBatchGenerate(kernels: KernelLibrary, s: IclBatchGenerateShape) {
  for (const k of ['replicas', 'prompts', 'N', 'relCount', 'irrCount', 'tasks'] as const) assertPositiveInt('iclBatchGenerate', k, s[k]);
  const constants = { N: s.N, PROMPTS: s.prompts, REL_COUNT: s.relCount, IRR_COUNT: s.irrCount, TASKS: s.tasks, KAPPA_MAX: s.kappaMax };
  const generate = await kernels.kernel('iclBatchGenerate', { entryPoint: 'generate', constants });
  const advance = await kernels.kernel('iclBatchGenerate', { entryPoint: 'advanceStep' });
  const prompts = s.replicas * s.prompts;
  return {
    generate: (buffers: IclBatchGenerateBuffers, label = 'iclBatchGenerate'): Dispatch =>
      generate.dispatch({ ...buffers }, [strideGroups(s.prompts, generate.workgroupSize[0]), s.replicas], {
        label,
        minBytes: { step: 4, replicaDraws: 12 * s.replicas, tasks: 8 * s.tasks, columns: 16 * prompts * (s.N + 1) },
        flops: 0,
        bytes: 16 * prompts * (s.N + 1),
      }),
    advanceStep: (stepCounter: BufferBinding): Dispatch => advance.dispatch({ stepCounter }, [1], { label: 'iclBatchGenerate step += 1', bytes: 8 }),
  };
}
