// Host wrapper for shaders/iclAttentionBackward.wgsl (dL/dpbar -> dL/dkeyQuery through softmax and scores).
// Reference: src/reference/iclAttentionBackward.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertAttentionShape, type IclAttentionShape } from './iclAttentionForward';

export interface IclAttentionBackwardBuffers {
  contexts: BufferBinding;
  attn: BufferBinding;
  pooledGrad: BufferBinding;
  keyQueryGrad: BufferBinding;
}

export async function iclAttentionBackward(kernels: KernelLibrary, s: IclAttentionShape) {
  assertAttentionShape('iclAttentionBackward', s);
  const kernel = await kernels.kernel('iclAttentionBackward', { constants: { D: s.d, N: s.N, PROMPTS: s.prompts } });
  const prompts = s.replicas * s.prompts;
  return (buffers: IclAttentionBackwardBuffers, label = 'iclAttentionBackward'): Dispatch =>
    kernel.dispatch({ ...buffers }, [s.prompts, s.replicas], {
      label,
      minBytes: {
        contexts: 4 * prompts * s.N * s.d,
        attn: 4 * prompts * s.N,
        pooledGrad: 4 * prompts * s.d,
        keyQueryGrad: 4 * prompts * s.d,
      },
      flops: prompts * s.N * (4 * s.d + 3),
      bytes: 4 * prompts * (2 * s.N * s.d + 2 * s.d + s.N),
    });
}
