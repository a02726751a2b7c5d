// The bench runner: quick mode in the page (structure and sanity of every value, no speed thresholds), its
// table and JSON through runBench in Node/Dawn, and option checks. Speed itself is only ever reported by bench/.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGpu } from './gpu';
import { formatTable } from '../bench/format';
import { parseBenchArgs, validateOptions } from '../bench/options';
import type { BenchResult } from '../bench/types';

const positiveFinite = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const FOUNDATION_KERNELS = ['gemm', 'sgdUpdate', 'sgdMomentum', 'softmaxRows', 'reduceRows'];

function expectSane(result: BenchResult, runtime: 'chrome' | 'node') {
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
