// The bench's own limit probes at fixed sizes, as rows beside the calibrated limits (bench/core.ts grows them until
// a dispatch takes >= 60 ms): how far a kernel-sized launch of each stays from the peak it measures. benchFma's
// fraction of the FMA peak and benchCopy's of the copy roof read directly as launch and size overheads.
import type { GpuContext } from '../../src/runtime/context';
import { benchFma } from '../../src/kernels/benchFma';
import { benchCopy } from '../../src/kernels/benchCopy';
import { randomBuffer } from '../support';
import type { BenchEntry, BenchEntryOptions } from '../types';

export async function benchEntries(ctx: GpuContext, { quick }: BenchEntryOptions): Promise<BenchEntry[]> {
  const software = ctx.adapter.isSoftware;
  // SwiftShader: about 0.3 GFLOP and 32 MB moved, tens of milliseconds; a GPU: 64k threads and 64 MiB, past the L2.
  const fmaShape = quick ? { iterations: 64, groups: 4 } : { iterations: 1024, groups: software ? 64 : 1024 };
  const vecs = quick ? 2 ** 14 : software ? 2 ** 20 : 2 ** 22;
  const fma = await benchFma(ctx.kernels, fmaShape);
  const out = ctx.pool.acquire(16 * fma.threads, 'benchFma row out');
  const copy = await benchCopy(ctx.kernels, { vecs });
  const src = randomBuffer(ctx, 4 * vecs, 'benchCopy row src');
  const dst = ctx.pool.acquire(16 * vecs, 'benchCopy row dst');
  const mib = (16 * vecs) / 2 ** 20;
  return [
    {
      name: `benchFma ${fmaShape.groups}x64 threads`,
      shape: `${fmaShape.groups} workgroups of 64 threads, ${fmaShape.iterations} iterations of 8 vec4 FMA chains`,
      dispatches: [fma.dispatch({ out }, `benchFma ${fmaShape.groups}x64 threads`)],
    },
    { name: `benchCopy ${mib} MiB`, shape: `${vecs} vec4s, one thread each`, dispatches: [copy({ src, dst }, `benchCopy ${mib} MiB`)] },
  ];
}
