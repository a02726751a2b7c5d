// onelayer eval: evaluates a run's last checkpoint, optionally under changed evaluation settings (--set S1=0.5,
// alphaTest=..., ...), and runs the preset's analyses (e.g. OOD sweeps, pruning curves) into a new folder.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { adapterLine } from '../../runtime/device';
import { parseSets, type ParsedArgs } from '../args';
import { EXIT_OK, UsageError } from '../errors';
import { createRunFolder, writeJsonAtomic } from '../files';
import { checkLimits, loadRunSource, resolveRun } from '../resolve';
import type { RuntimeKind } from '../runtime';
import { saveTuning, tuningArgs } from '../tuning';
import type { TuneChoice } from '../../runtime/tuner';
import { openRuntimeLogged, type Output } from '../session';
import { figuresFor, printEvaluation, readCheckpoint, stateOfCheckpoint, writeFiguresAndTables } from './train';

export async function evaluate(args: ParsedArgs, out: Output): Promise<number> {
  const o = args.options;
  const dir = args.positionals[0];
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new UsageError(`eval ${dir}: no config.json there (not a run folder)`);
  const sets = parseSets(o.set as string[] | undefined);
  const run = resolveRun(loadRunSource(configPath), { sets });
  const checkpoint = readCheckpoint(dir);
  if (!checkpoint) throw new UsageError(`eval ${dir}: no checkpoint.json yet (the run wrote none)`);
  const state = stateOfCheckpoint(checkpoint, run, join(dir, 'checkpoint.json'));
  const runtime = await openRuntimeLogged((o.runtime as RuntimeKind | undefined) ?? 'chrome', out);
  try {
    checkLimits(run, runtime.adapter.limits);
    const outDir = createRunFolder((o.out as string | undefined) ?? join(dir, `eval-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`), 'eval');
    out.log.write(`evaluating ${dir} at step ${state.step}${Object.keys(sets).length ? ` with ${JSON.stringify(sets)}` : ''}\n`);
    const start = performance.now();
    // The run's recorded choices where the shapes are the same (an eval may change settings that change shapes).
    const tuning = tuningArgs(out, runtime.adapter, o['no-tune'] === true, dir);
    const result = await runtime.run('evalJob', { model: run.model, preset: run.preset, config: run.config, state, analyze: o['no-analyze'] !== true, tuning }, (event) => {
      if (event.kind === 'tuning') saveTuning(out, runtime.adapter, event as unknown as { used: TuneChoice[]; measured: TuneChoice[] });
    });
    const figures = figuresFor(run).filter((f) => f.source !== 'metrics');
    const { files, skipped } = writeFiguresAndTables(outDir, figures, [], result.analysis);
    writeJsonAtomic(join(outDir, 'summary.json'), {
      run: dir, step: state.step, overrides: sets, adapter: adapterLine(runtime.adapter), runtime: runtime.kind,
      seconds: (performance.now() - start) / 1000, evaluation: result.evaluation, analysis: result.analysis, files,
    });
    printEvaluation(out, result.evaluation);
    for (const s of skipped) out.log.write(`figure skipped: ${s}\n`);
    out.log.write(`results: ${outDir} (summary.json${files.length ? `, ${files.map((f) => f.slice(outDir.length + 1)).join(', ')}` : ''})\n`);
    return EXIT_OK;
  } finally {
    await runtime.close();
  }
}
