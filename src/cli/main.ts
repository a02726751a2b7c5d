// The `onelayer` command: parses the command line, runs one command, and turns what went wrong into one clear
// message and an exit code (0 ok, 1 runtime failure, 2 bad input, 130 interrupted). bin/onelayer.js runs it.
import { helpText, parseArgs, type CommandSpec, type ParsedArgs } from './args';
import { EXIT_BAD_INPUT, EXIT_OK, exitCodeOf, messageOf } from './errors';
import type { Output } from './session';

interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, out: Output): Promise<number>;
}

// Loaded on demand so that `onelayer list` or a usage error never pays for puppeteer or vite. The models'
// modules read WebGPU constants (GPUBufferUsage, ...) when they load, so Dawn's globals come first.
async function loadCommands(): Promise<Record<string, Command>> {
  await import('../runtime/node-globals');
  const [info, train, sweep, evaluation, grad, bench] = await Promise.all([
    import('./commands/info'), import('./commands/train'), import('./commands/sweep'),
    import('./commands/eval'), import('./commands/grad'), import('./commands/bench'),
  ]);
  return {
    list: { spec: info.listSpec, run: info.list },
    train: { spec: train.trainSpec, run: train.train },
    sweep: { spec: sweep.sweepSpec, run: sweep.sweep },
    merge: { spec: sweep.mergeSpec, run: sweep.merge },
    eval: { spec: evaluation.evalSpec, run: evaluation.evaluate },
    grad: { spec: grad.gradSpec, run: grad.grad },
    bench: { spec: bench.benchSpec, run: bench.bench },
    doctor: { spec: info.doctorSpec, run: info.doctor },
  };
}

function overview(commands: Record<string, Command>): string {
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
    const commands = await loadCommands();
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${overview(commands)}\n`);
      return name === undefined ? EXIT_BAD_INPUT : EXIT_OK;
    }
    const command = commands[name];
    if (!command) {
      process.stderr.write(`error: unknown command ${JSON.stringify(name)}\n${overview(commands)}\n`);
      return EXIT_BAD_INPUT;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${helpText(command.spec)}\n`);
      return EXIT_OK;
    }
    const args = parseArgs(command.spec, rest);
    // grad prints its JSON on stdout: everything for people goes to stderr there.
    if (name === 'grad' && args.options.out === undefined) out.log = process.stderr;
    return await command.run(args, out);
  } catch (e) {
    process.stderr.write(`${messageOf(e)}\n`);
    return exitCodeOf(e);
  }
}
