// Helpers for bench entries: inputs filled with seeded values (timings must not depend on NaN or zero paths).
import type { GpuContext } from '../src/runtime/context';
import { Random } from '../src/util/random';

/** A pooled storage buffer of `count` floats, uniform in [lo, hi), seeded by its label. */
export function randomBuffer(ctx: GpuContext, count: number, label: string, lo = -1, hi = 1): GPUBuffer {
  let seed = count;
  for (let i = 0; i < label.length; i++) seed = Math.imul(seed ^ label.charCodeAt(i), 0x01000193);
  const rng = new Random(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = rng.range(lo, hi);
  return ctx.pool.upload(data, label);
}
