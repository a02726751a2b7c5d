// Bench options and their validation, free of GPU imports so that Node can check them before choosing a runtime.
import type { BenchOptions } from './types';

export const DEFAULT_OPTIONS: BenchOptions = { repeats: 5, warmup: 2, quick: false };

/**
 * The entry file of the TF.js peers (bench/entries/peers.ts). It runs only when asked for (--peers, or named in
 * `files` as the bench page does): loading TF.js and building its models is slow, and it only runs in a page.
 */
export const PEERS_FILE = 'peers';

/** The entry files a run times when none are named: all but the peers'. */
export function defaultEntryFiles(available: string[]): string[] {
  return available.filter((file) => file !== PEERS_FILE);
}

/** Checks options before any GPU work; errors name the option, the value and what is allowed. */
export function validateOptions(options: Partial<BenchOptions>): BenchOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<BenchOptions>;
  const merged = { ...DEFAULT_OPTIONS, ...given };
  for (const key of ['repeats', 'warmup'] as const) {
    const v = merged[key];
    const min = key === 'repeats' ? 1 : 0;
    if (!Number.isInteger(v) || v < min) throw new RangeError(`bench: ${key} = ${v}; allowed: an integer >= ${min}`);
  }
  if (merged.files !== undefined && (!Array.isArray(merged.files) || merged.files.some((f) => typeof f !== 'string' || f === ''))) {
    throw new RangeError(`bench: files = ${JSON.stringify(merged.files)}; allowed: a list of bench/entries file names`);
  }
  if (merged.tune !== undefined && typeof merged.tune !== 'boolean') throw new RangeError(`bench: tune = ${JSON.stringify(merged.tune)}; allowed: true or false`);
  if (merged.filter !== undefined) {
    try {
      new RegExp(merged.filter, 'i');
    } catch (e) {
      throw new RangeError(`bench: filter = ${JSON.stringify(merged.filter)} is not a valid regular expression (${(e as Error).message})`);
    }
  }
  return merged;
}

/** What the command line sets; bench/run.ts's RunBenchOptions adds output callbacks. */
export interface BenchCommandOptions extends Partial<BenchOptions> {
  runtime?: 'chrome' | 'node';
  out?: string;
}

export const BENCH_USAGE = `usage: bench/main.ts [--runtime chrome|node] [--repeats N] [--warmup N] [--quick] [--filter REGEX] [--files NAME,...] [--peers] [--tune] [--out FILE]`;

/**
 * The command line's rules for --peers (bench/main.ts and `onelayer bench`), as the files to run: with it, the
 * peers' file joins the named files, or runs alone when none are named; without it, it is not run.
 */
export function peersFiles(peers: boolean, runtime: string | undefined, files: string[] | undefined): string[] | undefined {
  if (!peers) {
    if (files?.includes(PEERS_FILE)) throw new Error(`--files ${PEERS_FILE}: the TF.js peers run with --peers`);
    return files;
  }
  if (runtime === 'node') throw new Error('--peers times TensorFlow.js beside onelayer in the page: it needs --runtime chrome (the default), not node (in plain Node, the bundle of bench/device/build.sh runs the peers)');
  return [...new Set([...(files ?? []), PEERS_FILE])];
}

/** Command-line flags to options; unknown flags and bad values throw with the usage line. */
export function parseBenchArgs(argv: string[]): BenchCommandOptions {
  const options: BenchCommandOptions = {};
  let peers = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${BENCH_USAGE}`);
      return v;
    };
    const integer = () => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v)) throw new Error(`${flag} = ${v}; allowed: a non-negative integer\n${BENCH_USAGE}`);
      return n;
    };
    switch (flag) {
      case '--runtime': {
        const v = value();
        if (v !== 'chrome' && v !== 'node') throw new Error(`--runtime = ${v}; allowed: chrome, node\n${BENCH_USAGE}`);
        options.runtime = v;
        break;
      }
      case '--repeats': options.repeats = integer(); break;
      case '--warmup': options.warmup = integer(); break;
      case '--quick': options.quick = true; break;
      case '--filter': options.filter = value(); break;
      case '--files': options.files = value().split(','); break;
      case '--peers': peers = true; break;
      case '--tune': options.tune = true; break;
      case '--out': options.out = value(); break;
      default: throw new Error(`unknown option ${flag}\n${BENCH_USAGE}`);
    }
  }
  try {
    const files = peersFiles(peers, options.runtime, options.files);
    if (files !== undefined) options.files = files;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${BENCH_USAGE}`);
  }
  return options;
}
