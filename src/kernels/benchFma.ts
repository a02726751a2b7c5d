// Host wrapper for shaders/benchFma.wgsl, the bench's probe of the adapter's peak f32 FMA rate (bench/core.ts
// grows `groups` until one dispatch is long enough to time). Reference: src/reference/benchFma.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt } from './grid';

export interface BenchFmaShape {
  /** FMA steps of each of the thread's 8 vec4 chains. */
  iterations: number;
  groups: number;
  /** Threads per workgroup (default 64). */
  workgroupSize?: number;
}

export async function benchFma(kernels: KernelLibrary, s: BenchFmaShape) {
  assertPositiveInt('benchFma', 'iterations', s.iterations);
  assertPositiveInt('benchFma', 'groups', s.groups);
  if (s.workgroupSize !== undefined) assertPositiveInt('benchFma', 'workgroupSize', s.workgroupSize);
  const kernel = await kernels.kernel('benchFma', { constants: { ITERATIONS: s.iterations, ...(s.workgroupSize !== undefined && { WG: s.workgroupSize }) } });
  const threads = s.groups * kernel.workgroupSize[0];
  return {
    threads,
    /** out: one vec4 per thread. */
    dispatch: (buffers: { out: BufferBinding }, label = 'benchFma'): Dispatch =>
      kernel.dispatch({ ...buffers }, [s.groups], {
        label,
        minBytes: { out: 16 * threads },
        flops: threads * s.iterations * 8 * 4 * 2,
        bytes: 16 * threads,
      }),
  };
}
