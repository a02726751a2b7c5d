// What every GPU command does first: open the runtime, print the adapter, and take over Ctrl-C so that a first
// interrupt asks the job to stop cleanly and a second one quits at once.
import { adapterLine } from '../runtime/device';
import { EXIT_INTERRUPTED, RunError } from './errors';
import { openRuntime, type JobRuntime, type RuntimeKind } from './runtime';

export interface Output {
  /** Human-facing lines (adapter, progress, where results went). */
  log: NodeJS.WriteStream;
}

export async function openRuntimeLogged(kind: RuntimeKind, out: Output): Promise<JobRuntime> {
  out.log.write(`runtime: ${kind}\n`);
  let runtime: JobRuntime;
  try {
    runtime = await openRuntime(kind);
  } catch (e) {
    throw new RunError(`no WebGPU adapter in runtime ${kind}: ${(e as Error).message}\n(onelayer doctor --runtime ${kind} says more)`);
  }
  out.log.write(`adapter: ${adapterLine(runtime.adapter)} via ${runtime.via}\n`);
  return runtime;
}

export interface Interrupts {
  readonly requested: boolean;
  dispose(): void;
}

/** First SIGINT/SIGTERM: `onFirst` (e.g. ask the job to stop at a chunk boundary); second: exit 130 now. */
export function handleInterrupts(onFirst: () => void): Interrupts {
  let requested = false;
  const handler = () => {
    if (requested) process.exit(EXIT_INTERRUPTED);
    requested = true;
    onFirst();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get requested() {
      return requested;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
