// Host wrapper for shaders/iclAttentionForward.wgsl (scores, softmax over contexts, pooled column).
// Reference: src/reference/iclAttentionForward.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt } from './grid';

export interface IclAttentionShape {
  replicas: number;
  prompts: number;
  N: number;
  d: number;
}

export interface IclAttentionForwardBuffers {
  contexts: BufferBinding;
  keyQuery: BufferBinding;
  columns: BufferBinding;
  attn: BufferBinding;
  pooled: BufferBinding;
  samePatternMass: BufferBinding;
}

export function assertAttentionShape(kernel: string, s: IclAttentionShape): void {
  for (const k of ['replicas', 'prompts', 'N', 'd'] as const) assertPositiveInt(kernel, k, s[k]);
}

export async function iclAttentionForward(kernels: KernelLibrary, s: IclAttentionShape) {
  assertAttentionShape('iclAttentionForward', s);
  const kernel = await kernels.kernel('iclAttentionForward', { constants: { D: s.d, N: s.N, PROMPTS: s.prompts } });
  const prompts = s.replicas * s.prompts;
  return (buffers: IclAttentionForwardBuffers, label = 'iclAttentionForward'): Dispatch =>
    kernel.dispatch({ ...buffers }, [s.prompts, s.replicas], {
      label,
      minBytes: {
        contexts: 4 * prompts * s.N * s.d,
        keyQuery: 4 * prompts * s.d,
        columns: 16 * prompts * (s.N + 1),
        attn: 4 * prompts * s.N,
        pooled: 4 * prompts * s.d,
        samePatternMass: 4 * prompts,
      },
      flops: prompts * s.N * (4 * s.d + 4),
      bytes: 4 * prompts * (2 * s.N * s.d + 2 * s.d + 2 * s.N) + 16 * prompts * (s.N + 1),
    });
}
