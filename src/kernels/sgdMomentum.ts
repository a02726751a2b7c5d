// Host wrapper for shaders/sgdMomentum.wgsl. Reference: src/reference/sgdMomentum.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface SgdMomentumShape {
  replicas: number;
  size: number;
}

export interface SgdMomentumBuffers {
  param: GPUBuffer;
  grad: GPUBuffer;
  /** Momentum buffer, zero before the first step. */
  velocity: GPUBuffer;
  /** f32 per replica. */
  lr: GPUBuffer;
  /** f32 per replica. */
  momentum: GPUBuffer;
}

export async function sgdMomentum(kernels: KernelLibrary, shape: SgdMomentumShape) {
  assertPositiveInt('sgdMomentum', 'replicas', shape.replicas);
  assertPositiveInt('sgdMomentum', 'size', shape.size);
  const kernel = await kernels.kernel('sgdMomentum', { constants: { SIZE: shape.size } });
  const n = shape.replicas * shape.size;
  return (buffers: SgdMomentumBuffers, label = 'sgdMomentum'): Dispatch =>
    kernel.dispatch({ ...buffers }, [strideGroups(shape.size, kernel.workgroupSize[0]), shape.replicas], {
      label,
      minBytes: { param: 4 * n, grad: 4 * n, velocity: 4 * n, lr: 4 * shape.replicas, momentum: 4 * shape.replicas },
      flops: 4 * n,
      bytes: 20 * n,
    });
}
