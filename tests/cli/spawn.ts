// Runs the real `onelayer` binary (node bin/onelayer.js) the way a user does, capturing output and exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/harness/launcher';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], cwd = projectRoot, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'onelayer.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, cwd, env).done;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `onelayer-${prefix}-`));
}

/** A failure message for expect(): the command and everything it printed. */
export function describeRun(args: string[], r: CliResult): string {
  return `onelayer ${args.join(' ')} -> exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
