// onelayer bench: the bench/ suite (adapter limits, per-kernel fractions, training throughput).
import { runBench } from '../../../bench/run';
import { validateOptions } from '../../../bench/options';
import type { ParsedArgs } from '../args';
import { EXIT_OK, UsageError } from '../errors';
import type { Output } from '../session';

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
