// Host wrapper for shaders/sgdMomentum.wgsl. Reference: src/reference/sgdMomentum.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { assertPositiveInt, strideGroups } from './grid';

export interface SgdMomentumShape {
  replicas: number;
  size: number;
  /** Four consecutive elements per thread (size a multiple of 4); the same bits as one. */
  fourPerThread?: boolean;
  /** Workgroups per replica at most (default: enough for one element, or four, per thread). */
  maxGroups?: number;
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
  if (shape.fourPerThread && shape.size % 4 !== 0) throw new RangeError(`sgdMomentum: fourPerThread needs size a multiple of 4; size = ${shape.size}`);
  if (shape.maxGroups !== undefined) assertPositiveInt('sgdMomentum', 'maxGroups', shape.maxGroups);
  const kernel = await kernels.kernel('sgdMomentum', { constants: { SIZE: shape.size, FOUR_PER_THREAD: shape.fourPerThread ? 1 : 0 } });
  const n = shape.replicas * shape.size;
  const groups = strideGroups(shape.fourPerThread ? shape.size / 4 : shape.size, kernel.workgroupSize[0], shape.maxGroups);
  return (buffers: SgdMomentumBuffers, label = 'sgdMomentum'): Dispatch =>
    kernel.dispatch({ ...buffers }, [groups, shape.replicas], {
      label,
      minBytes: { param: 4 * n, grad: 4 * n, velocity: 4 * n, lr: 4 * shape.replicas, momentum: 4 * shape.replicas },
      flops: 4 * n,
      bytes: 20 * n,
    });
}

/**
 * The adapter class's default first: a thread per element over the whole grid (GPUs), or four elements per thread
 * in about 64 workgroups in all (CPU adapters, which pay per workgroup and per loop step: on SwiftShader Scan &
 * Snap's Y update, 16 x 240 x 240, took 4.6 ms so, 15.6 ms a thread per element). Every variant gives the same bits.
 */
export function sgdMomentumVariants(s: SgdMomentumShape, software: boolean): Variant[] {
  const wide: Variant = {};
  if (s.size % 4 !== 0) return [wide];
  const few = { fourPerThread: true, maxGroups: Math.max(1, Math.ceil(64 / s.replicas)) };
  return software ? [few, wide] : [wide, few];
}

/**
 * sgdMomentum with the variant the adapter's tuner picks, timed on scratch copies (the call site's parameters and
 * state must not move while tuning).
 */
export async function tunedSgdMomentum(ctx: GpuContext, s: SgdMomentumShape) {
  const scratch = new TuningScratch(ctx.pool);
  const n = 4 * s.replicas * s.size;
  const variant = await ctx.tuner.pick(ctx.device, 'sgdMomentum', { ...s, fourPerThread: undefined, maxGroups: undefined }, sgdMomentumVariants(s, ctx.adapter.isSoftware), async (v) => {
    const op = await sgdMomentum(ctx.kernels, { ...s, ...v });
    const perReplica = scratch.get('rates', 4 * s.replicas);
    return [op({ param: scratch.get('param', n), grad: scratch.get('grad', n), velocity: scratch.get('velocity', n), lr: perReplica, momentum: perReplica })];
  }, scratch);
  return sgdMomentum(ctx.kernels, { ...s, ...variant });
}
