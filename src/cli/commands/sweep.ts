// onelayer sweep: a grid of runs. Every grid point × seed is a unit; units whose non-per-replica keys agree
// (same shapes, same data settings) are packed as replicas of one trainer, at most maxReplicas per pack. Packs are
// formed for the whole sweep before sharding, and `--shard i/n` takes every n-th pack, so a unit's replica slot
// and seed (pack seed + replica) and hence its result do not depend on how the sweep is split. onelayer merge
// joins the shards' results.json into one table and figure.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigValidationError, suggestKeys, validateConfig, type ConfigError } from '../../config/schema';
import { findModel, findPreset, models } from '../../models/registry';
import type { MetricRecord } from '../../engine/types';
import { lineChart, type Series } from '../../report/svg';
import { parseSetValue, parseSets, type ParsedArgs } from '../args';
import { EXIT_INTERRUPTED, EXIT_OK, UsageError } from '../errors';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '../files';
import { Progress } from '../progress';
import { checkLimits, loadRunSource, resolveRun, runConfigJson, type RunConfig, type RunSource } from '../resolve';
import type { RuntimeKind } from '../runtime';
import { handleInterrupts, openRuntimeLogged, type Output } from '../session';
import { executeRun, resumePoint, writeFiguresAndTables } from './train';

const SWEEP_KEYS = ['preset', 'model', 'config', 'grid', 'seeds', 'maxReplicas'];

interface SweepDefinition {
  source: RunSource;
  base: string;
  sets: Record<string, unknown>;
  grid: Record<string, unknown[]>;
  seeds: number;
  maxReplicas: number;
  /** Every pack's checkpoint interval (0: none), when the preset's sweep sets one. */
  checkpointEvery?: number;
}

interface Unit {
  point: number;
  seedIndex: number;
  values: Record<string, unknown>;
}

interface Pack {
  index: number;
  units: Unit[];
  seed: number;
  run: RunConfig;
}

export interface SweepResults {
  hash: string;
  /** The preset whose sweep this is (its summary tables and figures are redrawn by merge). */
  preset?: string;
  gridKeys: string[];
  totalUnits: number;
  metricKeys: string[];
  rows: Record<string, unknown>[];
}

function usage(message: string): never {
  throw new UsageError(message);
}

function readDefinition(positional: string, o: ParsedArgs['options']): SweepDefinition {
  const cliGrid: Record<string, unknown[]> = {};
  for (const item of (o.grid as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) usage(`--grid ${JSON.stringify(item)}: expected key=[v1,v2,...]`);
    const values = parseSetValue(item.slice(eq + 1));
    cliGrid[item.slice(0, eq).trim()] = Array.isArray(values) ? values : [values];
  }
  const sets = parseSets(o.set as string[] | undefined);
  if (o.steps !== undefined) sets.steps = o.steps;
  if (!positional.endsWith('.json') && !existsSync(positional)) {
    const source = loadRunSource(positional);
    const spec = source.preset?.sweep;
    return {
      source, base: positional, sets,
      grid: { ...spec?.grid, ...cliGrid },
      seeds: (o.seeds as number | undefined) ?? spec?.seeds ?? 1,
      maxReplicas: (o['max-replicas'] as number | undefined) ?? spec?.maxReplicas ?? 64,
      checkpointEvery: spec?.checkpointEvery,
    };
  }
  const json = readJsonFile(positional, 'sweep file') as Record<string, unknown>;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) usage(`sweep file ${positional}: expected a JSON object with "preset" or "model", "grid" and optionally "config", "seeds", "maxReplicas"`);
  for (const key of Object.keys(json)) if (!SWEEP_KEYS.includes(key)) usage(`sweep file ${positional}: unknown key '${key}'; allowed keys: ${SWEEP_KEYS.join(', ')}`);
  let source: RunSource;
  if (typeof json.preset === 'string') source = loadRunSource(json.preset);
  else if (typeof json.model === 'string' && findModel(json.model)) source = { model: findModel(json.model)!, name: json.model, raw: {} };
  else usage(`sweep file ${positional}: needs "preset": a preset name, or "model": one of ${Object.keys(models).join(', ')} (got preset = ${JSON.stringify(json.preset)}, model = ${JSON.stringify(json.model)})`);
  if (json.config !== undefined && (json.config === null || typeof json.config !== 'object' || Array.isArray(json.config))) usage(`sweep file ${positional}: config = ${JSON.stringify(json.config)} is not allowed: expected an object of config keys`);
  if (json.grid === null || typeof json.grid !== 'object' || Array.isArray(json.grid)) usage(`sweep file ${positional}: grid = ${JSON.stringify(json.grid)} is not allowed: expected an object {key: [values]}`);
  const positiveInt = (key: string, value: unknown, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) usage(`sweep file ${positional}: ${key} = ${JSON.stringify(value)} is not allowed: expected an integer >= 1`);
    return value;
  };
  const spec = source.preset?.sweep;
  return {
    source,
    base: positional,
    sets: { ...(json.config as Record<string, unknown> | undefined), ...sets },
    grid: { ...spec?.grid, ...(json.grid as Record<string, unknown[]>), ...cliGrid },
    seeds: (o.seeds as number | undefined) ?? positiveInt('seeds', json.seeds, spec?.seeds ?? 1),
    maxReplicas: (o['max-replicas'] as number | undefined) ?? positiveInt('maxReplicas', json.maxReplicas, spec?.maxReplicas ?? 64),
    checkpointEvery: spec?.checkpointEvery,
  };
}

function cartesian(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(grid).reduce<Record<string, unknown>[]>((points, [key, values]) => points.flatMap((p) => values.map((v) => ({ ...p, [key]: v }))), [{}]);
}

/** A pack's grid settings on one line: a per-replica list (one entry per replica) shows its distinct values. */
function show(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([k, v]) => (Array.isArray(v) ? `${k}∈{${[...new Set(v.map((x) => JSON.stringify(x)))].join(',')}} per replica` : `${k}=${JSON.stringify(v)}`))
    .join(' ');
}

/** Every pack of the sweep, validated (grid points one by one, then packs) before any GPU work. */
function planSweep(def: SweepDefinition): { packs: Pack[]; units: Unit[] } {
  const { schema } = def.source.model;
  const errors: ConfigError[] = [];
  const gridKeys = Object.keys(def.grid);
  if (gridKeys.length === 0) usage('sweep: the grid is empty: give --grid key=[v1,v2,...] (or "grid" in sweep.json)');
  for (const key of gridKeys) {
    if (!(key in schema)) usage(`sweep: grid key '${key}' is not a key of the ${def.source.model.name} config${suggestKeys(schema, key)}; allowed: ${Object.keys(schema).filter((k) => k !== 'replicas' && k !== 'seed').join(', ')}`);
    if (key === 'replicas' || key === 'seed') usage(`sweep: '${key}' cannot be a grid axis: use "seeds" (replicas per point); a pack's replica r runs with seed + r`);
    const values = def.grid[key];
    if (!Array.isArray(values) || values.length === 0) usage(`sweep: grid ${key} = ${JSON.stringify(values)} is not allowed: expected a non-empty list of values`);
  }
  const base = resolveRun(def.source, { sets: def.sets });
  const points = cartesian(def.grid);
  for (const point of points) {
    const { errors: pointErrors } = validateConfig(schema, { ...base.config, ...point });
    for (const e of pointErrors) if (e.key in point && !errors.some((x) => x.message.endsWith(e.message))) errors.push({ ...e, message: `grid point ${show(point)}: ${e.message}` });
  }
  if (errors.length > 0) throw new ConfigValidationError(errors);
  const units: Unit[] = points.flatMap((values, point) => Array.from({ length: def.seeds }, (_, seedIndex) => ({ point, seedIndex, values })));
  const groups = new Map<string, Unit[]>();
  for (const unit of units) {
    const key = JSON.stringify(gridKeys.filter((k) => !schema[k].perReplica).map((k) => unit.values[k]));
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(unit);
  }
  const baseSeed = typeof base.config.seed === 'number' ? base.config.seed : 0;
  const packs: Pack[] = [];
  let offset = 0;
  for (const members of groups.values()) {
    for (let i = 0; i < members.length; i += def.maxReplicas) {
      const packUnits = members.slice(i, i + def.maxReplicas);
      const sets: Record<string, unknown> = { ...def.sets, replicas: packUnits.length, seed: baseSeed + offset };
      for (const key of gridKeys) sets[key] = schema[key].perReplica ? packUnits.map((u) => u.values[key]) : packUnits[0].values[key];
      const run = resolveRun(def.source, { sets, checkpointEvery: def.checkpointEvery });
      packs.push({ index: packs.length, units: packUnits, seed: baseSeed + offset, run: { ...run, name: `pack-${packs.length}` } });
      offset += packUnits.length;
    }
  }
  return { packs, units };
}

function parseShard(text: string | undefined): { index: number; count: number } {
  if (text === undefined) return { index: 1, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) usage(`--shard = ${JSON.stringify(text)} is not allowed: expected i/n with 1 <= i <= n (e.g. --shard 2/4)`);
  return { index, count };
}

export async function sweep(args: ParsedArgs, out: Output): Promise<number> {
  const o = args.options;
  const def = readDefinition(args.positionals[0], o);
  const shard = parseShard(o.shard as string | undefined);
  const { packs, units } = planSweep(def);
  const identity = { model: def.source.model.name, base: def.source.name, sets: def.sets, grid: def.grid, seeds: def.seeds, maxReplicas: def.maxReplicas };
  const hash = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
  const mine = packs.filter((p) => p.index % shard.count === shard.index - 1);
  out.log.write(`sweep ${hash}: ${units.length} runs (${units.length / def.seeds} grid point(s) × ${def.seeds} seed(s)) in ${packs.length} pack(s); shard ${shard.index}/${shard.count} has ${mine.length}\n`);
  if (o.plan === true) {
    for (const pack of packs) {
      const settings = show(Object.fromEntries(Object.keys(def.grid).map((k) => [k, pack.run.config[k]])));
      out.log.write(`  pack-${pack.index} (shard ${(pack.index % shard.count) + 1}/${shard.count}): ${pack.units.length} replica(s), seeds ${pack.seed}..${pack.seed + pack.units.length - 1}, ${pack.run.steps} steps, ${settings}\n`);
    }
    return EXIT_OK;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const dir = (o.out as string | undefined) ?? join('runs', `sweep-${def.source.name}-${stamp}${shard.count > 1 ? `-shard-${shard.index}-of-${shard.count}` : ''}`);
  const planPath = join(dir, 'sweep.json');
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    const previous = existsSync(planPath) ? (JSON.parse(readFileSync(planPath, 'utf8')) as { hash?: string; shard?: { index: number; count: number } }) : undefined;
    if (previous?.hash !== hash || previous.shard?.index !== shard.index || previous.shard?.count !== shard.count) {
      usage(`--out ${dir}: already holds something other than this sweep shard; choose a new folder (rerunning the same sweep and shard there continues it)`);
    }
  }
  writeJsonAtomic(planPath, {
    hash, shard, ...identity, totalUnits: units.length,
    packs: mine.map((p) => ({ pack: p.index, dir: `pack-${p.index}`, seed: p.seed, units: p.units.map(({ point, seedIndex }) => ({ point, seedIndex })) })),
  });
  const runtime = await openRuntimeLogged((o.runtime as RuntimeKind | undefined) ?? 'chrome', out);
  const interrupts = handleInterrupts(() => {
    out.log.write('\ninterrupt: stopping the current pack at its next checkpoint (Ctrl-C again quits now); rerun the same command to continue\n');
    runtime.requestStop().catch(() => {});
  });
  const rows: Record<string, unknown>[] = [];
  const metricKeys = new Set<string>();
  try {
    for (const pack of mine) checkLimits(pack.run, runtime.adapter.limits);
    for (const [n, pack] of mine.entries()) {
      if (interrupts.requested) return EXIT_INTERRUPTED;
      const packDir = join(dir, `pack-${pack.index}`);
      const summaryPath = join(packDir, 'summary.json');
      let evaluation: MetricRecord[];
      let last: MetricRecord[];
      const done = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as { status: string; evaluation?: MetricRecord[]; lastMetrics?: MetricRecord[] }) : undefined;
      if (done?.status === 'complete') {
        out.log.write(`pack ${n + 1}/${mine.length} (pack-${pack.index}): already complete\n`);
        evaluation = done.evaluation ?? [];
        last = done.lastMetrics ?? [];
      } else {
        out.log.write(`pack ${n + 1}/${mine.length} (pack-${pack.index}): ${pack.units.length} replica(s), ${show(Object.fromEntries(Object.keys(def.grid).map((k) => [k, pack.run.config[k]])))}\n`);
        writeJsonAtomic(join(packDir, 'config.json'), runConfigJson(pack.run));
        const from = resumePoint(packDir, pack.run);
        const outcome = await executeRun(runtime, pack.run, packDir, from, o['no-analyze'] !== true, out, new Progress(out.log, pack.run.steps, from.state?.step ?? 0), o['no-tune'] === true);
        if (outcome.status === 'stopped') {
          out.log.write(`stopped in pack-${pack.index} at step ${outcome.step}; rerun the same command to continue\n`);
          return EXIT_INTERRUPTED;
        }
        evaluation = outcome.evaluation;
        last = outcome.summary.lastMetrics as MetricRecord[];
      }
      pack.units.forEach((unit, replica) => {
        const row: Record<string, unknown> = { point: unit.point, seedIndex: unit.seedIndex, pack: pack.index, replica, seed: pack.seed + replica, ...unit.values };
        for (const [k, v] of Object.entries(evaluation.find((r) => r.replica === replica) ?? {})) if (k !== 'step' && k !== 'replica') { row[k] = v; metricKeys.add(k); }
        for (const [k, v] of Object.entries(last.find((r) => r.replica === replica) ?? {})) if (k !== 'step' && k !== 'replica') { row[`train_${k}`] = v; metricKeys.add(`train_${k}`); }
        rows.push(row);
      });
    }
  } finally {
    interrupts.dispose();
    await runtime.close();
  }
  const results: SweepResults = { hash, preset: def.source.preset?.name, gridKeys: Object.keys(def.grid), totalUnits: units.length, metricKeys: [...metricKeys], rows };
  const files = writeSweepResults(dir, results, o.metric as string | undefined);
  out.log.write(`results: ${files.join(', ')}${shard.count > 1 ? `\njoin the shards with: onelayer merge DIR...` : ''}\n`);
  return EXIT_OK;
}

function csvCell(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** results.json, results.csv and (for a numeric first grid key) results.svg: metric against it, one line per other setting. */
export function writeSweepResults(dir: string, results: SweepResults, metric?: string): string[] {
  const rows = [...results.rows].sort((a, b) => (a.point as number) - (b.point as number) || (a.seedIndex as number) - (b.seedIndex as number));
  const sorted = { ...results, rows };
  const columns = ['point', 'seedIndex', 'pack', 'replica', 'seed', ...results.gridKeys, ...results.metricKeys];
  writeJsonAtomic(join(dir, 'results.json'), sorted);
  writeFileAtomic(join(dir, 'results.csv'), [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n');
  const files = [join(dir, 'results.json'), join(dir, 'results.csv')];
  const y = metric ?? results.metricKeys.find((k) => !k.startsWith('train_')) ?? results.metricKeys[0];
  if (metric !== undefined && !results.metricKeys.includes(metric)) throw new UsageError(`--metric = ${JSON.stringify(metric)} is not allowed: expected one of ${results.metricKeys.join(', ')}`);
  const [x, ...others] = results.gridKeys;
  if (!y || rows.length === 0 || !rows.every((r) => typeof r[x] === 'number')) return [...files, ...writePresetSummary(dir, results.preset, rows)];
  const lines = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) {
    const label = others.map((k) => `${k}=${JSON.stringify(r[k])}`).join(' ') || y;
    (lines.get(label) ?? lines.set(label, []).get(label)!).push(r);
  }
  const series: Series[] = [...lines.entries()].map(([name, members]) => {
    const xs = [...new Set(members.map((r) => r[x] as number))].sort((a, b) => a - b);
    const stats = xs.map((v) => {
      const values = members.filter((r) => r[x] === v).map((r) => r[y] as number).filter(Number.isFinite);
      const mean = values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(values.length, 1));
      return { mean, sd };
    });
    return { name, x: xs, y: stats.map((s) => s.mean), band: { lo: stats.map((s) => s.mean - s.sd), hi: stats.map((s) => s.mean + s.sd) }, markers: true };
  });
  const xsAll = rows.map((r) => r[x] as number);
  const logX = xsAll.every((v) => v > 0) && Math.max(...xsAll) / Math.min(...xsAll) >= 10;
  const seeds = Math.max(...rows.map((r) => (r.seedIndex as number) + 1));
  writeFileAtomic(join(dir, 'results.svg'), lineChart({ title: `${y} vs ${x}${seeds > 1 ? ` (mean ± std of ${seeds} seeds)` : ''}`, xLabel: x, yLabel: y, series, logX }));
  files.push(join(dir, 'results.svg'));
  return [...files, ...writePresetSummary(dir, results.preset, rows)];
}

/** A sweep preset's own tables (e.g. the Syn-Medium cell means) and figures, from the per-run rows. */
function writePresetSummary(dir: string, presetName: string | undefined, rows: Record<string, unknown>[]): string[] {
  const spec = presetName ? findPreset(presetName)?.sweep : undefined;
  if (!spec?.summarize || rows.length === 0) return [];
  const tables = spec.summarize(rows);
  const { files, skipped } = writeFiguresAndTables(dir, spec.figures ?? [], [], tables);
  if (skipped.length) files.push(...skipped.map((why) => `(figure skipped: ${why})`));
  return files;
}

export async function merge(args: ParsedArgs, out: Output): Promise<number> {
  const parts = args.positionals.map((dir) => {
    const path = join(dir, 'results.json');
    if (!existsSync(path)) usage(`merge ${dir}: no results.json there (a sweep folder whose shard finished)`);
    return { dir, results: readJsonFile(path, 'sweep results') as SweepResults };
  });
  const first = parts[0].results;
  for (const p of parts) {
    if (p.results.hash !== first.hash) usage(`merge: ${p.dir} is from sweep ${p.results.hash}, ${parts[0].dir} from sweep ${first.hash}; only shards of one sweep can be merged`);
  }
  const seen = new Map<string, Record<string, unknown>>();
  for (const p of parts) for (const row of p.results.rows) seen.set(`${row.point}/${row.seedIndex}`, row);
  const metricKeys = [...new Set(parts.flatMap((p) => p.results.metricKeys))];
  const merged: SweepResults = { hash: first.hash, preset: first.preset, gridKeys: first.gridKeys, totalUnits: first.totalUnits, metricKeys, rows: [...seen.values()] };
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const dir = (args.options.out as string | undefined) ?? join('runs', `merged-${stamp}`);
  const files = writeSweepResults(dir, merged, args.options.metric as string | undefined);
  const missing = first.totalUnits - merged.rows.length;
  out.log.write(`merged ${parts.length} folder(s): ${merged.rows.length} of ${first.totalUnits} runs of sweep ${first.hash}${missing > 0 ? ` (${missing} missing: merge the other shards too)` : ''}\n`);
  out.log.write(`results: ${files.join(', ')}\n`);
  return EXIT_OK;
}
