// onelayer bench: the bench/ suite (adapter limits, per-kernel fractions, training throughput); and
// onelayer bench report: result files compared as Markdown with SVG charts (bench/report/).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { defaultReportPath, nodeEntryLoaders, runBench } from '../../../bench/run';
import { peersFiles, validateOptions } from '../../../bench/options';
import { formatPeerTable } from '../../../bench/peers/table';
import { BenchFileError, parseBenchJson, type LoadedBench } from '../../../bench/report/schema';
import { compareRuns, labelRuns } from '../../../bench/report/compare';
import { benchReport } from '../../../bench/report/markdown';
import type { ParsedArgs } from '../args';
import { EXIT_OK, UsageError } from '../errors';
import type { Output } from '../session';

const USAGE = 'usage: onelayer bench [options] | onelayer bench report FILE.json [FILE.json ...] [--out report.md]';

export async function bench(args: ParsedArgs, out: Output): Promise<number> {
  const [subcommand, ...files] = args.positionals;
  if (subcommand === 'report') return report(files, args, out);
  if (subcommand !== undefined) throw new UsageError(`bench: unexpected argument ${JSON.stringify(subcommand)}; ${USAGE}`);
  const o = args.options;
  const runtime = (o.runtime as 'chrome' | 'node' | undefined) ?? 'chrome';
  const options = {
    repeats: o.repeats as number | undefined,
    warmup: o.warmup as number | undefined,
    quick: o.quick === true,
    filter: o.filter as string | undefined,
    files: typeof o.files === 'string' ? o.files.split(',') : undefined,
    tune: o.tune === true,
  };
  try {
    options.files = peersFiles(o.peers === true, runtime, options.files);
  } catch (e) {
    throw new UsageError(`bench: ${(e as Error).message}`);
  }
  try {
    validateOptions(options);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const known = Object.keys(nodeEntryLoaders()).sort();
  const unknown = (options.files ?? []).filter((f) => !known.includes(f));
  if (unknown.length > 0) throw new UsageError(`bench: --files ${unknown.join(',')}: no such bench/entries file; allowed: ${known.join(', ')}`);
  out.log.write(`runtime: ${runtime} (the adapter heads the table)\n`);
  const { result } = await runBench({
    ...options,
    runtime,
    out: o.out as string | undefined,
    print: (text) => out.log.write(`${text}\n`),
    progress: (line) => process.stderr.write(`[bench] ${line}\n`),
  });
  if (o.peers === true) out.log.write(`\n${formatPeerTable(result)}\n`);
  return EXIT_OK;
}

/** Every file is read and checked before anything is written: one message per bad file, exit 2. */
function report(files: string[], args: ParsedArgs, out: Output): number {
  const runOptions = Object.keys(args.options).filter((name) => name !== 'out');
  if (runOptions.length > 0) throw new UsageError(`bench report: --${runOptions[0]} applies to running the bench; report takes result files and --out only; ${USAGE}`);
  if (files.length === 0) throw new UsageError(`bench report: no result files given; ${USAGE}`);
  const loaded: LoadedBench[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      problems.push(`${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      continue;
    }
    try {
      loaded.push(parseBenchJson(text, file));
    } catch (e) {
      if (!(e instanceof BenchFileError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join('\nerror: '));

  const path = resolve((args.options.out as string | undefined) ?? defaultReportPath());
  const { markdown, svgs } = benchReport(compareRuns(labelRuns(loaded)), basename(path).replace(/\.md$/i, ''));
  mkdirSync(dirname(path), { recursive: true });
  for (const { name, svg } of svgs) writeFileSync(join(dirname(path), name), svg);
  writeFileSync(path, markdown);
  for (const note of loaded.flatMap((l) => l.notes)) out.log.write(`note: ${note}\n`);
  out.log.write(`report: ${path} (${svgs.length} SVG chart${svgs.length === 1 ? '' : 's'} beside it)\n`);
  return EXIT_OK;
}
