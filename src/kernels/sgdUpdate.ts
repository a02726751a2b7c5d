// Host wrapper for shaders/sgdUpdate.wgsl. Reference: src/reference/sgdUpdate.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface SgdUpdateShape {
  replicas: number;
  /** Elements of the tensor per replica. */
  size: number;
}

export interface SgdUpdateBuffers {
  param: GPUBuffer;
  grad: GPUBuffer;
  /** f32 per replica. */
  lr: GPUBuffer;
}

export async function sgdUpdate(kernels: KernelLibrary, shape: SgdUpdateShape) {
  assertPositiveInt('sgdUpdate', 'replicas', shape.replicas);
  assertPositiveInt('sgdUpdate', 'size', shape.size);
  const kernel = await kernels.kernel('sgdUpdate', { constants: { SIZE: shape.size } });
  const n = shape.replicas * shape.size;
  return (buffers: SgdUpdateBuffers, label = 'sgdUpdate'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(shape.size, kernel.workgroupSize[0]), shape.replicas], {
      label,
      minBytes: { param: 4 * n, grad: 4 * n, lr: 4 * shape.replicas },
      flops: 2 * n,
      bytes: 12 * n,
    });
}
