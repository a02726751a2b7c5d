// What the CLI tests check about run folders: interrupting a run after a checkpoint, and two runs ending with the
// same bits (checkpoint, params and metrics).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startCli, type CliResult } from './spawn';

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** Waits until the run's checkpoint is past step `after` and before `steps`, then sends `signal`. */
export async function interruptAfterCheckpoint(args: string[], out: string, after: number, steps: number, signal: NodeJS.Signals): Promise<{ result: CliResult; at: number }> {
  const { child, done } = startCli(args);
  let at = -1;
  let finished = false;
  done.then(() => (finished = true));
  while (!finished) {
    const path = join(out, 'checkpoint.json');
    if (existsSync(path)) {
      const step = json(path).step as number;
      if (step > after && step < steps) {
        at = step;
        child.kill(signal);
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { result: await done, at };
}

export function expectSameRun(a: string, b: string): void {
  const ca = json(join(a, 'checkpoint.json'));
  const cb = json(join(b, 'checkpoint.json'));
  expect(cb.step).toBe(ca.step);
  // JSON numbers of float32 values round-trip exactly, so equal numbers are equal bits.
  expect(cb.replicas).toEqual(ca.replicas);
  expect(cb.optimizer).toEqual(ca.optimizer);
  expect(json(join(b, 'params.json'))).toEqual(json(join(a, 'params.json')));
  expect(readFileSync(join(b, 'metrics.jsonl'), 'utf8')).toBe(readFileSync(join(a, 'metrics.jsonl'), 'utf8'));
}
