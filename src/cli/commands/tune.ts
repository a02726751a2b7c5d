// onelayer tune: times the kernel variants of every call site of the given presets or configs on this adapter
// and caches the fastest (src/cli/tuning.ts), so that later runs of those shapes start without timing. Prints
// what each site chose and what each variant took.
import { defaultPreset } from '../../models/registry';
import type { TuneChoice } from '../../runtime/tuner';
import { adapterLine } from '../../runtime/device';
import { parseSets, type ParsedArgs } from '../args';
import { EXIT_OK } from '../errors';
import { checkLimits, loadRunSource, resolveRun } from '../resolve';
import type { RuntimeKind } from '../runtime';
import { openRuntimeLogged, type Output } from '../session';
import { readTuneCache, saveTuning, tuneCachePath } from '../tuning';

function describe(c: TuneChoice): string {
  const variant = JSON.stringify(c.variant);
  if (!c.timings) return `${c.site} ${variant} (cached)`;
  const times = c.timings.map((t) => `${JSON.stringify(t.variant)} ${t.ms.toPrecision(3)} ms`).join(', ');
  return `${c.site} ${variant} — ${times}`;
}

export async function tune(args: ParsedArgs, out: Output): Promise<number> {
  const o = args.options;
  const sources = args.positionals.length > 0 ? args.positionals : [defaultPreset.name];
  const runs = sources.map((source) => resolveRun(loadRunSource(source), { sets: parseSets(o.set as string[] | undefined), replicas: o.replicas as number | undefined }));
  const runtime = await openRuntimeLogged((o.runtime as RuntimeKind | undefined) ?? 'chrome', out);
  try {
    for (const run of runs) checkLimits(run, runtime.adapter.limits);
    for (const [i, run] of runs.entries()) {
      const cache = readTuneCache(out).adapters[adapterLine(runtime.adapter)] ?? [];
      const start = performance.now();
      const result = await runtime.run('tuneJob', { model: run.model, config: run.config, tuning: { mode: 'tune', cache, fixed: [] } });
      saveTuning(out, runtime.adapter, result);
      out.log.write(`${sources[i]}: ${result.used.length} call sites, ${result.measured.length} timed now (${((performance.now() - start) / 1000).toFixed(1)} s)\n`);
      for (const c of result.measured) out.log.write(`  ${describe(c)}\n`);
    }
    out.log.write(`cache: ${tuneCachePath()}\n`);
    return EXIT_OK;
  } finally {
    await runtime.close();
  }
}
