// Host wrapper for shaders/iclPromptBuild.wgsl: compact prompts -> dense context and query columns (entry 'main',
// the one-layer model's layout) or whole prompts as positions × features (entry 'sequences', the transformer's
// real inputs). Reference: src/reference/iclPromptBuild.ts.
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

export interface IclPromptSequencesBuffers {
  columns: BufferBinding;
  relPatterns: BufferBinding;
  irrPatterns: BufferBinding;
  /** [R][prompts][N + 1][d]: the N contexts, then the query (label part zero). */
  prompts: BufferBinding;
  /** [R][prompts]: the query's z. */
  labels: BufferBinding;
}

/**
 * One entry's dispatch builder: the checks, the kernel with its constants, and the grid, byte minimums and counts
 * both entries share; `outputs` gives the entry's own output sizes in bytes from (prompts in all, elements in all).
 */
async function promptBuildOp(
  kernels: KernelLibrary, s: IclPromptBuildShape, entryPoint: 'main' | 'sequences', outputs: (prompts: number, elements: number) => Record<string, number>,
) {
  for (const k of ['replicas', 'prompts', 'N', 'dX', 'd', 'relCount', 'irrCount'] as const) assertPositiveInt('iclPromptBuild', k, s[k]);
  if (s.d <= s.dX) throw new RangeError(`iclPromptBuild: d = ${s.d}; it must exceed dX = ${s.dX} (d = dX + dY holds the label part)`);
  const wg = s.wg ?? 256;
  assertPositiveInt('iclPromptBuild', 'wg', wg);
  const kernel = await kernels.kernel('iclPromptBuild', {
    entryPoint,
    constants: {
      DX: s.dX, D: s.d, N: s.N, PROMPTS: s.prompts, REL_COUNT: s.relCount, IRR_COUNT: s.irrCount, WG: wg, WHOLE_COLUMNS: s.wholeColumns ? 1 : 0,
    },
  });
  const prompts = s.replicas * s.prompts;
  const elements = prompts * (s.N + 1) * s.d;
  const threads = s.wholeColumns ? elements / s.d : elements;
  const grid: [number, number] = [strideGroups(threads / s.replicas, wg), s.replicas];
  const minBytes = {
    columns: 16 * prompts * (s.N + 1),
    relPatterns: 4 * s.replicas * s.relCount * s.dX,
    irrPatterns: 4 * s.replicas * s.irrCount * s.dX,
    ...outputs(prompts, elements),
  };
  return (buffers: Record<string, BufferBinding>, label: string): Dispatch =>
    kernel.dispatch({ ...buffers }, grid, {
      label,
      minBytes,
      flops: 2 * prompts * (s.N + 1) * s.dX,
      bytes: 4 * elements * 3 + 16 * prompts * (s.N + 1),
    });
}

export async function iclPromptBuild(kernels: KernelLibrary, s: IclPromptBuildShape) {
  const op = await promptBuildOp(kernels, s, 'main', (prompts) => ({
    contexts: 4 * prompts * s.N * s.d,
    queries: 4 * prompts * s.d,
    labels: 4 * prompts,
  }));
  return (buffers: IclPromptBuildBuffers, label = 'iclPromptBuild'): Dispatch => op({ ...buffers }, label);
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

/** Entry 'sequences': whole prompts as positions × features [R][prompts][N + 1][d], and the labels. */
export async function iclPromptBuildSequences(kernels: KernelLibrary, s: IclPromptBuildShape) {
  const op = await promptBuildOp(kernels, s, 'sequences', (prompts, elements) => ({
    prompts: 4 * elements,
    labels: 4 * prompts,
  }));
  return (buffers: IclPromptSequencesBuffers, label = 'iclPromptBuild sequences'): Dispatch => op({ ...buffers }, label);
}

/** iclPromptBuildSequences with the variant the adapter's tuner picks for this shape (the same variants as 'main'). */
export async function tunedIclPromptBuildSequences(ctx: GpuContext, s: IclPromptBuildShape) {
  const scratch = new TuningScratch(ctx.pool);
  const prompts = s.replicas * s.prompts;
  const variant = await ctx.tuner.pick(ctx.device, 'iclPromptBuildSequences', { ...s, wholeColumns: undefined, wg: undefined }, iclPromptBuildVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await iclPromptBuildSequences(ctx.kernels, { ...s, ...v });
    return [op({
      columns: scratch.get('columns', 16 * prompts * (s.N + 1)),
      relPatterns: scratch.get('rel', 4 * s.replicas * s.relCount * s.dX),
      irrPatterns: scratch.get('irr', 4 * s.replicas * s.irrCount * s.dX),
      prompts: scratch.get('prompts', 4 * prompts * (s.N + 1) * s.d),
      labels: scratch.get('labels', 4 * prompts),
    })];
  }, scratch);
  return iclPromptBuildSequences(ctx.kernels, { ...s, ...variant });
}
