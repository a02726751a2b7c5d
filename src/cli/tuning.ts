// Where the tuner's choices live on disk. The cache (ONELAYER_TUNE_CACHE, default ~/.cache/onelayer/tuning.json)
// maps each adapter to its timed choices, so a shape is timed once per machine; `onelayer tune` fills it ahead of
// time. A run folder's tuning.json records the choices that run used, and a resume reuses them (the same seed,
// adapter, config and choices give the same bits). A cache file that cannot be read or does not hold what it
// should is reported and rebuilt, never trusted.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { adapterLine, type AdapterReport } from '../runtime/device';
import { mergeChoices, tuneCacheProblem, type TuneCacheFile, type TuneChoice, type TunerSetup } from '../runtime/tuner';
import { writeJsonAtomic } from './files';
import type { Output } from './session';

export const RUN_TUNING_FILE = 'tuning.json';


export function tuneCachePath(): string {
  return process.env.ONELAYER_TUNE_CACHE ?? join(homedir(), '.cache', 'onelayer', 'tuning.json');
}

/** The cache file, or an empty one (saying why) when it is missing, unreadable or not a tuning cache. */
export function readTuneCache(out: Output): TuneCacheFile {
  const path = tuneCachePath();
  const empty: TuneCacheFile = { format: 'onelayer-tuning/1', adapters: {} };
  if (!existsSync(path)) return empty;
  let problem: string | null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
    problem = tuneCacheProblem(json);
  } catch (e) {
    problem = `not valid JSON (${(e as Error).message})`;
  }
  if (problem) {
    out.log.write(`tuning cache ${path}: ${problem}; not used, and rebuilt from this run's timings\n`);
    return empty;
  }
  return json as TuneCacheFile;
}

/** What a job's tuner starts from: the mode, this adapter's cached choices, and a resumed run's recorded ones. */
export function tuningArgs(out: Output, adapter: AdapterReport, noTune: boolean, runDir?: string): TunerSetup {
  const fixed = runDir ? readRunTuning(runDir) : [];
  return { mode: noTune ? 'defaults' : 'tune', cache: noTune ? [] : readTuneCache(out).adapters[adapterLine(adapter)] ?? [], fixed };
}

function readRunTuning(dir: string): TuneChoice[] {
  const path = join(dir, RUN_TUNING_FILE);
  if (!existsSync(path)) return [];
  const json = JSON.parse(readFileSync(path, 'utf8')) as { choices?: TuneChoice[] };
  return Array.isArray(json.choices) ? json.choices : [];
}

/** A job's 'tuning' event: the run folder records what it used; the cache learns what was timed. */
export function saveTuning(out: Output, adapter: AdapterReport, event: { used: TuneChoice[]; measured: TuneChoice[] }, runDir?: string): void {
  if (runDir) writeJsonAtomic(join(runDir, RUN_TUNING_FILE), { format: 'onelayer-run-tuning/1', adapter: adapterLine(adapter), choices: event.used });
  if (event.measured.length === 0) return;
  const cache = readTuneCache(out);
  const key = adapterLine(adapter);
  cache.adapters[key] = mergeChoices(cache.adapters[key] ?? [], event.measured);
  writeJsonAtomic(tuneCachePath(), cache);
}
