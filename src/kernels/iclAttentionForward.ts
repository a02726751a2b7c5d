// Host wrapper for shaders/iclAttentionForward.wgsl (scores, softmax over contexts, pooled column).
// Reference: src/reference/iclAttentionForward.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { assertPositiveInt } from './grid';

export interface IclAttentionShape {
  replicas: number;
  prompts: number;
  N: number;
  d: number;
  /** One thread per prompt with no barrier (default false: a workgroup per prompt); both give the same bits. */
  threadPerPrompt?: boolean;
  /** Threads per workgroup (default 64). */
  wg?: number;
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
  if (s.wg !== undefined) assertPositiveInt(kernel, 'wg', s.wg);
}

/** Override constants and grid shared by the forward and the backward. */
export function attentionLaunch(s: IclAttentionShape): { constants: Record<string, number>; workgroups: [number, number] } {
  const wg = s.wg ?? 64;
  return {
    constants: { D: s.d, N: s.N, PROMPTS: s.prompts, WG: wg, THREAD_PER_PROMPT: s.threadPerPrompt ? 1 : 0 },
    workgroups: [s.threadPerPrompt ? Math.ceil(s.prompts / wg) : s.prompts, s.replicas],
  };
}

/**
 * The adapter class's default first: a workgroup per prompt (GPUs) or a thread per prompt (CPU adapters, where
 * barriers are dear: on SwiftShader ICL's default batch took 6.2 ms forward and 5.8 ms backward with a workgroup
 * per prompt, 0.75 and 1.1 ms with a thread per prompt). Used by the forward and the backward; the variants give
 * the same bits.
 */
export function iclAttentionVariants(software: boolean): Variant[] {
  const workgroup = { threadPerPrompt: false, wg: 64 };
  const thread = { threadPerPrompt: true, wg: 16 };
  return software ? [thread, workgroup] : [workgroup, thread];
}

export async function iclAttentionForward(kernels: KernelLibrary, s: IclAttentionShape) {
  assertAttentionShape('iclAttentionForward', s);
  const { constants, workgroups } = attentionLaunch(s);
  const kernel = await kernels.kernel('iclAttentionForward', { constants });
  const prompts = s.replicas * s.prompts;
  return (buffers: IclAttentionForwardBuffers, label = 'iclAttentionForward'): Dispatch =>
    kernel.dispatch({ ...buffers }, workgroups, {
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

/** iclAttentionForward with the variant the adapter's tuner picks for this shape. */
export async function tunedIclAttentionForward(ctx: GpuContext, s: IclAttentionShape) {
  const scratch = new TuningScratch(ctx.pool);
  const prompts = s.replicas * s.prompts;
  const variant = await ctx.tuner.pick(ctx.device, 'iclAttentionForward', { ...s, threadPerPrompt: undefined, wg: undefined }, iclAttentionVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await iclAttentionForward(ctx.kernels, { ...s, ...v });
    return [op({
      contexts: scratch.get('contexts', 4 * prompts * s.N * s.d),
      keyQuery: scratch.get('keyQuery', 4 * prompts * s.d),
      columns: scratch.get('columns', 16 * prompts * (s.N + 1)),
      attn: scratch.get('attn', 4 * prompts * s.N),
      pooled: scratch.get('pooled', 4 * prompts * s.d),
      samePatternMass: scratch.get('mass', 4 * prompts),
    })];
  }, scratch);
  return iclAttentionForward(ctx.kernels, { ...s, ...variant });
}
