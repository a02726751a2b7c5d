// The `onelayer` command: parses the command line, runs one command, and turns what went wrong into one clear
// message and an exit code (0 ok, 1 runtime failure, 2 bad input, 130 interrupted). bin/onelayer.js runs it.
import { helpText, parseArgs, type CommandSpec, type ParsedArgs } from './args';
import * as specs from './specs';
import { EXIT_BAD_INPUT, EXIT_OK, exitCodeOf, messageOf } from './errors';
import type { Output } from './session';

type Run = (args: ParsedArgs, out: Output) => Promise<number>;

// Each command's module is loaded only when it runs: help and usage errors stay fast, and `--runtime node` never
// loads puppeteer or vite. The models' modules read WebGPU constants (GPUBufferUsage, ...) when they load, so
// Dawn's globals come first.
async function gpuModule<T>(load: () => Promise<T>): Promise<T> {
  await import('../runtime/node-globals');
  return load();
}

const commands: Record<string, { spec: CommandSpec; load: () => Promise<Run> }> = {
  list: { spec: specs.listSpec, load: () => gpuModule(() => import('./commands/info')).then((m) => m.list) },
  train: { spec: specs.trainSpec, load: () => gpuModule(() => import('./commands/train')).then((m) => m.train) },
  sweep: { spec: specs.sweepSpec, load: () => gpuModule(() => import('./commands/sweep')).then((m) => m.sweep) },
  merge: { spec: specs.mergeSpec, load: () => gpuModule(() => import('./commands/sweep')).then((m) => m.merge) },
  eval: { spec: specs.evalSpec, load: () => gpuModule(() => import('./commands/eval')).then((m) => m.evaluate) },
  grad: { spec: specs.gradSpec, load: () => gpuModule(() => import('./commands/grad')).then((m) => m.grad) },
  tune: { spec: specs.tuneSpec, load: () => gpuModule(() => import('./commands/tune')).then((m) => m.tune) },
  bench: { spec: specs.benchSpec, load: () => gpuModule(() => import('./commands/bench')).then((m) => m.bench) },
  doctor: { spec: specs.doctorSpec, load: () => gpuModule(() => import('./commands/info')).then((m) => m.doctor) },
};

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  return [
    'usage: onelayer <command> [options]   (onelayer <command> --help for its options)',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.spec.summary}`),
    '',
    'GPU commands take --runtime chrome (default: headless Chrome, WebGPU) or --runtime node (Dawn in Node).',
    'exit codes: 0 ok, 1 runtime failure, 2 bad input (usage or config), 130 interrupted.',
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const out: Output = { log: process.stdout };
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${overview()}\n`);
      return name === undefined ? EXIT_BAD_INPUT : EXIT_OK;
    }
    const command = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
    if (!command) {
      process.stderr.write(`error: unknown command ${JSON.stringify(name)}\n${overview()}\n`);
      return EXIT_BAD_INPUT;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${helpText(command.spec)}\n`);
      return EXIT_OK;
    }
    const args = parseArgs(command.spec, rest);
    // grad prints its JSON on stdout: everything for people goes to stderr there.
    if (name === 'grad' && args.options.out === undefined) out.log = process.stderr;
    return await (await command.load())(args, out);
  } catch (e) {
    process.stderr.write(`${messageOf(e)}\n`);
    return exitCodeOf(e);
  }
}
