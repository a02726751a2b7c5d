// Host wrapper for shaders/dropout.wgsl: inverted dropout with counter-based masks (docs/transformer.md,
// "Randomness"). The backward is the same dispatch applied to dy. Reference: src/reference/dropout.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { dropoutThreshold } from '../util/random';
import { assertPositiveInt, strideGroups } from './grid';

export interface DropoutShape {
  replicas: number;
  /** Elements per replica (the mask's index runs over them row-major). */
  size: number;
  /** Drop probability, 0..1. */
  p: number;
  /** Layer index and site (docs/transformer.md: 0 embedding output, 1 attention probabilities, 2 attention block output, 3 FFN hidden, 4 FFN block output). */
  layer: number;
  site: number;
  /** Threads per workgroup (default 256). */
  wg?: number;
  /** Workgroups per replica at most (default: a thread per element); threads stride over the rest. */
  maxGroups?: number;
}

export interface DropoutBuffers {
  /** [replicas][size] */
  x: BufferBinding;
  /** [replicas][size], a different buffer from x (applyInPlace overwrites x instead). */
  y: BufferBinding;
  /** u32 [replicas]: the seed of each replica (config seed + r). */
  seeds: BufferBinding;
  /** u32 [1]: the model's step counter. */
  step: BufferBinding;
}

/** The 1 / (1 − p) that kept elements are multiplied by (0 when p = 1: everything is dropped). */
export function dropoutKeepScale(p: number): number {
  return p === 1 ? 0 : 1 / (1 - p);
}

function assertU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`dropout: ${name} = ${value}; it must be an integer in 0..2^32 − 1`);
}

export async function dropout(kernels: KernelLibrary, s: DropoutShape) {
  assertPositiveInt('dropout', 'replicas', s.replicas);
  assertPositiveInt('dropout', 'size', s.size);
  if (!(s.p >= 0 && s.p <= 1)) throw new RangeError(`dropout: p = ${s.p}; allowed 0 <= p <= 1`);
  assertU32('layer', s.layer);
  assertU32('site', s.site);
  const wg = s.wg ?? 256;
  if (!Number.isInteger(wg) || wg < 1 || wg > 256) throw new RangeError(`dropout: wg = ${wg}; allowed 1..256`);
  if (s.replicas > 65535) throw new RangeError(`dropout: replicas = ${s.replicas}; allowed at most 65535 (the grid's y limit)`);
  const constants = {
    SIZE: s.size, LAYER: s.layer, SITE: s.site, THRESHOLD24: dropoutThreshold(s.p), KEEP_SCALE: dropoutKeepScale(s.p), WG: wg,
  };
  const [outOfPlace, inPlace, withResidual] = await Promise.all([
    kernels.kernel('dropout', { entryPoint: 'apply', constants }),
    kernels.kernel('dropout', { entryPoint: 'applyInPlace', constants }),
    kernels.kernel('dropout', { entryPoint: 'applyResidual', constants }),
  ]);
  const n = s.replicas * s.size;
  if (s.maxGroups !== undefined) assertPositiveInt('dropout', 'maxGroups', s.maxGroups);
  const groups: [number, number] = [strideGroups(s.size, wg, s.maxGroups), s.replicas];
  const common = { seeds: 4 * s.replicas, step: 4 };
  // Per element: the draw's hash (two multiplies, shifts) and the product; 8 bytes moved.
  const counts = { flops: 2 * n, bytes: 8 * n + 4 * s.replicas };
  return {
    apply: (buffers: DropoutBuffers, label = 'dropout'): Dispatch =>
      outOfPlace.dispatch({ ...buffers }, groups, { label, minBytes: { x: 4 * n, y: 4 * n, ...common }, ...counts }),
    applyInPlace: (buffers: Omit<DropoutBuffers, 'y'>, label = 'dropout in place'): Dispatch =>
      inPlace.dispatch({ xInPlace: buffers.x, seeds: buffers.seeds, step: buffers.step }, groups, { label, minBytes: { xInPlace: 4 * n, ...common }, ...counts }),
    /** y = residual + dropout(x): a block's output joining the residual stream (y differs from x and residual). */
    applyResidual: (buffers: DropoutBuffers & { residual: BufferBinding }, label = 'dropout residual'): Dispatch =>
      withResidual.dispatch({ ...buffers }, groups, {
        label, minBytes: { x: 4 * n, y: 4 * n, residual: 4 * n, ...common }, flops: 3 * n, bytes: 12 * n + 4 * s.replicas,
      }),
  };
}

/**
 * Grid variants, the adapter class's default first: a thread per element (GPUs), or about 64 workgroups in all,
 * each thread striding over many elements (CPU adapters, which pay per workgroup: Scan & Snap's momentum update,
 * the same kind of loop, ran 2-3x faster so on SwiftShader). The mask and values are the same either way.
 */
export function elementwiseGridVariants(replicas: number, software: boolean): Variant[] {
  const wide = { wg: 256 };
  const few = { wg: 64, maxGroups: Math.max(1, Math.ceil(64 / replicas)) };
  return software ? [few, wide] : [wide, few];
}

/** dropout with the grid the adapter's tuner picks for this shape (timed on `apply` in scratch buffers). */
export async function tunedDropout(ctx: GpuContext, s: DropoutShape) {
  const scratch = new TuningScratch(ctx.pool);
  const n = 4 * s.replicas * s.size;
  const variant = await ctx.tuner.pick(ctx.device, 'dropout', { ...s, wg: undefined, maxGroups: undefined }, elementwiseGridVariants(s.replicas, ctx.adapter.isSoftware), async (v) => {
    const op = await dropout(ctx.kernels, { ...s, ...v });
    return [op.apply({ x: scratch.get('x', n), y: scratch.get('y', n), seeds: scratch.get('seeds', 4 * s.replicas), step: scratch.get('step', 4) })];
  }, scratch);
  return dropout(ctx.kernels, { ...s, ...variant });
}
