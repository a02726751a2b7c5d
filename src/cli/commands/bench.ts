// onelayer bench: the bench/ suite (adapter limits, per-kernel fractions, training throughput).
import { runBench } from '../../../bench/run';
import { validateOptions } from '../../../bench/options';
import { RUNTIME_OPTION, type CommandSpec, type ParsedArgs } from '../args';
import { EXIT_OK, UsageError } from '../errors';
import type { Output } from '../session';

export const benchSpec: CommandSpec = {
  name: 'bench',
  summary: 'Runs the benchmarks (bench/), prints the table (adapter first) and writes the JSON result.',
  positionals: '',
  minPositionals: 0,
  maxPositionals: 0,
  options: [
    { name: 'repeats', kind: 'int', valueName: 'N', min: 1, max: 10000, help: 'timed repetitions per measurement (medians reported)' },
    { name: 'warmup', kind: 'int', valueName: 'N', min: 0, max: 10000, help: 'untimed repetitions first' },
    { name: 'quick', kind: 'flag', help: 'small shapes (a quick look, e.g. on SwiftShader)' },
    { name: 'filter', kind: 'string', valueName: 'REGEX', help: 'only entries whose name matches' },
    { name: 'out', kind: 'string', valueName: 'FILE', help: 'JSON result path (default bench/results/<time>.json)' },
    RUNTIME_OPTION,
  ],
};

export async function bench(args: ParsedArgs, out: Output): Promise<number> {
  const o = args.options;
  const options = { repeats: o.repeats as number | undefined, warmup: o.warmup as number | undefined, quick: o.quick === true, filter: o.filter as string | undefined };
  try {
    validateOptions(options);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  out.log.write(`runtime: ${(o.runtime as string | undefined) ?? 'chrome'} (the adapter heads the table)\n`);
  await runBench({
    ...options,
    runtime: (o.runtime as 'chrome' | 'node' | undefined) ?? 'chrome',
    out: o.out as string | undefined,
    print: (text) => out.log.write(`${text}\n`),
    progress: (line) => process.stderr.write(`[bench] ${line}\n`),
  });
  return EXIT_OK;
}
