// Host wrapper for shaders/iclPromptBuild.wgsl: compact prompts -> dense context and query columns.
// Reference: src/reference/iclPromptBuild.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface IclPromptBuildShape {
  replicas: number;
  prompts: number;
  N: number;
  dX: number;
  d: number;
  relCount: number;
  irrCount: number;
}

export interface IclPromptBuildBuffers {
  columns: BufferBinding;
  relPatterns: BufferBinding;
  irrPatterns: BufferBinding;
  contexts: BufferBinding;
  queries: BufferBinding;
  labels: BufferBinding;
}

export async function iclPromptBuild(kernels: KernelLibrary, s: IclPromptBuildShape) {
  for (const k of ['replicas', 'prompts', 'N', 'dX', 'd', 'relCount', 'irrCount'] as const) assertPositiveInt('iclPromptBuild', k, s[k]);
  const kernel = await kernels.kernel('iclPromptBuild', {
    constants: { DX: s.dX, D: s.d, N: s.N, PROMPTS: s.prompts, REL_COUNT: s.relCount, IRR_COUNT: s.irrCount },
  });
  const prompts = s.replicas * s.prompts;
  const elements = prompts * (s.N + 1) * s.d;
  return (buffers: IclPromptBuildBuffers, label = 'iclPromptBuild'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(elements / s.replicas, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: {
        columns: 16 * prompts * (s.N + 1),
        relPatterns: 4 * s.replicas * s.relCount * s.dX,
        irrPatterns: 4 * s.replicas * s.irrCount * s.dX,
        contexts: 4 * prompts * s.N * s.d,
        queries: 4 * prompts * s.d,
        labels: 4 * prompts,
      },
      flops: 2 * prompts * (s.N + 1) * s.dX,
      bytes: 4 * elements * 3 + 16 * prompts * (s.N + 1),
    });
}
