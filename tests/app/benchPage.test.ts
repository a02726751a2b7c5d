// End to end: the bench page (bench.html), built with vite as `npm run build` does, served statically and opened
// in the shared headless Chromium. A quick run in the page's worker: the table equals the JSON it downloads,
// grouped by file, and the roofline bars draw each entry's fraction. A stopped run keeps what finished, marked
// incomplete. Both files loaded into the compare view: speedups and missing entries as the two files say. Bad
// files get the loader's message. Screenshots go to test-artifacts/ (docs/figures/bench-page.png is one).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../../src/harness/launcher';
import { adapterLine } from '../../src/runtime/device';
import { entryCells, formatMs, formatSpeedup, rooflineFraction } from '../../bench/format';
import { parseBenchJson } from '../../bench/report/schema';
import type { BenchResult, EntryResult } from '../../bench/types';

interface Debug {
  status: string;
  progress: number;
  entries: EntryResult[];
  result: BenchResult | null;
  lastDownload: { name: string; text: string } | null;
  downloads: number;
  compareErrors: string[];
  compared: string[];
}

const artifacts = join(projectRoot, 'test-artifacts');
const outDir = join(artifacts, 'bench-dist');
// The entry files this test runs. Others (new models' entries, possibly half-written) are listed by the page
// but left unchecked, so that this test depends only on these.
const FILES = ['foundation', 'icl', 'scansnap'];

let server: PreviewServer;
let baseUrl: string;
let browser: Browser;
let page: Page;
let complete: { text: string; result: BenchResult };
let stopped: { text: string; result: BenchResult };

beforeAll(async () => {
  const error = inject('onelayerGpuError');
  if (error) throw new Error(error);
  mkdirSync(artifacts, { recursive: true });
  await build({ root: projectRoot, configFile: join(projectRoot, 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
  server = await preview({ root: projectRoot, configFile: join(projectRoot, 'vite.config.ts'), logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, open: false } });
  baseUrl = server.resolvedUrls!.local[0].replace(/\/$/, '');
  browser = await puppeteer.connect({ browserWSEndpoint: inject('onelayerBrowser'), protocolTimeout: 600_000 });
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  page.on('pageerror', (e) => process.stderr.write(`[bench page error] ${(e as Error).message}\n`));
  await page.goto(`${baseUrl}/bench.html`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'idle', { timeout: 60_000 });
});

afterAll(async () => {
  await page?.close();
  await browser?.disconnect();
  await server?.close();
});

const debug = () => page.evaluate(() => (globalThis as unknown as { onelayerBench: { debug(): Debug } }).onelayerBench.debug()) as Promise<Debug>;

async function waitFor(what: string, test: (d: Debug) => boolean, timeoutMs = 120_000): Promise<Debug> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = await debug();
    if (test(d)) return d;
    if (d.status === 'failed' || Date.now() > until) {
      throw new Error(`waiting for ${what}: status ${d.status}; page message: ${await page.$eval('#message', (e) => e.textContent)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setValue(selector: string, text: string): Promise<void> {
  await page.$eval(selector, (el, t) => void ((el as HTMLInputElement).value = t), text);
}

/** Download JSON, as the user gets it; the loader of the compare view and the CLI must accept it. */
async function downloadJson(): Promise<{ text: string; result: BenchResult }> {
  const count = (await debug()).downloads;
  await page.click('#download');
  const d = await waitFor('the download', (x) => x.downloads > count);
  expect(d.lastDownload!.name).toMatch(/^onelayer-bench-.*\.json$/);
  const { result, notes } = parseBenchJson(d.lastDownload!.text, d.lastDownload!.name);
  expect(notes).toEqual([]);
  return { text: d.lastDownload!.text, result };
}

/** The result table as the page shows it: per file group, each row's cell texts. */
function shownTable(): Promise<{ file: string; rows: string[][] }[]> {
  return page.$$eval('#result-table tbody', (bodies) =>
    bodies.map((b) => ({
      file: (b as HTMLElement).dataset.file!,
      rows: [...b.querySelectorAll('tr[data-entry]')].map((tr) => [...(tr as HTMLTableRowElement).cells].map((td) => td.textContent ?? '')),
    })),
  );
}

function expectedTable(entries: EntryResult[]): { file: string; rows: string[][] }[] {
  const files = [...new Set(entries.map((e) => e.file))];
  return files.map((file) => ({ file, rows: entries.filter((e) => e.file === file).map(entryCells) }));
}

/** Bars of the charts under `root`: category, series and the value each bar draws. */
function bars(root: string): Promise<{ chart: string; category: string; series: string; value: number }[]> {
  return page.$$eval(`${root} [data-chart]`, (charts) =>
    charts.flatMap((c) =>
      [...c.querySelectorAll('rect[data-value]')].map((r) => ({
        chart: (c as HTMLElement).dataset.chart!,
        category: r.getAttribute('data-category')!,
        series: r.getAttribute('data-series')!,
        value: Number(r.getAttribute('data-value')),
      })),
    ),
  );
}

async function chooseFiles(input: string, paths: string[]): Promise<void> {
  const handle = (await page.$(input)) as ElementHandle<HTMLInputElement>;
  await handle.uploadFile(...paths);
}

describe('bench page', () => {
  it('offers every entry file; Stop ends a run between entries, and what finished shows and downloads, marked incomplete', async () => {
    // Every entry file the bench finds is offered, found by the build (import.meta.glob), not listed anywhere.
    const offered = await page.$$eval('#files input', (inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    expect(offered).toEqual(readdirSync(join(projectRoot, 'bench', 'entries')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort());
    await page.$$eval('#files input', (inputs, keep) => inputs.forEach((i) => void ((i as HTMLInputElement).checked = keep.includes((i as HTMLInputElement).value))), FILES);
    // Four repeats: the entries after the first must outlast the poll and the click below even on a loaded machine
    // (with one, a full suite once saw the whole quick run finish before Stop landed).
    await setValue('#repeats', '4');
    await setValue('#warmup', '0');
    expect(await page.$eval('#download', (b) => (b as HTMLButtonElement).disabled)).toBe(true);

    await page.click('#run');
    await waitFor('the first entry', (x) => x.status === 'running' && x.entries.length >= 1);
    await page.click('#stop');
    const d = await waitFor('the stopped run', (x) => x.status === 'stopped');
    stopped = await downloadJson();
    expect(stopped.result.incomplete).toMatch(/^stopped after \d+ entries/);
    expect(stopped.result.entries).toEqual(d.entries);
    expect(stopped.result.entries.length).toBeGreaterThanOrEqual(1);
    expect(await page.$eval('#incomplete', (e) => e.textContent)).toBe(`Incomplete: ${stopped.result.incomplete}`);
    expect(await shownTable()).toEqual(expectedTable(stopped.result.entries));
    writeFileSync(join(artifacts, 'bench-page-stopped.json'), stopped.text);
  });

  it('runs the quick bench in a fresh worker; the table, grouped by file, equals the downloaded JSON; roofline bars', async () => {
    await setValue('#repeats', '1');
    const started = Date.now();
    await page.click('#run');
    const d = await waitFor('the quick run', (x) => x.status === 'done');
    process.stderr.write(`[bench page] quick run of ${FILES.join(', ')}: ${d.entries.length} entries in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    expect(await page.$eval('#progress', (p) => (p as HTMLProgressElement).value)).toBe(1);
    expect(await page.$eval('#incomplete', (e) => e.textContent)).toBe('');

    complete = await downloadJson();
    const { result } = complete;
    expect(result.incomplete).toBeUndefined();
    expect(result.options).toMatchObject({ quick: true, repeats: 1, warmup: 0, files: FILES });
    expect(result.adapter.runtime).toBe('chrome');
    expect(await page.$eval('#adapter', (e) => e.textContent)).toBe(`adapter: ${adapterLine(result.adapter)}`);
    expect(await page.$eval('#run-summary', (e) => e.textContent)).toContain(`adapter: ${adapterLine(result.adapter)}`);
    expect(await page.$eval('#run-summary', (e) => e.textContent)).toContain("kernel variants: each call site's default for this adapter's class");
    expect(result.tuning).toBeUndefined();
    expect(result.entries).toEqual(d.entries);
    expect([...new Set(result.entries.map((e) => e.file))]).toEqual(FILES.map((f) => `bench/entries/${f}.ts`));
    expect(stopped.result.entries.length).toBeLessThan(result.entries.length);

    expect(await shownTable()).toEqual(expectedTable(result.entries));

    // One roofline chart per file with kernel entries; each bar is the entry's fraction of the roofline.
    const drawn = await bars('#result-charts');
    const timed = result.entries.filter((e) => e.ms !== undefined);
    expect(timed.length).toBeGreaterThan(0);
    expect(drawn.map((b) => [b.chart, b.category])).toEqual(timed.map((e) => [`roofline ${e.file}`, e.name]));
    drawn.forEach((b, k) => expect(b.value).toBe(rooflineFraction(timed[k])));
    writeFileSync(join(artifacts, 'bench-page-quick.json'), complete.text);
  });

  it('compares two result files: times and speedups per entry as the files say, missing entries shown as such', async () => {
    await chooseFiles('#compare-files', [join(artifacts, 'bench-page-quick.json'), join(artifacts, 'bench-page-stopped.json')]);
    await page.waitForSelector('#compare-view table[data-table="runs"]');
    expect((await debug()).compareErrors).toEqual([]);
    const runRows = await page.$$eval('#compare-view table[data-table="runs"] tbody tr', (rows) => rows.map((r) => [...(r as HTMLTableRowElement).cells].map((c) => c.textContent)));
    expect(runRows.map((r) => r.slice(0, 2))).toEqual([['A', 'bench-page-quick.json'], ['B', 'bench-page-stopped.json']]);
    expect(runRows[1][8]).toBe(`${stopped.result.entries.length} (incomplete)`);

    const a = complete.result.entries;
    const b = new Map(stopped.result.entries.map((e) => [`${e.file} ${e.name}`, e]));
    const kernelRows = await page.$$eval('#compare-view [data-file]', (sections) =>
      sections.flatMap((s) =>
        [...s.querySelectorAll('table[data-table="kernels"] tbody tr')].map((tr) => ({
          file: (s as HTMLElement).dataset.file!,
          entry: (tr as HTMLElement).dataset.entry!,
          cells: Object.fromEntries([...(tr as HTMLTableRowElement).cells].map((td) => [td.dataset.column!, td.textContent!])),
        })),
      ),
    );
    expect(kernelRows.map((r) => r.entry)).toEqual(a.filter((e) => e.ms !== undefined).map((e) => e.name));
    let missing = 0;
    for (const row of kernelRows) {
      const ea = a.find((e) => e.file === row.file && e.name === row.entry)!;
      const eb = b.get(`${row.file} ${row.entry}`);
      expect(row.cells['A ms']).toBe(formatMs(ea.ms));
      if (eb) {
        expect(row.cells['B ms']).toBe(formatMs(eb.ms));
        expect(row.cells['B speedup']).toBe(formatSpeedup(ea.ms! / eb.ms!));
      } else {
        missing++;
        expect(row.cells['B ms']).toBe('missing');
        expect(row.cells['B % roofline']).toBe('missing');
        expect(row.cells['B speedup']).toBe('-');
      }
    }
    expect(missing).toBeGreaterThan(0);

    // The speedup bars: A's time over B's for every entry both ran (kernel rows), B's rate over A's (/s rows).
    const speedups = (await bars('#compare-view')).filter((x) => x.chart.startsWith('speedup'));
    const expected = a.flatMap((ea) => {
      const eb = b.get(`${ea.file} ${ea.name}`);
      if (!eb) return [];
      return [
        ...(ea.ms !== undefined ? [{ category: ea.name, value: ea.ms / eb.ms! }] : []),
        ...(ea.hostWork ? [{ category: `${ea.name} (${ea.hostWork.unit}/s)`, value: eb.hostWork!.perSecond / ea.hostWork.perSecond }] : []),
      ];
    });
    expect(expected.length).toBeGreaterThan(0);
    expect(speedups.map((x) => x.category)).toEqual(expected.map((x) => x.category));
    speedups.forEach((x, k) => expect(x.value).toBeCloseTo(expected[k].value, 12));
    expect(speedups.every((x) => x.series === 'B (bench-page-stopped.json)')).toBe(true);
    // A file's speedup chart is drawn when B ran any of its entries; there, the entries B lacks say so.
    const missingBars = await page.$$eval('#compare-view [data-chart^="speedup"] [data-missing]', (t) => t.map((x) => x.textContent));
    const expectedMissing = FILES.map((f) => a.filter((e) => e.file === `bench/entries/${f}.ts`)).filter((entries) => entries.some((e) => b.has(`${e.file} ${e.name}`)))
      .flatMap((entries) => entries.filter((e) => !b.has(`${e.file} ${e.name}`)).flatMap((e) => [e.ms !== undefined, e.hostWork !== undefined].filter(Boolean)));
    expect(missingBars).toEqual(expectedMissing.map(() => 'B (bench-page-stopped.json): missing'));

    await page.setViewport({ width: 1400, height: 1700 });
    await page.screenshot({ path: join(artifacts, 'bench-page.png') });
    await page.setViewport({ width: 1400, height: 1000 });
    await page.screenshot({ path: join(artifacts, 'bench-page-full.png'), fullPage: true });

    // The page's own run joins as C (its last run, the complete one); Clear empties the view.
    await page.click('#compare-this');
    expect((await debug()).compared).toEqual(['bench-page-quick.json', 'bench-page-stopped.json', `this page, ${complete.result.date.slice(11, 19)} UTC`]);
    expect(await page.$$eval('#compare-view table[data-table="runs"] tbody tr', (rows) => rows.length)).toBe(3);
    await page.click('#compare-clear');
    expect((await debug()).compared).toEqual([]);
    expect(await page.$eval('#compare-view', (e) => e.children.length)).toBe(0);
  });

  it('with "time kernel variants first", the run tunes its call sites and the JSON lists the choices', async () => {
    await setValue('#filter', '^icl train step R=1, batches on the GPU$');
    await page.$eval('#tune', (el) => void ((el as HTMLInputElement).checked = true));
    await page.click('#run');
    await waitFor('the tuned run', (x) => x.status === 'done');
    const { result } = await downloadJson();
    expect(result.options.tune).toBe(true);
    expect(result.entries.map((e) => e.name)).toEqual(['icl train step R=1, batches on the GPU']);
    // The ICL trainer's call sites (prompts, attention, gemms): at least one offered several variants and was timed.
    expect(result.tuning!.length).toBeGreaterThan(3);
    expect(result.tuning!.some((c) => (c.timings?.length ?? 0) > 1)).toBe(true);
    expect(await page.$eval('#run-summary', (e) => e.textContent)).toContain(`kernel variants: tuned (--tune): ${result.tuning!.length} call sites`);
    await page.$eval('#tune', (el) => void ((el as HTMLInputElement).checked = false));
    await setValue('#filter', '');
  });

  it('refuses files of another schema or version, truncated or invalid JSON, with the loader\'s message', async () => {
    const bad = join(artifacts, 'bench-bad');
    mkdirSync(bad, { recursive: true });
    const files: Record<string, string> = {
      'other-schema.json': JSON.stringify({ schema: 'onelayer-sweep', version: 1, runs: [] }),
      'version-2.json': complete.text.replace('"version": 1', '"version": 2'),
      'truncated.json': complete.text.slice(0, Math.floor(complete.text.length * 0.6)),
      'not-json.json': complete.text.replace('"timing":', '"timing"'),
      'missing-fields.json': JSON.stringify({ ...complete.result, limits: undefined, entries: [{ name: 'x' }] }),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(bad, name), text);
    const before = (await debug()).compared;
    await chooseFiles('#compare-files', Object.keys(files).map((name) => join(bad, name)));
    const d = await waitFor('the messages', (x) => x.compareErrors.length > 0);
    const messages = Object.entries(files).map(([name]) => {
      try {
        parseBenchJson(readFileSync(join(bad, name), 'utf8'), name);
        return `${name} was accepted`;
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(d.compareErrors).toEqual(messages);
    expect(await page.$eval('#compare-errors', (e) => e.textContent)).toBe(messages.join('\n'));
    expect(messages[0]).toMatch(/other-schema.json is a "onelayer-sweep" file, not a bench result/);
    expect(messages[1]).toMatch(/version-2.json is onelayer-bench version 2 .*reads version 1 only/);
    expect(messages[2]).toMatch(/truncated.json is cut off: the JSON ends at line \d+, column \d+ .*looks truncated/);
    expect(messages[3]).toMatch(/not-json.json is not valid JSON: at line \d+, column \d+ inside timing: expected ':' after the property name/);
    expect(messages[4]).toMatch(/missing-fields.json is not a complete bench result .*\n {2}limits: missing/);
    expect(d.compared).toEqual(before);
  });

  it('without WebGPU says so and what to do, and cannot run', async () => {
    const bare = await browser.newPage();
    await bare.evaluateOnNewDocument(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
    await bare.goto(`${baseUrl}/bench.html`, { waitUntil: 'load' });
    await bare.waitForFunction(() => document.querySelector('#no-webgpu')?.classList.contains('shown'), { timeout: 30_000 });
    const text = await bare.$eval('#no-webgpu', (e) => e.textContent ?? '');
    expect(text).toContain('No WebGPU here');
    expect(text).toContain('chrome://flags/#enable-unsafe-webgpu');
    expect(await bare.$eval('#status', (e) => e.textContent)).toBe('no WebGPU');
    expect(await bare.$eval('#run', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    await bare.close();
  });
});
