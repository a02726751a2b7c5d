// Files of a run folder. Whole files (config, checkpoints, summary, figures) are written to a temporary file and
// renamed over the old one, so a reader or a resume never sees half a file; metrics.jsonl is only appended to,
// one record per write, and a resume cuts it back to the length the checkpoint recorded.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './errors';

export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** `compact` for large numeric files (checkpoints, params); people read the others. */
export function writeJsonAtomic(path: string, value: unknown, compact = false): void {
  writeFileAtomic(path, `${compact ? JSON.stringify(value) : JSON.stringify(value, null, 1)}\n`);
}

/** Reads a JSON file the user named; problems become usage errors naming the file. */
export function readJsonFile(path: string, what: string): unknown {
  if (!existsSync(path)) throw new UsageError(`${what} ${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UsageError(`${what} ${path}: is a folder, expected a JSON file`);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Append-only JSON-lines file; `bytes` is its length, which checkpoints record. */
export class JsonLines {
  private fd: number;
  bytes: number;

  constructor(readonly path: string, truncateTo?: number) {
    mkdirSync(dirname(path), { recursive: true });
    if (truncateTo !== undefined && existsSync(path)) truncateSync(path, truncateTo);
    this.fd = openSync(path, 'a');
    this.bytes = statSync(path).size;
  }

  append(records: readonly object[]): void {
    for (const record of records) {
      const line = Buffer.from(`${JSON.stringify(record)}\n`);
      writeSync(this.fd, line);
      this.bytes += line.length;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  static read<T = Record<string, number>>(path: string): T[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as T);
  }
}

/** A new run folder: DIR as given (must be absent or empty), or runs/<name>-<UTC time>. */
export function createRunFolder(out: string | undefined, name: string): string {
  if (out) {
    if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
      throw new UsageError(`--out ${out}: already exists and is not an empty folder (use --resume ${out} to continue a run there)`);
    }
    mkdirSync(out, { recursive: true });
    return out;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  let dir = join('runs', `${name}-${stamp}`);
  for (let i = 2; existsSync(dir); i++) dir = join('runs', `${name}-${stamp}-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
