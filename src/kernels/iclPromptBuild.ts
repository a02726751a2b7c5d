// Host wrapper for shaders/iclPromptBuild.wgsl: compact prompts -> dense context and query columns.
// Reference: src/reference/iclPromptBuild.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { assertPositiveInt, strideGroups } from './grid';

export interface IclPromptBuildShape {
  replicas: number;
  prompts: number;
  N: number;
  dX: number;
  d: number;
  relCount: number;
  irrCount: number;
  /** A thread per column (default false: a thread per element). */
  wholeColumns?: boolean;
  /** Threads per workgroup (default 256). */
  wg?: number;
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
  const wg = s.wg ?? 256;
  assertPositiveInt('iclPromptBuild', 'wg', wg);
  const kernel = await kernels.kernel('iclPromptBuild', {
    constants: {
      DX: s.dX, D: s.d, N: s.N, PROMPTS: s.prompts, REL_COUNT: s.relCount, IRR_COUNT: s.irrCount, WG: wg, WHOLE_COLUMNS: s.wholeColumns ? 1 : 0,
    },
  });
  const prompts = s.replicas * s.prompts;
  const elements = prompts * (s.N + 1) * s.d;
  const threads = s.wholeColumns ? elements / s.d : elements;
  return (buffers: IclPromptBuildBuffers, label = 'iclPromptBuild'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(threads / s.replicas, wg), s.replicas], {
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

/**
 * The adapter class's default first: a thread per element (GPUs: adjacent threads write adjacent floats) or a
 * thread per column (CPU adapters, where each thread's index arithmetic and word loads cost more than its stores).
 * Every variant writes the same values.
 */
export function iclPromptBuildVariants(software: boolean): Variant[] {
  const elements = { wholeColumns: false, wg: 256 };
  const columns = { wholeColumns: true, wg: 64 };
  return software ? [columns, elements] : [elements, columns];
}

/** iclPromptBuild with the variant the adapter's tuner picks for this shape. */
export async function tunedIclPromptBuild(ctx: GpuContext, s: IclPromptBuildShape) {
  const scratch = new TuningScratch(ctx.pool);
  const prompts = s.replicas * s.prompts;
  const variant = await ctx.tuner.pick(ctx.device, 'iclPromptBuild', { ...s, wholeColumns: undefined, wg: undefined }, iclPromptBuildVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await iclPromptBuild(ctx.kernels, { ...s, ...v });
    // Scratch holds arbitrary words: out-of-range pattern indices read clamped (WebGPU's robust access), same work.
    return [op({
      columns: scratch.get('columns', 16 * prompts * (s.N + 1)),
      relPatterns: scratch.get('rel', 4 * s.replicas * s.relCount * s.dX),
      irrPatterns: scratch.get('irr', 4 * s.replicas * s.irrCount * s.dX),
      contexts: scratch.get('contexts', 4 * prompts * s.N * s.d),
      queries: scratch.get('queries', 4 * prompts * s.d),
      labels: scratch.get('labels', 4 * prompts),
    })];
  }, scratch);
  return iclPromptBuild(ctx.kernels, { ...s, ...variant });
}
