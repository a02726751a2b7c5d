// The bench runner: quick mode in the page (structure and sanity of every value, no speed thresholds), its
// table and JSON through runBench in Node/Dawn, and option checks. Speed itself is only ever reported by bench/.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGpu } from './gpu';
import { formatTable } from '../bench/format';
import { parseBenchArgs, validateOptions } from '../bench/options';
import { BENCH_SCHEMA, BENCH_VERSION, parseBenchJson } from '../bench/report/schema';
import { compareRuns, labelRuns } from '../bench/report/compare';
import { benchReport } from '../bench/report/markdown';
import type { BenchEntry, BenchEntryOptions, BenchProgress, BenchResult, EntryResult } from '../bench/types';

const positiveFinite = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const FOUNDATION_KERNELS = ['gemm', 'sgdUpdate', 'sgdMomentum', 'softmaxRows', 'reduceRows'];

function expectSane(result: BenchResult, runtime: 'chrome' | 'node') {
  expect(result.schema).toBe(BENCH_SCHEMA);
  expect(result.version).toBe(BENCH_VERSION);
  expect(result.incomplete).toBeUndefined();
  expect(result.adapter.runtime).toBe(runtime);
  expect(`${result.adapter.vendor}${result.adapter.architecture}${result.adapter.description}`.length).toBeGreaterThan(0);
  for (const key of ['fmaGflops', 'copyKernelGBps', 'copyBufferGBps', 'copyGBps', 'copyBytes'] as const) {
    expect(positiveFinite(result.limits[key]), `limits.${key} = ${result.limits[key]}`).toBe(true);
  }
  expect(result.limits.copyGBps).toBe(Math.max(result.limits.copyKernelGBps, result.limits.copyBufferGBps));
  for (const kernel of FOUNDATION_KERNELS) {
    expect(result.entries.some((e) => e.name.startsWith(kernel)), `an entry for ${kernel}`).toBe(true);
  }
  for (const e of result.entries) {
    expect(e.file).toBe('bench/entries/foundation.ts');
    for (const key of ['ms', 'flops', 'bytes', 'gflops', 'gbps', 'fmaFraction', 'copyFraction'] as const) {
      expect(positiveFinite(e[key]), `${e.name}: ${key} = ${e[key]}`).toBe(true);
    }
    expect(e.gflops!).toBeCloseTo(e.flops! / (e.ms! * 1e6), 6);
    expect(e.fmaFraction!).toBeCloseTo(e.gflops! / result.limits.fmaGflops, 9);
    expect(e.copyFraction!).toBeCloseTo(e.gbps! / result.limits.copyGBps, 9);
    for (const d of e.dispatches!) expect(positiveFinite(d.ms), `${e.name}/${d.label}: ms = ${d.ms}`).toBe(true);
  }
}

describe('bench in the page (--quick)', () => {
  const gpu = useGpu();
  it('measures the adapter limits and every foundation kernel, with positive finite values', async () => {
    const result = await gpu().call<BenchResult>('/bench/page.ts', 'runBenchInPage', { quick: true, repeats: 2, warmup: 1, files: ['foundation'] });
    expectSane(result, 'chrome');
    const table = formatTable(result);
    expect(table).toMatch(/^adapter: \S+/);
    expect(table).toContain(result.adapter.architecture);
    for (const e of result.entries) expect(table).toContain(e.name);
  });

  it('keeps only the entries the filter names', async () => {
    const result = await gpu().call<BenchResult>('/bench/page.ts', 'runBenchInPage', { quick: true, repeats: 1, warmup: 0, filter: '^softmax', files: ['foundation'] });
    expect(result.entries.map((e) => e.name)).toEqual(['softmaxRows quick forward', 'softmaxRows quick backward']);
  });
});

describe('bench in Node through Dawn (--runtime node --quick)', () => {
  it('prints the table and writes the JSON it describes', async () => {
    const { runBench } = await import('../bench/run');
    const out = join(mkdtempSync(join(tmpdir(), 'onelayer-bench-')), 'quick.json');
    const printed: string[] = [];
    const { result, path } = await runBench({ runtime: 'node', quick: true, repeats: 2, warmup: 1, files: ['foundation'], out, print: (t) => printed.push(t), progress: () => {} });
    expect(path).toBe(out);
    expectSane(result, 'node');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    expect(parseBenchJson(readFileSync(out, 'utf8'), 'quick.json')).toEqual({ source: 'quick.json', result: JSON.parse(JSON.stringify(result)), notes: [] });
    expect(printed.join('\n')).toContain(`results: ${out}`);
  });
});

describe('bench registry contract (runBenchWith in Node)', () => {
  it('times host-work entries in their own unit and rejects entries with nothing to time', async () => {
    const { createNodeContext } = await import('../src/runtime/env-node');
    const { runBenchWith } = await import('../bench/core');
    const ctx = await createNodeContext();
    const scratch = ctx.pool.acquire(4096, 'host work scratch');
    const hostWork = {
      unit: 'steps',
      amount: 3,
      run: () => {
        for (let step = 0; step < 3; step++) ctx.device.queue.writeBuffer(scratch, 0, new Float32Array(1024).fill(step));
      },
    };
    const withHostWork = { steps: async () => ({ benchEntries: async () => [{ name: 'host steps', shape: '3 uploads', dispatches: [], hostWork }] }) };
    const result = await runBenchWith(ctx, withHostWork, { quick: true, repeats: 2, warmup: 0 });
    expect(result.entries).toHaveLength(1);
    expect(result.entries[0].file).toBe('bench/entries/steps.ts');
    expect(result.entries[0].ms).toBeUndefined();
    expect(result.entries[0].hostWork!.unit).toBe('steps');
    expect(positiveFinite(result.entries[0].hostWork!.perSecond)).toBe(true);
    expect(result.entries[0].hostWork!.perSecond).toBeCloseTo(3000 / result.entries[0].hostWork!.ms, 6);
    expect(formatTable(result)).toMatch(/host steps .* steps\/s/);

    const empty = { empty: async () => ({ benchEntries: async () => [{ name: 'nothing', shape: '', dispatches: [] }] }) };
    await expect(runBenchWith(ctx, empty, { quick: true, repeats: 1 })).rejects.toThrow(/bench\/entries\/empty.ts: entry 'nothing' has neither dispatches nor hostWork/);
    await expect(runBenchWith(ctx, empty, { quick: true, repeats: 1, files: ['nope'] })).rejects.toThrow(/bench: files = nope: no such bench\/entries file; allowed: empty/);
    const notAModule = { broken: async () => ({}) };
    await expect(runBenchWith(ctx, notAModule, { quick: true, repeats: 1 })).rejects.toThrow(/bench\/entries\/broken.ts must export benchEntries/);
    ctx.device.destroy();
  });

  it('with tune, times the call sites of the entries being built and reports the choices; without, takes the defaults', async () => {
    const { createNodeContext } = await import('../src/runtime/env-node');
    const { runBenchWith } = await import('../bench/core');
    const { sgdUpdate } = await import('../src/kernels/sgdUpdate');
    const ctx = await createNodeContext();
    const param = ctx.pool.acquire(4 * 4096, 'tune param');
    const grad = ctx.pool.acquire(4 * 4096, 'tune grad');
    const lr = ctx.pool.acquire(4 * 16, 'tune lr');
    // One call site offering two variants: the whole tensor at once, or 16 replicas of a sixteenth.
    const variants = [{ replicas: 1, size: 4096 }, { replicas: 16, size: 256 }];
    const picked: object[] = [];
    const loaders = {
      sites: async () => ({
        benchEntries: async (c: typeof ctx) => {
          const build = async (v: { replicas: number; size: number }) => [(await sgdUpdate(c.kernels, v))({ param, grad, lr }, 'update')];
          const v = await c.tuner.pick(c.device, 'update', { n: 4096 }, variants, build);
          picked.push(v);
          return [{ name: 'update', shape: JSON.stringify(v), dispatches: await build(v) }];
        },
      }),
    };
    try {
      const tuned = await runBenchWith(ctx, loaders, { quick: true, repeats: 1, warmup: 0, tune: true });
      expect(tuned.tuning).toHaveLength(1);
      expect(tuned.tuning![0]).toMatchObject({ site: 'update', key: '{"n":4096}' });
      expect(tuned.tuning![0].timings!.map((t) => t.variant)).toEqual(variants);
      expect(tuned.tuning![0].timings!.every((t) => t.ms > 0 && Number.isFinite(t.ms))).toBe(true);
      expect(formatTable(tuned)).toContain('kernel variants: tuned (--tune): 1 call sites, 1 timed here');
      const defaults = await runBenchWith(ctx, loaders, { quick: true, repeats: 1, warmup: 0 });
      expect(defaults.tuning).toBeUndefined();
      expect(picked[1]).toEqual(variants[0]);
      expect(formatTable(defaults)).toContain("kernel variants: each call site's default for this adapter's class");
      expect(ctx.tuner.mode).toBe('defaults'); // the run's tuner was the context's only while building
      expect(() => validateOptions({ tune: 'yes' as never })).toThrow('bench: tune = "yes"; allowed: true or false');
      expect(parseBenchArgs(['--tune']).tune).toBe(true);
    } finally {
      ctx.device.destroy();
    }
  });

  it("tells a file which rows the filter wants, so that it can skip building the others", async () => {
    const { createNodeContext } = await import('../src/runtime/env-node');
    const { runBenchWith } = await import('../bench/core');
    const ctx = await createNodeContext();
    const scratch = ctx.pool.acquire(64, 'wants scratch');
    const upload = (name: string) => ({ name, shape: '', dispatches: [], hostWork: { unit: 'uploads', amount: 1, run: () => ctx.device.queue.writeBuffer(scratch, 0, new Float32Array(4)) } });
    const asked: Record<string, boolean> = {};
    const built: string[] = [];
    const loaders = {
      rows: async () => ({
        benchEntries: async (_: unknown, { wants }: BenchEntryOptions) => {
          // A careful file builds only what is wanted; a careless one (the last row) is filtered by the runner.
          for (const name of ['gemm big', 'gemm small', 'softmax x']) asked[name] = wants(name);
          const rows = ['gemm big', 'gemm small', 'softmax x'].filter(wants).map((name) => (built.push(name), upload(name)));
          return [...rows, upload('gemm careless')];
        },
      }),
    };
    try {
      const result = await runBenchWith(ctx, loaders, { quick: true, repeats: 1, warmup: 0, filter: '^GEMM (big|careless)' });
      expect(asked).toEqual({ 'gemm big': true, 'gemm small': false, 'softmax x': false });
      expect(built).toEqual(['gemm big']);
      expect(result.entries.map((e) => e.name)).toEqual(['gemm big', 'gemm careless']);
      const all = await runBenchWith(ctx, loaders, { quick: true, repeats: 1, warmup: 0 });
      expect(all.entries.map((e) => e.name)).toEqual(['gemm big', 'gemm small', 'softmax x', 'gemm careless']);
    } finally {
      ctx.device.destroy();
    }
  });
});

describe('bench run control (runBenchWith in Node)', () => {
  it('reports progress per entry, stops between entries when asked, and keeps what finished when an entry fails', async () => {
    const { createNodeContext } = await import('../src/runtime/env-node');
    const { BenchRunError, runBenchWith } = await import('../bench/core');
    const ctx = await createNodeContext();
    const scratch = ctx.pool.acquire(4096, 'run control scratch');
    const entry = (name: string, run = () => ctx.device.queue.writeBuffer(scratch, 0, new Float32Array(16))): BenchEntry =>
      ({ name, shape: 'one upload', dispatches: [], hostWork: { unit: 'uploads', amount: 1, run } });
    const loaders = {
      first: async () => ({ benchEntries: async () => [entry('a1'), entry('a2')] }),
      second: async () => ({ benchEntries: async () => [entry('b1'), entry('b2')] }),
    };
    const progress: BenchProgress[] = [];
    const complete = await runBenchWith(ctx, loaders, { quick: true, repeats: 1, warmup: 0 }, () => {}, { progress: (p) => progress.push(p) });
    expect(complete.entries.map((e) => e.name)).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(progress.filter((p) => p.entry).map((p) => p.entry)).toEqual(complete.entries);
    expect(progress[0].limits).toEqual(complete.limits);
    // Limits and the two files are a third each; each file's entries share its third.
    expect(progress.map((p) => p.fraction)).toEqual([1 / 3, 0.5, 2 / 3, 2 / 3, 5 / 6, 1, 1].map((f) => expect.closeTo(f, 12)));
    // After the limits and after each entry, the run so far (what a result file holds until the run ends).
    const snapshots = progress.flatMap((p) => (p.partial ? [p.partial] : []));
    expect(snapshots.map((r) => r.entries.map((e) => e.name))).toEqual([[], ['a1'], ['a1', 'a2'], ['a1', 'a2', 'b1'], ['a1', 'a2', 'b1', 'b2']]);
    for (const r of snapshots) {
      expect(r.incomplete).toBe(`unfinished: ${r.entries.length} entries timed when this was written; the run did not reach its end`);
      expect(r.limits).toEqual(complete.limits);
    }
    expect(snapshots[4].entries).toEqual(complete.entries);

    // Asked to stop once two entries are done: the run ends at the next check, before the second file.
    let timed = 0;
    const control = { stopRequested: () => timed >= 2, progress: (p: BenchProgress) => void (p.entry && timed++) };
    const stopped = await runBenchWith(ctx, loaders, { quick: true, repeats: 1, warmup: 0 }, () => {}, control);
    expect(stopped.entries.map((e) => e.name)).toEqual(['a1', 'a2']);
    expect(stopped.incomplete).toBe('stopped after 2 entries; not started: bench/entries/second.ts');

    const failing = { ...loaders, second: async () => ({ benchEntries: async () => [entry('b1', () => { throw new Error('b1 broke'); })] }) };
    const failure = await runBenchWith(ctx, failing, { quick: true, repeats: 1, warmup: 0 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BenchRunError);
    expect((failure as Error).message).toBe('b1 broke');
    const partial = (failure as InstanceType<typeof BenchRunError>).partial;
    expect(partial.entries.map((e) => e.name)).toEqual(['a1', 'a2']);
    expect(partial.incomplete).toBe("failed while timing 'b1' of bench/entries/second.ts: b1 broke");
    ctx.device.destroy();
  });
});

describe('bench result files and comparison (bench/report)', () => {
  const limits = { fmaGflops: 10, fmaShape: 's', copyKernelGBps: 5, copyBufferGBps: 20, copyGBps: 20, copyBytes: 1024 };
  const adapter = { runtime: 'node', vendor: 'v', architecture: 'a', device: '', description: '', isSoftware: true, features: [], limits: {} } as const;
  const kernel = (file: string, name: string, ms: number, flops = 1e6, bytes = 4e6): EntryResult => ({
    file: `bench/entries/${file}.ts`, name, shape: 'tiny', ms, flops, bytes, gflops: flops / (ms * 1e6), gbps: bytes / (ms * 1e6),
    fmaFraction: flops / (ms * 1e6) / limits.fmaGflops, copyFraction: bytes / (ms * 1e6) / limits.copyGBps,
  });
  const result = (entries: EntryResult[], fma = 10): BenchResult => ({
    schema: BENCH_SCHEMA, version: BENCH_VERSION, date: '2026-11-28T00:00:00.000Z', adapter: { ...adapter, features: [] }, timing: 'timestamp-query',
    options: { quick: true, repeats: 1, warmup: 0 }, limits: { ...limits, fmaGflops: fma }, entries, seconds: 1,
  });

  it('reads a file written before the schema marker as version 1, and says so', () => {
    const { schema: _schema, version: _version, ...unmarked } = result([kernel('k', 'gemm x', 2)]);
    const loaded = parseBenchJson(JSON.stringify(unmarked), 'old.json');
    expect(loaded.result).toEqual(result([kernel('k', 'gemm x', 2)]));
    expect(loaded.notes).toEqual(['old.json has no "schema" marker: written by onelayer bench before results were marked; its fields are those of version 1 and were read as such']);
  });

  it('matches entries by file and name: speedups over the first run, missing entries as null, files in name order', () => {
    const throughput: EntryResult = { file: 'bench/entries/k.ts', name: 'train', shape: 's', hostWork: { unit: 'steps', perSecond: 50, ms: 20 } };
    const a = result([kernel('k', 'gemm x', 2), kernel('k', 'only A', 1), throughput, kernel('b', 'same name', 4)]);
    const b = result([kernel('b', 'same name', 1), kernel('k', 'gemm x', 0.5), { ...throughput, hostWork: { unit: 'steps', perSecond: 200, ms: 5 } }, kernel('k', 'only B', 3)], 40);
    const c = compareRuns(labelRuns([{ source: 'a.json', result: a, notes: [] }, { source: 'b.json', result: b, notes: [] }]));
    expect(c.runs.map((r) => r.label)).toEqual(['A', 'B']);
    expect(c.limitRatios).toEqual([{ fma: 1, copy: 1 }, { fma: 4, copy: 1 }]);
    expect(c.groups.map((g) => g.file)).toEqual(['bench/entries/b.ts', 'bench/entries/k.ts']);
    const k = Object.fromEntries(c.groups[1].entries.map((e) => [e.name, e]));
    expect(Object.keys(k)).toEqual(['gemm x', 'only A', 'train', 'only B']);
    expect(k['gemm x'].kernelSpeedup).toEqual([1, 4]);
    expect(k['only A'].entries[1]).toBeNull();
    expect(k['only A'].kernelSpeedup).toEqual([1, null]);
    expect(k['only B'].entries[0]).toBeNull();
    expect(k['only B'].kernelSpeedup).toEqual([null, null]);
    expect(k.train.throughputSpeedup).toEqual([1, 4]);
    expect(c.groups[0].entries[0].kernelSpeedup).toEqual([1, 4]);

    const { markdown, svgs } = benchReport(c, 'report');
    expect(svgs.map((s) => s.name)).toEqual(['report-b-roofline.svg', 'report-b-speedup.svg', 'report-k-roofline.svg', 'report-k-speedup.svg']);
    expect(markdown).toContain('| gemm x | tiny | 2 | 0.5 | ×4 | 10.0% | 40.0% |');
    expect(markdown).toContain('| only A | tiny | 1 | *missing* | - | 20.0% | *missing* |');
    expect(markdown).toContain('| train | s | 50 steps/s | 200 steps/s | ×4 |');
    expect(markdown).toContain('![bench/entries/k.ts: speedup over A](report-k-speedup.svg)');
  });
});

describe('bench options', () => {
  it('parses the command line', () => {
    expect(parseBenchArgs(['--runtime', 'node', '--repeats', '3', '--quick', '--filter', 'gemm', '--files', 'foundation,icl', '--out', 'x.json'])).toEqual({
      runtime: 'node', repeats: 3, quick: true, filter: 'gemm', files: ['foundation', 'icl'], out: 'x.json',
    });
  });
  it('rejects bad values, naming the option, the value and what is allowed', () => {
    expect(() => parseBenchArgs(['--runtime', 'firefox'])).toThrow(/--runtime = firefox; allowed: chrome, node/);
    expect(() => parseBenchArgs(['--repeats', '-1'])).toThrow(/--repeats = -1; allowed: a non-negative integer/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown option --fast/);
    expect(() => validateOptions({ repeats: 0 })).toThrow(/bench: repeats = 0; allowed: an integer >= 1/);
    expect(() => validateOptions({ filter: '(' })).toThrow(/bench: filter = "\(" is not a valid regular expression/);
  });
});
