// Host wrapper for shaders/gradNorm.wgsl: per-replica global L2 norm of a slab [R][P] (block sums, then a
// fixed-order sum per replica) and torch.nn.utils.clip_grad_norm_'s scale. Reference: src/reference/gradNorm.ts.
import type { BufferBinding, KernelLibrary, Dispatch } from '../runtime/kernels';
import type { BufferPool } from '../runtime/buffers';
import { assertPositiveInt } from './grid';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';

export interface GradNormShape {
  replicas: number;
  /** Floats per replica that enter the norm (a whole slab: P). */
  size: number;
  /** Floats between consecutive replicas (default size; P for a leading part of a slab). */
  stride?: number;
  /** Elements per block sum (default 4096; raised when a replica would need more than 65535 blocks). */
  block?: number;
  /** Threads per workgroup, a power of two up to 256 (default 256). */
  wg?: number;
}

export interface GradNormBuffers {
  /** [R][stride] */
  x: BufferBinding;
  /** f32 [R] */
  norm: BufferBinding;
}

export interface GradClipBuffers extends GradNormBuffers {
  /** f32 [R]: max_norm per replica, 0 = no clipping. */
  clip: BufferBinding;
  /** f32 [R]: min(1, clip / (norm + 1e-6)), or 1 where clip is 0. */
  scale: BufferBinding;
}

export interface GradNormContext {
  kernels: KernelLibrary;
  pool: BufferPool;
}

const MAX_GRID = 65535;

/** Elements per block: the requested (or default) size, grown to keep a replica's blocks within the grid. */
export function gradNormBlock(s: GradNormShape): number {
  const wanted = s.block ?? 4096;
  return Math.max(wanted, Math.ceil(s.size / MAX_GRID));
}

/**
 * Two dispatches per call: block sums of squares into a pooled scratch [R][blocks], then one workgroup per
 * replica adds them and writes the norm (`norm`) or the norm and the clip scale (`clipScale`). Dispatches from one
 * instance share the scratch (they run in order); `release()` returns it to the pool.
 */
export async function gradNorm(ctx: GradNormContext, s: GradNormShape) {
  assertPositiveInt('gradNorm', 'replicas', s.replicas);
  assertPositiveInt('gradNorm', 'size', s.size);
  if (s.replicas > MAX_GRID) throw new RangeError(`gradNorm: replicas = ${s.replicas}; allowed at most ${MAX_GRID} (the grid's y limit)`);
  const stride = s.stride ?? s.size;
  if (!Number.isInteger(stride) || stride < s.size) throw new RangeError(`gradNorm: stride = ${stride}; it must be an integer >= size (${s.size})`);
  if (s.block !== undefined) assertPositiveInt('gradNorm', 'block', s.block);
  const wg = s.wg ?? 256;
  if (!Number.isInteger(Math.log2(wg)) || wg > 256) throw new RangeError(`gradNorm: wg = ${wg}; it must be a power of two, at most 256`);
  const block = gradNormBlock(s);
  const blocks = Math.ceil(s.size / block);
  const constants = { SIZE: s.size, STRIDE: stride, BLOCK: block, BLOCKS: blocks, WG: wg };
  const [partials, finishNorm, finishClip] = await Promise.all(
    ['partials', 'finishNorm', 'finishClip'].map((entryPoint) => ctx.kernels.kernel('gradNorm', { entryPoint, constants })),
  );
  const blockSums = ctx.pool.acquire(4 * s.replicas * blocks, 'gradNorm block sums');
  const n = s.replicas * s.size;
  const partialsDispatch = (x: BufferBinding, label: string): Dispatch =>
    partials.dispatch({ x, blockSums }, [blocks, s.replicas], {
      label: `${label} partials`,
      minBytes: { x: 4 * ((s.replicas - 1) * stride + s.size), blockSums: 4 * s.replicas * blocks },
      flops: 2 * n,
      bytes: 4 * (n + s.replicas * blocks),
    });
  const finishCounts = (label: string) => ({
    label: `${label} finish`,
    flops: s.replicas * (blocks + 1),
    bytes: 4 * s.replicas * (blocks + 3),
  });
  return {
    block,
    blocks,
    blockSums,
    norm: (buffers: GradNormBuffers, label = 'gradNorm'): Dispatch[] => [
      partialsDispatch(buffers.x, label),
      finishNorm.dispatch({ blockSums, norm: buffers.norm }, [s.replicas], {
        ...finishCounts(label),
        minBytes: { blockSums: 4 * s.replicas * blocks, norm: 4 * s.replicas },
      }),
    ],
    clipScale: (buffers: GradClipBuffers, label = 'gradNorm'): Dispatch[] => [
      partialsDispatch(buffers.x, label),
      finishClip.dispatch({ blockSums, norm: buffers.norm, clip: buffers.clip, scale: buffers.scale }, [s.replicas], {
        ...finishCounts(label),
        minBytes: { blockSums: 4 * s.replicas * blocks, norm: 4 * s.replicas, clip: 4 * s.replicas, scale: 4 * s.replicas },
      }),
    ],
    release: () => ctx.pool.release(blockSums),
  };
}

/**
 * Workgroup sizes, the adapter class's default first: 256 threads a block (GPUs) or 16 (CPU adapters: 14-17x
 * faster on SwiftShader, where every barrier of the tree costs).
 */
export function gradNormVariants(software: boolean): Variant[] {
  return software ? [{ wg: 16 }, { wg: 256 }] : [{ wg: 256 }, { wg: 16 }];
}

/** gradNorm with the workgroup size the adapter's tuner picks. */
export async function tunedGradNorm(ctx: GpuContext, s: GradNormShape) {
  const scratch = new TuningScratch(ctx.pool);
  const x = 4 * ((s.replicas - 1) * (s.stride ?? s.size) + s.size);
  const timed: (() => void)[] = []; // the timed ops' own block sums, returned once timing is over
  const variant = await ctx.tuner.pick(ctx.device, 'gradNorm', s, gradNormVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await gradNorm(ctx, { ...s, ...v });
    timed.push(op.release);
    const r = 4 * s.replicas;
    return op.clipScale({ x: scratch.get('x', x), norm: scratch.get('norm', r), clip: scratch.get('clip', r), scale: scratch.get('scale', r) });
  }, scratch);
  for (const release of timed) release();
  return gradNorm(ctx, { ...s, ...variant });
}
