// onelayer bench report, through the real binary: a quick bench run in Node writes a marked result file; the
// report compares it with a second file (the same run, its kernels twice as fast, one entry dropped and one
// added), as Markdown tables and SVG charts. Bad files exit 2 with the loader's message and write nothing.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatMs, formatPercent, rooflineFraction } from '../../bench/format';
import { BENCH_SCHEMA, BENCH_VERSION, parseBenchJson } from '../../bench/report/schema';
import type { BenchResult } from '../../bench/types';
import { describeRun, runCli, tempDir } from './spawn';

const dir = tempDir('bench-report');
const a = join(dir, 'a.json');
let first: BenchResult;

beforeAll(async () => {
  const run = ['bench', '--runtime', 'node', '--quick', '--repeats', '1', '--warmup', '0', '--files', 'foundation', '--filter', '^(gemm|softmax)', '--out', a];
  const ran = await runCli(run);
  expect(ran.code, describeRun(run, ran)).toBe(0);
  first = JSON.parse(readFileSync(a, 'utf8')) as BenchResult;
});

describe('onelayer bench report', () => {
  it('compares two result files as Markdown with SVG charts: times, speedups, missing entries', async () => {
    expect([first.schema, first.version]).toEqual([BENCH_SCHEMA, BENCH_VERSION]);
    expect(first.entries.length).toBeGreaterThanOrEqual(3);

    // B: every kernel twice as fast, the last entry dropped, an entry A lacks added.
    const [kept, dropped] = [first.entries.slice(0, -1), first.entries[first.entries.length - 1]];
    const faster = kept.map((e) => ({ ...e, ms: e.ms! / 2, gflops: e.gflops! * 2, gbps: e.gbps! * 2, fmaFraction: e.fmaFraction! * 2, copyFraction: e.copyFraction! * 2 }));
    const added = { ...kept[0], name: 'gemm only in B' };
    const b = join(dir, 'b.json');
    writeFileSync(b, JSON.stringify({ ...first, entries: [...faster, added] }, null, 2));

    const out = join(dir, 'report', 'compare.md');
    const args = ['bench', 'report', a, b, '--out', out];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(0);
    expect(r.stdout).toContain(`report: ${out} (2 SVG charts beside it)`);
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toMatch(/^# Bench report: A \(.+\(node(, software)?\)\) vs B \(/);
    expect(markdown).toContain(`| A | \`${a}\` |`);
    expect(markdown).toContain('## bench/entries/foundation.ts');
    expect(markdown).toContain('| entry | shape | A ms | B ms | B speedup | A % roofline | B % roofline |');
    kept.forEach((e, k) => {
      const row = `| ${e.name} | ${e.shape} | ${formatMs(e.ms)} | ${formatMs(faster[k].ms)} | ×2 | ${formatPercent(rooflineFraction(e))} | ${formatPercent(rooflineFraction(faster[k]))} |`;
      expect(markdown).toContain(row);
    });
    expect(markdown).toContain(`| ${dropped.name} | ${dropped.shape} | ${formatMs(dropped.ms)} | *missing* | - | ${formatPercent(rooflineFraction(dropped))} | *missing* |`);
    expect(markdown).toContain(`| gemm only in B | ${added.shape} | *missing* | ${formatMs(added.ms)} | - | *missing* | ${formatPercent(rooflineFraction(added))} |`);

    expect(readdirSync(join(dir, 'report')).sort()).toEqual(['compare-foundation-roofline.svg', 'compare-foundation-speedup.svg', 'compare.md']);
    expect(markdown).toContain('![bench/entries/foundation.ts: speedup over A](compare-foundation-speedup.svg)');
    const speedup = readFileSync(join(dir, 'report', 'compare-foundation-speedup.svg'), 'utf8');
    const bars = [...speedup.matchAll(/data-category="([^"]*)" data-series="([^"]*)" data-value="([^"]*)"/g)];
    expect(bars.map((m) => m[1])).toEqual(kept.map((e) => e.name.replace(/&/g, '&amp;')));
    bars.forEach((m) => expect(Number(m[3])).toBeCloseTo(2, 12));
    expect(speedup).toContain(`data-category="${dropped.name}" data-series="B (b.json)" data-missing="true">B (b.json): missing</text>`);
    expect(speedup).toContain(`data-category="gemm only in B" data-series="B (b.json)" data-missing="true">B (b.json): A lacks it</text>`);
    const roofline = readFileSync(join(dir, 'report', 'compare-foundation-roofline.svg'), 'utf8');
    expect([...roofline.matchAll(/data-value="([^"]*)"/g)]).toHaveLength(2 * kept.length + 2);
  });

  it('exits 2 on files it cannot read as bench results (one message per file, nothing written) and on bad arguments', async () => {
    const good = JSON.stringify(parseBenchJson(readFileSync(a, 'utf8'), 'a.json').result, null, 2);
    const files: Record<string, string> = {
      'good.json': good,
      // Cut inside the first entry's name: a cut at a fixed fraction could land in a top-level key, which has no
      // path to name (the file's second half holds timings, whose lengths vary from run to run).
      'truncated.json': good.slice(0, good.indexOf('"name": "', good.indexOf('"entries"')) + 12),
      'other.json': JSON.stringify({ schema: 'onelayer-sweep', version: 1 }),
      'future.json': good.replace('"version": 1', '"version": 7'),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const paths = [...Object.keys(files), 'absent.json'].map((name) => join(dir, name));
    const out = join(dir, 'bad', 'report.md');
    const args = ['bench', 'report', ...paths, '--out', out];
    const r = await runCli(args);
    expect(r.code, describeRun(args, r)).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('error: '));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^error: ${paths[1]} is cut off: the JSON ends at line \\d+, column \\d+ \\(byte ${files['truncated.json'].length}\\) inside .* the file looks truncated`));
    expect(lines[1]).toBe(`error: ${paths[2]} is a "onelayer-sweep" file, not a bench result; expected the JSON that onelayer bench --out or the bench page's Download writes ("schema": "onelayer-bench", "version": 1)`);
    expect(lines[2]).toBe(`error: ${paths[3]} is onelayer-bench version 7 (written by a newer onelayer: update this one to read it); this onelayer reads version 1 only`);
    expect(lines[3]).toBe(`error: ${paths[4]} cannot be read (ENOENT)`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'bad'))).toBe(false);

    for (const [bad, message] of [
      [['bench', 'report'], /^error: bench report: no result files given; usage: onelayer bench/],
      [['bench', 'report', paths[0], '--quick'], /^error: bench report: --quick applies to running the bench; report takes result files and --out only/],
      [['bench', 'compare', paths[0]], /^error: bench: unexpected argument "compare"; usage: onelayer bench \[options\] \| onelayer bench report FILE.json/],
      [['bench', '--files', 'foundation,nope'], /^error: bench: --files nope: no such bench\/entries file; allowed: .*\bfoundation\b/],
    ] as const) {
      const u = await runCli([...bad]);
      expect(u.code, describeRun([...bad], u)).toBe(2);
      expect(u.stderr).toMatch(message);
    }
  });
});
