// onelayer train: one run into a run folder (config.json, metrics.jsonl, checkpoint.json, params.json,
// summary.json, figures/, tables/), resumable bit for bit from its last checkpoint.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainJobResult } from '../../experiments/job';
import { checkpointToState, stateToCheckpoint, stateToParamsJson, type CheckpointJson } from '../../engine/params';
import { defaultPreset, findModel, findPreset, presets } from '../../models/registry';
import type { ArtifactsByStep, FigureSpec, MetricRecord, ResultTable, TrainerState } from '../../engine/types';
import { adapterLine } from '../../runtime/device';
import { parseSets, type ParsedArgs } from '../args';
import { EXIT_INTERRUPTED, EXIT_OK, RunError, UsageError } from '../errors';
import { createRunFolder, JsonLines, readJsonFile, writeFileAtomic, writeJsonAtomic } from '../files';
import { drawFigure } from '../figures';
import { Progress, formatDuration } from '../progress';
import { checkLimits, loadRunSource, resolveRun, runConfigJson, type RunConfig } from '../resolve';
import type { JobEvent, JobRuntime, RuntimeKind } from '../runtime';
import { handleInterrupts, openRuntimeLogged, type Output } from '../session';
import { saveTuning, tuningArgs } from '../tuning';
import type { TuneChoice } from '../../runtime/tuner';

export const CHECKPOINT_FORMAT = 'onelayer-checkpoint/1';

/** checkpoint.json: SPEC §3 params with replicas, plus optimizer state, step, and where metrics.jsonl ended. */
export interface CheckpointFile extends CheckpointJson {
  format: typeof CHECKPOINT_FORMAT;
  metricsBytes: number;
  trainSeconds: number;
}

export function readCheckpoint(dir: string): CheckpointFile | undefined {
  const path = join(dir, 'checkpoint.json');
  if (!existsSync(path)) return undefined;
  const json = readJsonFile(path, 'checkpoint') as CheckpointFile;
  if (json?.format !== CHECKPOINT_FORMAT || !Array.isArray(json.replicas) || typeof json.step !== 'number') {
    throw new UsageError(`checkpoint ${path}: not an onelayer checkpoint (format ${JSON.stringify(json?.format)}, expected ${CHECKPOINT_FORMAT})`);
  }
  return json;
}

export function stateOfCheckpoint(checkpoint: CheckpointFile, run: RunConfig, path: string): TrainerState {
  if (checkpoint.model !== run.model) throw new UsageError(`checkpoint ${path}: model ${checkpoint.model}, but the run's config says ${run.model}`);
  const replicas = run.config.replicas;
  if (typeof replicas === 'number' && checkpoint.replicas.length !== replicas) {
    throw new UsageError(`checkpoint ${path}: ${checkpoint.replicas.length} replicas, but the config says replicas = ${replicas}`);
  }
  let state: TrainerState;
  try {
    state = checkpointToState(checkpoint);
  } catch (e) {
    throw new UsageError(`checkpoint ${path}: ${(e as Error).message}`);
  }
  // A --set that changes a tensor's shape cannot apply to saved parameters: say so before any GPU work.
  const expected = findModel(run.model)!.paramShapes(run.config);
  for (const [name, shape] of Object.entries(expected)) {
    const saved = state.shapes[name];
    if (!saved || saved.join('x') !== shape.join('x')) {
      throw new UsageError(
        `checkpoint ${path}: ${name} is ${saved ? saved.join(' x ') : 'missing'}, but this config makes it ${shape.join(' x ')}; ` +
          'settings that change tensor shapes cannot be changed for a saved run',
      );
    }
  }
  return state;
}

/** The preset's figures, or for a config without a preset the metrics figures of the model's first preset. */
export function figuresFor(run: RunConfig): FigureSpec[] {
  const preset = run.preset ? findPreset(run.preset) : undefined;
  if (preset) return preset.figures;
  return presets.find((p) => p.model === run.model)?.figures.filter((f) => f.source === 'metrics') ?? [];
}

export function tableCsv(table: ResultTable): string {
  return [table.columns.join(','), ...table.rows.map((row) => row.join(','))].join('\n') + '\n';
}

/** A run folder's artifacts (artifacts/step-<k>.json), by step. */
export function readArtifacts(dir: string): ArtifactsByStep {
  const folder = join(dir, 'artifacts');
  const out: ArtifactsByStep = new Map();
  if (!existsSync(folder)) return out;
  for (const name of readdirSync(folder)) {
    const m = /^step-(\d+)\.json$/.exec(name);
    if (m) out.set(Number(m[1]), JSON.parse(readFileSync(join(folder, name), 'utf8')));
  }
  return out;
}

/** Figures and tables into `dir`; returns the files written and figures that could not be drawn. */
export function writeFiguresAndTables(
  dir: string, figures: FigureSpec[], metrics: MetricRecord[], tables: Record<string, ResultTable>, artifacts: ArtifactsByStep = new Map(),
): { files: string[]; skipped: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  for (const [name, table] of Object.entries(tables)) {
    const path = join(dir, 'tables', `${name}.csv`);
    writeFileAtomic(path, tableCsv(table));
    files.push(path);
  }
  for (const spec of figures) {
    const { svg, skipped: why } = drawFigure(spec, metrics, tables, artifacts);
    if (!svg) {
      skipped.push(`${spec.file}: ${why}`);
      continue;
    }
    const path = join(dir, 'figures', spec.file);
    writeFileAtomic(path, svg);
    files.push(path);
  }
  return { files, skipped };
}

function lastRecords(records: MetricRecord[]): MetricRecord[] {
  if (records.length === 0) return [];
  const step = Math.max(...records.map((r) => r.step));
  return records.filter((r) => r.step === step);
}

export interface ResumePoint {
  state?: TrainerState;
  metricsBytes: number;
  trainSecondsBefore: number;
}

/** Where a run folder stands: its checkpoint's state and how much of metrics.jsonl belongs to it. */
export function resumePoint(dir: string, run: RunConfig): ResumePoint {
  const checkpoint = readCheckpoint(dir);
  if (!checkpoint) return { metricsBytes: 0, trainSecondsBefore: 0 };
  const state = stateOfCheckpoint(checkpoint, run, join(dir, 'checkpoint.json'));
  if (state.step > run.steps) throw new UsageError(`steps = ${run.steps}: the checkpoint in ${dir} is already at step ${state.step}`);
  return { state, metricsBytes: checkpoint.metricsBytes, trainSecondsBefore: checkpoint.trainSeconds };
}

export interface RunOutcome {
  status: TrainJobResult['status'];
  step: number;
  evaluation: MetricRecord[];
  summary: Record<string, unknown>;
}

/**
 * Trains `run` in `dir` (config.json already written) from `from`, writing metrics, checkpoints, params,
 * figures and summary. A divergence throws a RunError after keeping the last good checkpoint.
 */
export async function executeRun(
  runtime: JobRuntime, run: RunConfig, dir: string, from: ResumePoint, analyze: boolean, out: Output, progress: Progress, noTune: boolean,
): Promise<RunOutcome> {
  const metrics = new JsonLines(join(dir, 'metrics.jsonl'), from.metricsBytes);
  const startStep = from.state?.step ?? 0;
  const jobStart = performance.now();
  let lastCheckpoint: number | undefined = from.state?.step;
  const onEvent = (event: JobEvent) => {
    if (event.kind === 'tuning') saveTuning(out, runtime.adapter, event as unknown as { used: TuneChoice[]; measured: TuneChoice[] }, dir);
    else if (event.kind === 'progress') progress.update(event.step as number);
    else if (event.kind === 'artifacts') writeJsonAtomic(join(dir, 'artifacts', `step-${event.step}.json`), event.artifacts, true);
    else if (event.kind === 'metrics') {
      const records = event.records as MetricRecord[];
      metrics.append(records);
      progress.metrics(records);
    } else if (event.kind === 'checkpoint') {
      const s = event.state as TrainerState;
      const checkpoint: CheckpointFile = {
        format: CHECKPOINT_FORMAT,
        ...stateToCheckpoint(s),
        metricsBytes: metrics.bytes,
        trainSeconds: from.trainSecondsBefore + (performance.now() - jobStart) / 1000,
      };
      writeJsonAtomic(join(dir, 'checkpoint.json'), checkpoint, true);
      lastCheckpoint = s.step;
      if (s.step === run.steps) writeJsonAtomic(join(dir, 'params.json'), stateToParamsJson(s), true);
    }
  };
  let result: TrainJobResult;
  try {
    result = await runtime.run(
      'trainJob',
      {
        model: run.model, preset: run.preset, config: run.config, steps: run.steps, metricsEvery: run.metricsEvery,
        checkpointEvery: run.checkpointEvery, state: from.state, analyze,
        tuning: tuningArgs(out, runtime.adapter, noTune, from.state ? dir : undefined),
      },
      onEvent,
    );
  } finally {
    metrics.close();
    progress.finish();
  }
  const trainSeconds = from.trainSecondsBefore + (performance.now() - jobStart) / 1000;
  const records = JsonLines.read<MetricRecord>(join(dir, 'metrics.jsonl'));
  const summary: Record<string, unknown> = {
    status: result.status,
    model: run.model,
    preset: run.preset ?? null,
    step: result.step,
    steps: run.steps,
    replicas: run.config.replicas ?? 1,
    adapter: adapterLine(runtime.adapter),
    runtime: runtime.kind,
    trainSeconds,
    stepsPerSecond: (result.step - startStep) / Math.max((performance.now() - jobStart) / 1000, 1e-9),
    lastMetrics: lastRecords(records),
  };
  if (result.status === 'diverged') {
    const d = result.divergence!;
    const kept = lastCheckpoint === undefined
      ? 'no checkpoint was written before it'
      : `the last good checkpoint (step ${lastCheckpoint}) is kept in ${join(dir, 'checkpoint.json')}`;
    const message = `${d.name} became ${d.value} at step ${d.step} in replica ${d.replica}; ${kept} (a smaller learning rate usually helps)`;
    writeJsonAtomic(join(dir, 'summary.json'), { ...summary, divergence: d, message });
    throw new RunError(message);
  }
  if (result.status === 'stopped') {
    writeJsonAtomic(join(dir, 'summary.json'), summary);
    return { status: result.status, step: result.step, evaluation: [], summary };
  }
  const analysis = result.analysis ?? {};
  const { files, skipped } = writeFiguresAndTables(dir, figuresFor(run), records, analysis, readArtifacts(dir));
  const evaluation = result.evaluation ?? [];
  const full = { ...summary, evaluation, analysis, adapterReport: runtime.adapter, files };
  writeJsonAtomic(join(dir, 'summary.json'), full);
  for (const why of skipped) out.log.write(`figure skipped: ${why}\n`);
  return { status: result.status, step: result.step, evaluation, summary: full };
}

export async function train(args: ParsedArgs, out: Output): Promise<number> {
  const o = args.options;
  const runtimeKind = (o.runtime as RuntimeKind | undefined) ?? 'chrome';
  let run: RunConfig;
  let dir: string | undefined;
  let from: ResumePoint = { metricsBytes: 0, trainSecondsBefore: 0 };
  if (o.resume !== undefined) {
    const conflicting = ['set', 'replicas', 'seed', 'out', 'checkpoint-every'].filter((k) => k in o);
    if (args.positionals.length > 0 || conflicting.length > 0) {
      const what = [...args.positionals, ...conflicting.map((k) => `--${k}`)].join(', ');
      throw new UsageError(`--resume continues a run with its saved config; ${what} cannot be combined with it (only --steps, to train longer, and --runtime)`);
    }
    dir = o.resume as string;
    const configPath = join(dir, 'config.json');
    if (!existsSync(configPath)) throw new UsageError(`--resume ${dir}: no config.json there (not a run folder)`);
    run = resolveRun(loadRunSource(configPath), { steps: o.steps as number | undefined });
    from = resumePoint(dir, run);
  } else {
    const source = loadRunSource(args.positionals[0] ?? defaultPreset.name);
    run = resolveRun(source, {
      sets: parseSets(o.set as string[] | undefined),
      steps: o.steps as number | undefined,
      replicas: o.replicas as number | undefined,
      seed: o.seed as number | undefined,
      checkpointEvery: o['checkpoint-every'] as number | undefined,
    });
    if (o.out !== undefined) createRunFolder(o.out as string, run.name); // refuse a used folder before starting the GPU
  }

  const runtime = await openRuntimeLogged(runtimeKind, out);
  const interrupts = handleInterrupts(() => {
    out.log.write('\ninterrupt: stopping at the next checkpoint (press Ctrl-C again to quit without one)\n');
    runtime.requestStop().catch(() => {});
  });
  try {
    checkLimits(run, runtime.adapter.limits);
    dir ??= createRunFolder(o.out as string | undefined, run.name);
    writeJsonAtomic(join(dir, 'config.json'), runConfigJson(run));
    const startStep = from.state?.step ?? 0;
    out.log.write(`run folder: ${dir}\n`);
    out.log.write(
      `${run.preset ?? run.model}: ${run.steps} steps, ${run.config.replicas ?? 1} replica(s), ${run.checkpointEvery > 0 ? `checkpoint every ${run.checkpointEvery}` : 'no checkpoints'}` +
        `${startStep > 0 ? `, resuming at step ${startStep}` : ''}\n`,
    );
    if (interrupts.requested) return EXIT_INTERRUPTED;
    const outcome = await executeRun(runtime, run, dir, from, o['no-analyze'] !== true, out, new Progress(out.log, run.steps, startStep), o['no-tune'] === true);
    if (outcome.status === 'stopped') {
      out.log.write(run.checkpointEvery > 0
        ? `stopped at step ${outcome.step} (checkpoint saved); continue with: onelayer train --resume ${dir}\n`
        : `stopped at step ${outcome.step}; this run writes no checkpoints (--checkpoint-every 0), so it cannot be resumed\n`);
      return EXIT_INTERRUPTED;
    }
    printEvaluation(out, outcome.evaluation);
    const seconds = (outcome.summary.trainSeconds as number) - from.trainSecondsBefore;
    out.log.write(`trained ${outcome.step - startStep} steps in ${formatDuration(seconds)} on ${adapterLine(runtime.adapter)}\n`);
    out.log.write(`results: ${dir} (summary.json, metrics.jsonl, params.json, checkpoint.json)\n`);
    const figureFiles = (outcome.summary.files as string[]).filter((f) => f.endsWith('.svg'));
    if (figureFiles.length) out.log.write(`figures: ${figureFiles.join(', ')}\n`);
    return EXIT_OK;
  } finally {
    interrupts.dispose();
    await runtime.close();
  }
}

export function printEvaluation(out: Output, records: MetricRecord[]): void {
  if (records.length === 0) return;
  const all = Object.keys(records[0]).filter((k) => k !== 'step' && k !== 'replica');
  const keys = all.slice(0, 6);
  const more = all.length > keys.length ? `; ${all.length - keys.length} more metrics in summary.json` : '';
  out.log.write(`evaluation (${records.length} replica${records.length > 1 ? 's' : ''}${more}):\n`);
  out.log.write(`  replica  ${keys.map((k) => k.padStart(12)).join(' ')}\n`);
  for (const r of records) out.log.write(`  ${String(r.replica).padStart(7)}  ${keys.map((k) => String(Number(r[k]?.toPrecision?.(5) ?? r[k])).padStart(12)).join(' ')}\n`);
}
