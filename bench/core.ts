// The bench itself, environment-agnostic: given a GpuContext and the entry modules (found by
// bench/browserEntries.ts in a page or worker, by bench/run.ts in Node), it measures the adapter's own limits,
// then times every entry and expresses it as a fraction of those limits. Medians over `repeats` after `warmup`
// untimed runs. The CLI, the harness page and the bench page's worker all run this.
import type { GpuContext } from '../src/runtime/context';
import { assertNoDeviceErrors } from '../src/runtime/context';
import type { Dispatch } from '../src/runtime/kernels';
import { STORAGE } from '../src/runtime/buffers';
import { timeDispatches, timeWallClock } from '../src/runtime/timing';
import { Tuner, withTuner } from '../src/runtime/tuner';
import { defaultEntryFiles, validateOptions } from './options';
import { formatMs, formatThroughput } from './format';
import { BENCH_SCHEMA, BENCH_VERSION } from './report/schema';
import type { AdapterLimits, BenchControl, BenchEntry, BenchEntryModule, BenchOptions, BenchResult, EntryResult } from './types';

/** An entry's result in a progress line: '4.77 ms of GPU, 50 200 prompts/s (…)'. */
function resultText(e: EntryResult): string {
  const gpu = e.ms === undefined ? [] : [`${formatMs(e.ms)} ms of GPU`];
  return [...gpu, ...(e.hostWork ? [formatThroughput(e.hostWork)] : [])].join(', ') || 'timed';
}

export type EntryLoaders = Record<string, () => Promise<unknown>>; // file name (no .ts) -> module loader

/** Runs `measure(size)` for growing sizes until one takes at least `targetMs` (or `maxSize` is reached). */
async function calibrate(
  startSize: number,
  maxSize: number,
  targetMs: number,
  measure: (size: number) => Promise<number>,
): Promise<{ size: number; ms: number }> {
  let size = startSize;
  for (;;) {
    const ms = await measure(size);
    if (ms >= targetMs || size >= maxSize) return { size, ms };
    size = Math.min(maxSize, size * Math.max(2, Math.min(16, Math.ceil(targetMs / Math.max(ms, 1e-3)))));
  }
}

export async function measureLimits(ctx: GpuContext, options: BenchOptions): Promise<AdapterLimits> {
  const { device, kernels } = ctx;
  const timing = { repeats: options.repeats, warmup: options.warmup };
  // Long enough that launch overhead and timer resolution vanish; short enough for SwiftShader.
  const targetMs = options.quick ? 2 : 60;

  const iterations = options.quick ? 64 : 1024;
  const fmaKernel = await kernels.kernel('benchFma', { constants: { ITERATIONS: iterations } });
  const wg = fmaKernel.workgroupSize[0];
  const maxGroups = device.limits.maxComputeWorkgroupsPerDimension;
  const fmaOut = device.createBuffer({ label: 'benchFma out', size: 16 * wg * maxGroups, usage: STORAGE });
  const flopsPerGroup = wg * iterations * 8 * 4 * 2;
  const fma = await calibrate(options.quick ? 4 : 64, maxGroups, targetMs, async (groups) => {
    const d = fmaKernel.dispatch({ out: fmaOut }, [groups], { label: 'benchFma', flops: groups * flopsPerGroup, bytes: 16 * wg * groups });
    return (await timeDispatches(device, [d], timing)).totalMs;
  });
  fmaOut.destroy();

  const maxBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize, 256 * 2 ** 20);
  // Created and destroyed per size (not pooled): the probe's buffers are the largest the bench touches.
  const copyBuffers = (vecs: number) =>
    ['src', 'dst'].map((name) => device.createBuffer({ label: `benchCopy ${name}`, size: 16 * vecs, usage: STORAGE }));
  const timeCopy = async (vecs: number, maxGroups: number) => {
    const kernel = await kernels.kernel('benchCopy', { constants: { VECS: vecs } });
    const groups = Math.min(Math.ceil(vecs / kernel.workgroupSize[0]), maxGroups);
    const [src, dst] = copyBuffers(vecs);
    const d = kernel.dispatch({ src, dst }, [groups], { label: 'benchCopy', minBytes: { src: 16 * vecs, dst: 16 * vecs } });
    const ms = (await timeDispatches(device, [d], timing)).totalMs;
    src.destroy();
    dst.destroy();
    return ms;
  };
  const copy = await calibrate(options.quick ? 2 ** 14 : 2 ** 18, Math.floor(maxBytes / 16), targetMs, (vecs) => timeCopy(vecs, 4096));
  // GPUs want many threads in flight; CPU adapters pay per workgroup and want each thread to loop longer.
  for (const groups of [16, 256]) copy.ms = Math.min(copy.ms, await timeCopy(copy.size, groups));
  const copyBytes = 16 * copy.size;
  const [src, dst] = copyBuffers(copy.size);
  const bufferCopy = await timeWallClock(
    device,
    () => {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(src, 0, dst, 0, copyBytes);
      device.queue.submit([encoder.finish()]);
    },
    timing,
  );
  src.destroy();
  dst.destroy();
  assertNoDeviceErrors(ctx);
  const copyKernelGBps = (2 * copyBytes) / (copy.ms * 1e6);
  const copyBufferGBps = (2 * copyBytes) / (bufferCopy.ms * 1e6);
  return {
    fmaGflops: (fma.size * flopsPerGroup) / (fma.ms * 1e6),
    fmaShape: `${fma.size} workgroups x ${wg} threads x ${iterations} iterations x 32 FMA`,
    copyKernelGBps,
    copyBufferGBps,
    copyGBps: Math.max(copyKernelGBps, copyBufferGBps),
    copyBytes,
  };
}

/** Times one entry's dispatches; kernels shorter than ~0.2 ms are repeated inside the timed pass. */
async function timeEntry(ctx: GpuContext, dispatches: Dispatch[], options: BenchOptions) {
  const timing = { repeats: options.repeats, warmup: options.warmup };
  let inner = 1;
  let result = await timeDispatches(ctx.device, dispatches, timing);
  if (result.totalMs < 0.2) {
    inner = Math.min(100, Math.ceil(0.2 / Math.max(result.totalMs, 1e-3)));
    result = await timeDispatches(ctx.device, dispatches, { ...timing, inner });
  }
  return { result, inner };
}

async function runEntry(ctx: GpuContext, file: string, entry: BenchEntry, limits: AdapterLimits, options: BenchOptions): Promise<EntryResult> {
  const out: EntryResult = { file: `bench/entries/${file}.ts`, name: entry.name, shape: entry.shape };
  if (entry.dispatches.length > 0) {
    const { result, inner } = await timeEntry(ctx, entry.dispatches, options);
    const flops = entry.dispatches.reduce((s, d) => s + d.flops, 0);
    const bytes = entry.dispatches.reduce((s, d) => s + d.bytes, 0);
    const ms = result.totalMs;
    const gflops = flops / (ms * 1e6);
    const gbps = bytes / (ms * 1e6);
    Object.assign(out, {
      ms, inner, flops, bytes, gflops, gbps,
      fmaFraction: gflops / limits.fmaGflops,
      copyFraction: gbps / limits.copyGBps,
      dispatches: entry.dispatches.map((d, i) => ({ label: d.label, ms: result.kernels[i].ms, flops: d.flops, bytes: d.bytes })),
    });
  }
  if (entry.hostWork) {
    const work = entry.hostWork;
    const timed = await timeWallClock(ctx.device, () => work.run(), { repeats: options.repeats, warmup: options.warmup });
    out.hostWork = { unit: work.unit, ms: timed.ms, perSecond: work.amount / (timed.ms / 1000) };
    if (work.steps && out.ms !== undefined) {
      const wallPerStepMs = timed.ms / work.steps;
      Object.assign(out.hostWork, { wallPerStepMs, gpuShare: out.ms / wallPerStepMs });
    }
  }
  assertNoDeviceErrors(ctx);
  return out;
}

function isEntryModule(m: unknown): m is BenchEntryModule {
  return typeof (m as Partial<BenchEntryModule> | null)?.benchEntries === 'function';
}

/** A run that failed part-way; `partial` holds what finished before, marked incomplete (the page shows it). */
export class BenchRunError extends Error {
  constructor(cause: unknown, readonly partial: BenchResult) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = 'BenchRunError';
  }
}

async function loadEntries(loaders: EntryLoaders, file: string, ctx: GpuContext, options: BenchOptions, filter: RegExp | null): Promise<BenchEntry[]> {
  const mod = await loaders[file]();
  if (!isEntryModule(mod)) throw new Error(`bench/entries/${file}.ts must export benchEntries(ctx, options): Promise<BenchEntry[]>`);
  const wants = (name: string) => !filter || filter.test(name);
  const entries = (await mod.benchEntries(ctx, { quick: options.quick, wants })).filter((entry) => wants(entry.name));
  for (const entry of entries) {
    if (entry.dispatches.length === 0 && !entry.hostWork) {
      throw new Error(`bench/entries/${file}.ts: entry '${entry.name}' has neither dispatches nor hostWork`);
    }
  }
  return entries;
}

/**
 * Measures the adapter's limits, then times the entries of every file in `loaders` but the peers' (or of
 * options.files) in name order. `log` gets a line before each stage; `control` gets progress after each and can
 * stop the run between entries. A failure throws a BenchRunError that carries what finished.
 */
export async function runBenchWith(
  ctx: GpuContext,
  loaders: EntryLoaders,
  partialOptions: Partial<BenchOptions>,
  log: (line: string) => void = () => {},
  control: BenchControl = {},
): Promise<BenchResult> {
  const options = validateOptions(partialOptions);
  const filter = options.filter === undefined ? null : new RegExp(options.filter, 'i');
  const unknown = (options.files ?? []).filter((f) => !(f in loaders));
  if (unknown.length > 0) {
    throw new RangeError(`bench: files = ${unknown.join(', ')}: no such bench/entries file; allowed: ${Object.keys(loaders).sort().join(', ')}`);
  }
  const files = [...(options.files ?? defaultEntryFiles(Object.keys(loaders)))].sort();
  const t0 = performance.now();
  const timing: BenchResult['timing'] = ctx.device.features.has('timestamp-query') ? 'timestamp-query' : 'wall-clock';

  log('measuring adapter limits (FMA rate, copy bandwidth)');
  const limits = await measureLimits(ctx, options);
  const limitsLine = `FMA ${limits.fmaGflops.toFixed(2)} GFLOP/s, copy ${limits.copyGBps.toFixed(2)} GB/s`;
  log(limitsLine);
  const parts = files.length + 1;
  const entries: EntryResult[] = [];
  // --tune: the entries' call sites time their variants as they are built (a fresh tuner: no cache in or out).
  const tuner = options.tune ? new Tuner('tune') : null;
  const result = (incomplete?: string): BenchResult => ({
    schema: BENCH_SCHEMA,
    version: BENCH_VERSION,
    ...(incomplete === undefined ? {} : { incomplete }),
    date: new Date().toISOString(),
    adapter: ctx.adapter,
    timing,
    options,
    limits,
    entries,
    seconds: (performance.now() - t0) / 1000,
    ...(tuner && { tuning: tuner.used }),
  });
  const unfinished = (): BenchResult => ({
    ...result(`unfinished: ${entries.length} entries timed when this was written; the run did not reach its end`),
    entries: [...entries],
  });
  control.progress?.({ fraction: 1 / parts, line: limitsLine, limits, partial: unfinished() });
  const notStarted = (f: number) => (f < files.length ? `; not started: ${files.slice(f).map((name) => `bench/entries/${name}.ts`).join(', ')}` : '');
  let current = '';
  try {
    for (let f = 0; f < files.length; f++) {
      const path = `bench/entries/${files[f]}.ts`;
      if (control.stopRequested?.()) return result(`stopped after ${entries.length} entries${notStarted(f)}`);
      current = `building the entries of ${path}`;
      const build = () => loadEntries(loaders, files[f], ctx, options, filter);
      const fileEntries = tuner ? await withTuner(ctx, tuner, build) : await build();
      for (let i = 0; i < fileEntries.length; i++) {
        const entry = fileEntries[i];
        if (control.stopRequested?.()) {
          return result(`stopped after ${entries.length} entries, before '${entry.name}' of ${path}${notStarted(f + 1)}`);
        }
        const line = `${entry.name} (${entry.shape})`;
        log(line);
        current = `timing '${entry.name}' of ${path}`;
        const timed = await runEntry(ctx, files[f], entry, limits, options);
        entries.push(timed);
        control.progress?.({ fraction: (1 + f + (i + 1) / fileEntries.length) / parts, line, entry: timed, partial: unfinished() });
        // After the snapshot: a reader who sees this line finds the entry in the partial file.
        log(`${entry.name}: ${resultText(timed)}`);
      }
      control.progress?.({ fraction: (f + 2) / parts, line: `${path} done` });
    }
  } catch (e) {
    throw new BenchRunError(e, result(`failed while ${current}: ${(e as Error)?.message ?? String(e)}`));
  }
  return result();
}
