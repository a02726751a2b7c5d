// Bench options and their validation, free of GPU imports so that Node can check them before choosing a runtime.
import type { BenchOptions } from './types';

export const DEFAULT_OPTIONS: BenchOptions = { repeats: 5, warmup: 2, quick: false };

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

export const BENCH_USAGE = `usage: bench/main.ts [--runtime chrome|node] [--repeats N] [--warmup N] [--quick] [--filter REGEX] [--files NAME,...] [--out FILE]`;

/** Command-line flags to options; unknown flags and bad values throw with the usage line. */
export function parseBenchArgs(argv: string[]): BenchCommandOptions {
  const options: BenchCommandOptions = {};
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
      case '--out': options.out = value(); break;
      default: throw new Error(`unknown option ${flag}\n${BENCH_USAGE}`);
    }
  }
  return options;
}
