// Host wrapper for shaders/counterHash.wgsl: the counter hash of shaders/lib/counterHash.wgsl run alone (draws of
// given keys, dropout keys of given tuples), for its test against src/reference/counterHash.ts and its bench row.
// Models never call it: their kernels include the hash.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface CounterHashShape {
  /** Keys (draws) or (seed, step, layer, site) tuples (dropoutKeys). */
  count: number;
  /** Draws per key (draws only; default 1). */
  slots?: number;
  /** Threads per workgroup (default 256). */
  wg?: number;
  /** Workgroups at most (default: a thread per key); threads stride over the rest. */
  maxGroups?: number;
}

export async function counterHash(kernels: KernelLibrary, s: CounterHashShape) {
  assertPositiveInt('counterHash', 'count', s.count);
  const slots = s.slots ?? 1;
  assertPositiveInt('counterHash', 'slots', slots);
  const wg = s.wg ?? 256;
  if (!Number.isInteger(wg) || wg < 1 || wg > 256) throw new RangeError(`counterHash: wg = ${wg}; allowed 1..256`);
  if (s.maxGroups !== undefined) assertPositiveInt('counterHash', 'maxGroups', s.maxGroups);
  const outputs = s.count * slots;
  if (outputs > 0xffffffff) throw new RangeError(`counterHash: count × slots = ${outputs}; allowed at most 2^32 − 1 (u32 indices)`);
  const constants = { COUNT: s.count, SLOTS: slots, WG: wg };
  const [drawsKernel, keysKernel] = await Promise.all([
    kernels.kernel('counterHash', { entryPoint: 'draws', constants }),
    kernels.kernel('counterHash', { entryPoint: 'dropoutKeys', constants }),
  ]);
  return {
    /** out[k · slots + s] = draw(keys[k], s): one mix32 (two multiplies) and one multiply-add per draw. */
    draws: (buffers: { keys: BufferBinding; out: BufferBinding }, label = 'counterHash draws'): Dispatch =>
      drawsKernel.dispatch({ ...buffers }, [strideGroups(s.count, wg, s.maxGroups), 1], {
        label, minBytes: { keys: 4 * s.count, out: 4 * outputs }, flops: 3 * outputs, bytes: 4 * (s.count + outputs),
      }),
    /** out[k] = dropoutKey(seed, step, layer, site) of tuples[k]: four mix32 per key. */
    dropoutKeys: (buffers: { tuples: BufferBinding; out: BufferBinding }, label = 'counterHash dropoutKeys'): Dispatch =>
      keysKernel.dispatch({ ...buffers }, [strideGroups(s.count, wg, s.maxGroups), 1], {
        label, minBytes: { tuples: 16 * s.count, out: 4 * s.count }, flops: 8 * s.count, bytes: 20 * s.count,
      }),
  };
}
