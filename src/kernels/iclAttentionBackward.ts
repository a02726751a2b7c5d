// Host wrapper for shaders/iclAttentionBackward.wgsl (dL/dpbar -> dL/dkeyQuery through softmax and scores).
// Reference: src/reference/iclAttentionBackward.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch } from '../runtime/tuner';
import { assertAttentionShape, attentionLaunch, iclAttentionVariants, type IclAttentionShape } from './iclAttentionForward';

export interface IclAttentionBackwardBuffers {
  contexts: BufferBinding;
  attn: BufferBinding;
  pooledGrad: BufferBinding;
  keyQueryGrad: BufferBinding;
}

export async function iclAttentionBackward(kernels: KernelLibrary, s: IclAttentionShape) {
  assertAttentionShape('iclAttentionBackward', s);
  const { constants, workgroups } = attentionLaunch(s);
  const kernel = await kernels.kernel('iclAttentionBackward', { constants });
  const prompts = s.replicas * s.prompts;
  return (buffers: IclAttentionBackwardBuffers, label = 'iclAttentionBackward'): Dispatch =>
    kernel.dispatch({ ...buffers }, workgroups, {
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

/** iclAttentionBackward with the variant the adapter's tuner picks for this shape. */
export async function tunedIclAttentionBackward(ctx: GpuContext, s: IclAttentionShape) {
  const scratch = new TuningScratch(ctx.pool);
  const prompts = s.replicas * s.prompts;
  const variant = await ctx.tuner.pick(ctx.device, 'iclAttentionBackward', { ...s, threadPerPrompt: undefined, wg: undefined }, iclAttentionVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await iclAttentionBackward(ctx.kernels, { ...s, ...v });
    return [op({
      contexts: scratch.get('contexts', 4 * prompts * s.N * s.d),
      attn: scratch.get('attn', 4 * prompts * s.N),
      pooledGrad: scratch.get('pooledGrad', 4 * prompts * s.d),
      keyQueryGrad: scratch.get('keyQueryGrad', 4 * prompts * s.d),
    })];
  }, scratch);
  return iclAttentionBackward(ctx.kernels, { ...s, ...variant });
}
