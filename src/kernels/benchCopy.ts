// Host wrapper for shaders/benchCopy.wgsl, the bench's probe of the adapter's copy bandwidth: dst = src in vec4s
// through a grid-stride loop. Reference: src/reference/benchCopy.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface BenchCopyShape {
  /** vec4 elements to copy. */
  vecs: number;
  /**
   * Workgroups launched (default: one thread per vec4, up to 65535 groups). Fewer groups loop longer per thread,
   * which CPU adapters prefer; GPUs want many in flight.
   */
  groups?: number;
  /** Threads per workgroup (default 256). */
  workgroupSize?: number;
}

export async function benchCopy(kernels: KernelLibrary, s: BenchCopyShape) {
  assertPositiveInt('benchCopy', 'vecs', s.vecs);
  if (s.groups !== undefined) assertPositiveInt('benchCopy', 'groups', s.groups);
  if (s.workgroupSize !== undefined) assertPositiveInt('benchCopy', 'workgroupSize', s.workgroupSize);
  const kernel = await kernels.kernel('benchCopy', { constants: { VECS: s.vecs, ...(s.workgroupSize !== undefined && { WG: s.workgroupSize }) } });
  const groups = s.groups ?? strideGroups(s.vecs, kernel.workgroupSize[0]);
  return (buffers: { src: BufferBinding; dst: BufferBinding }, label = 'benchCopy'): Dispatch =>
    kernel.dispatch({ ...buffers }, [groups], {
      label,
      minBytes: { src: 16 * s.vecs, dst: 16 * s.vecs },
      flops: 0,
      // every byte read once and written once
      bytes: 32 * s.vecs,
    });
}
