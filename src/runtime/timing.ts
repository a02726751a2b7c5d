// GPU timing. With `timestamp-query`, each dispatch runs in its own compute pass with begin/end timestamps,
// giving per-kernel GPU times. Without it, we fall back to wall-clock time of whole submissions
// (submit + onSubmittedWorkDone), which includes queue overhead and is reported as such.
import type { Dispatch } from './kernels';

export interface KernelTiming {
  label: string;
  /** Median GPU time per dispatch, milliseconds. */
  ms: number;
  samples: number[];
}

export interface TimingResult {
  method: 'timestamp-query' | 'wall-clock';
  kernels: KernelTiming[];
  /** Median time of the whole list, milliseconds. */
  totalMs: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function encodeDispatch(pass: GPUComputePassEncoder, d: Dispatch): void {
  pass.setPipeline(d.pipeline);
  d.bindGroups.forEach((g, i) => pass.setBindGroup(i, g));
  pass.dispatchWorkgroups(...d.workgroups);
}

/**
 * Times each dispatch of `dispatches` over `repeats` runs after `warmup` untimed runs. `inner` repeats each
 * dispatch inside its timed pass (for kernels shorter than the timestamp resolution); times are per dispatch.
 */
export async function timeDispatches(
  device: GPUDevice,
  dispatches: Dispatch[],
  { repeats = 7, warmup = 2, inner = 1, forceWallClock = false } = {},
): Promise<TimingResult> {
  const useTimestamps = device.features.has('timestamp-query') && !forceWallClock;
  const samples: number[][] = dispatches.map(() => []);
  const totals: number[] = [];

  if (useTimestamps) {
    const count = dispatches.length * 2;
    const querySet = device.createQuerySet({ type: 'timestamp', count });
    const resolve = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    for (let r = 0; r < warmup + repeats; r++) {
      const encoder = device.createCommandEncoder();
      dispatches.forEach((d, i) => {
        const pass = encoder.beginComputePass({
          label: d.label,
          timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
        });
        for (let k = 0; k < inner; k++) encodeDispatch(pass, d);
        pass.end();
      });
      encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, count * 8);
      device.queue.submit([encoder.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const ticks = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      if (r < warmup) continue;
      let total = 0;
      dispatches.forEach((_, i) => {
        const ms = Number(ticks[2 * i + 1] - ticks[2 * i]) / 1e6 / inner;
        samples[i].push(ms);
        total += ms;
      });
      totals.push(total);
    }
    querySet.destroy();
    resolve.destroy();
    read.destroy();
  } else {
    for (let r = 0; r < warmup + repeats; r++) {
      let total = 0;
      for (let i = 0; i < dispatches.length; i++) {
        const t0 = performance.now();
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        for (let k = 0; k < inner; k++) encodeDispatch(pass, dispatches[i]);
        pass.end();
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
        const ms = (performance.now() - t0) / inner;
        if (r >= warmup) samples[i].push(ms);
        total += ms;
      }
      if (r >= warmup) totals.push(total);
    }
  }
  return {
    method: useTimestamps ? 'timestamp-query' : 'wall-clock',
    kernels: dispatches.map((d, i) => ({ label: d.label, ms: median(samples[i]), samples: samples[i] })),
    totalMs: median(totals),
  };
}

/** Wall-clock time of a host callback that submits GPU work, waiting for the queue after each call. */
export async function timeWallClock(
  device: GPUDevice,
  fn: () => void | Promise<void>,
  { repeats = 7, warmup = 2 } = {},
): Promise<{ ms: number; samples: number[] }> {
  const samples: number[] = [];
  for (let r = 0; r < warmup + repeats; r++) {
    const t0 = performance.now();
    await fn();
    await device.queue.onSubmittedWorkDone();
    if (r >= warmup) samples.push(performance.now() - t0);
  }
  return { ms: median(samples), samples };
}
