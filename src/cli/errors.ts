// What went wrong decides the exit code: 2 for bad input (usage or config, found before any GPU work),
// 1 for a failure while running, 130 for an interrupted run (the shell's convention for Ctrl-C).
import { ConfigValidationError } from '../config/schema';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERRUPTED = 130;

/** Bad command-line arguments or input files: exit code 2, message only. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure while running whose message says everything (no stack trace): exit code 1. */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigValidationError) return EXIT_BAD_INPUT;
  // A config the page (runtime chrome) rejected arrives as a RemoteError carrying the original name.
  return (error as Error)?.name === 'ConfigValidationError' ? EXIT_BAD_INPUT : EXIT_FAILURE;
}

export function messageOf(error: unknown): string {
  if (error instanceof ConfigValidationError) return error.errors.map((e) => `error: config: ${e.message}`).join('\n');
  if (error instanceof UsageError || error instanceof RunError) return `error: ${error.message}`;
  const e = error as Error;
  const detail = process.env.ONELAYER_DEBUG && e?.stack ? `\n${e.stack}` : '';
  return `error: ${e?.message ?? String(error)}${detail}`;
}
