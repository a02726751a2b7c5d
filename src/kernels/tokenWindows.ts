// Host wrapper for shaders/tokenWindows.wgsl: a step's language-model windows [R][batch][T + 1] cut on the GPU
// from a token stream uploaded once. Reference: src/reference/tokenWindows.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface TokenWindowsShape {
  replicas: number;
  batch: number;
  /** Positions; a window holds T + 1 tokens. */
  T: number;
  /** Tokens in the stream. */
  stream: number;
  /** 'sequential': the PyTorch tutorial's batch columns and bptt windows (every replica the same data); 'random': counter-hash offsets per (seed, replica, step, b). */
  order: 'sequential' | 'random';
}

export interface TokenWindowsBuffers {
  stream: BufferBinding;
  /** u32 [1]: the step the windows are for. */
  step: BufferBinding;
  /** u32 [R]: seed of each replica (read by 'random' only, bound either way). */
  seeds: BufferBinding;
  /** u32 [R][batch][T + 1]. */
  tokens: BufferBinding;
}

/** The tutorial's layout of a stream: tokens per column and whole T-windows per epoch (a window needs T + 1 tokens). */
export function sequentialLayout(s: Pick<TokenWindowsShape, 'batch' | 'T' | 'stream'>): { column: number; windows: number } {
  const column = Math.floor(s.stream / s.batch);
  return { column, windows: Math.floor((column - 1) / s.T) };
}

export async function tokenWindows(kernels: KernelLibrary, s: TokenWindowsShape) {
  for (const k of ['replicas', 'batch', 'T', 'stream'] as const) assertPositiveInt('tokenWindows', k, s[k]);
  const sequential = s.order === 'sequential';
  const { column, windows } = sequentialLayout(s);
  if (sequential && windows < 1) {
    throw new RangeError(`tokenWindows: a stream of ${s.stream} tokens in ${s.batch} columns has ${column} per column; a window of T + 1 = ${s.T + 1} does not fit (use a smaller batch or T)`);
  }
  if (!sequential && s.stream <= s.T) throw new RangeError(`tokenWindows: stream = ${s.stream} tokens; a window of T + 1 = ${s.T + 1} does not fit`);
  const kernel = await kernels.kernel('tokenWindows', {
    constants: { T: s.T, BATCH: s.batch, STREAM: s.stream, SEQUENTIAL: sequential ? 1 : 0, COLUMN: column, WINDOWS: Math.max(1, windows) },
  });
  const perReplica = s.batch * (s.T + 1);
  return (buffers: TokenWindowsBuffers, label = 'tokenWindows'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(perReplica, kernel.workgroupSize[0]), s.replicas], {
      label,
      minBytes: { stream: 4 * s.stream, step: 4, seeds: 4 * s.replicas, tokens: 4 * s.replicas * perReplica },
      flops: 0,
      bytes: 8 * s.replicas * perReplica,
    });
}
