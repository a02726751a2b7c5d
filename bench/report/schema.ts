// The bench result file: what `onelayer bench --out` and the bench page write, and what the page's compare view
// and `onelayer bench report` read. Reading checks everything before anything is drawn, and says what is wrong
// in words a person can act on: not JSON (where it broke, or that it was cut off), another file kind, another
// version, or which fields are missing or malformed.
import type { BenchResult } from '../types';

export const BENCH_SCHEMA = 'onelayer-bench';
export const BENCH_VERSION = 1;

const WHAT_IS_READ = `the JSON that onelayer bench --out or the bench page's Download writes ("schema": "${BENCH_SCHEMA}", "version": ${BENCH_VERSION})`;

/** A file that cannot be read as a bench result; the message names the file and what is wrong. */
export class BenchFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchFileError';
  }
}

export interface LoadedBench {
  /** The file's name, as given (shown in messages, tables and reports). */
  source: string;
  result: BenchResult;
  /** Things a reader should know about the file (e.g. it predates the schema marker). */
  notes: string[];
}

/** Reads one bench result file's text; throws BenchFileError with a message naming `source`. */
export function parseBenchJson(text: string, source: string): LoadedBench {
  if (text.trim() === '') throw new BenchFileError(`${source} is empty; expected ${WHAT_IS_READ}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BenchFileError(describeSyntaxError(text, source, (e as Error).message));
  }
  return checkBenchResult(value, source);
}

// ---- Where a JSON text breaks -------------------------------------------------------------------------------

interface SyntaxProblem {
  offset: number;
  /** The text ended while a value was still open: the file was cut off. */
  truncated: boolean;
  expected: string;
  /** Where in the document it happened, e.g. entries[17].dispatches[0]. */
  path: string;
}

/**
 * Finds the first syntax error of a JSON text the engine refused. Engines word and place their errors
 * differently (and some not at all), so the page and the CLI locate it themselves, the same way.
 */
function findSyntaxError(text: string): SyntaxProblem | null {
  const n = text.length;
  const path: (string | number)[] = [];
  let i = 0;
  class Stop {
    constructor(readonly problem: SyntaxProblem) {}
  }
  const fail = (expected: string): never => {
    throw new Stop({ offset: i, truncated: i >= n, expected, path: pathText(path) });
  };
  const whitespace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = (): string => {
    const start = i++;
    while (i < n) {
      const c = text[i];
      if (c === '"') return JSON.parse(text.slice(start, ++i)) as string;
      if (c === '\\') {
        i++;
        if (i < n && text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('four hex digits after \\u');
          i += 4;
        } else if (i < n && !'"\\/bfnrt'.includes(text[i])) fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      } else if (c < ' ') fail('a closing \'"\' (line breaks and control characters inside a string must be escaped)');
      i++;
    }
    return fail('the closing \'"\' of a string');
  };
  const number = () => {
    const match = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    match.lastIndex = i;
    const m = match.exec(text);
    if (!m) fail('a value');
    i += m![0].length;
    // A number cut off after its '.' or exponent mark ("2." at the end of the file) is a truncation too.
    if (i < n && /[.eE+-]/.test(text[i]) && /^[.eE+-]*\d*$/.test(text.slice(i))) {
      i = n;
      fail('the rest of a number');
    }
  };
  const value = (): void => {
    whitespace();
    const c = text[i];
    if (c === '{') {
      i++;
      whitespace();
      if (text[i] === '}') return void i++;
      for (;;) {
        whitespace();
        if (text[i] !== '"') fail('a property name in double quotes');
        path.push(string());
        whitespace();
        if (text[i] !== ':') fail("':' after the property name");
        i++;
        value();
        path.pop();
        whitespace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') return void i++;
        fail("',' or '}' after a property value");
      }
    }
    if (c === '[') {
      i++;
      whitespace();
      if (text[i] === ']') return void i++;
      for (let k = 0; ; k++) {
        path.push(k);
        value();
        path.pop();
        whitespace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') return void i++;
        fail("',' or ']' after an array element");
      }
    }
    if (c === '"') return void string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) return void (i += word.length);
      if (i < n && word.startsWith(text.slice(i).trimEnd())) {
        i = n;
        fail(`the rest of '${word}'`);
      }
    }
    fail('a value (object, array, string, number, true, false or null)');
  };
  try {
    value();
    whitespace();
    if (i < n) fail('the end of the file after the JSON value');
    return null;
  } catch (e) {
    if (e instanceof Stop) return e.problem;
    throw e;
  }
}

function pathText(path: (string | number)[]): string {
  return path.map((p, k) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `${k ? '.' : ''}${p}` : `[${JSON.stringify(p)}]`)).join('');
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function describeSyntaxError(text: string, source: string, engineMessage: string): string {
  const problem = findSyntaxError(text);
  if (!problem) return `${source} is not valid JSON (${engineMessage})`;
  const { line, column } = lineAndColumn(text, problem.offset);
  const where = problem.path ? ` inside ${problem.path}` : '';
  if (problem.truncated) {
    return `${source} is cut off: the JSON ends at line ${line}, column ${column} (byte ${text.length})${where} while expecting ${problem.expected}; the file looks truncated (interrupted while being written or copied)`;
  }
  const found = JSON.stringify(text.slice(problem.offset, problem.offset + 12));
  return `${source} is not valid JSON: at line ${line}, column ${column}${where}: expected ${problem.expected}, found ${found}`;
}

// ---- Fields ---------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Collects every problem of a document (path: what is wrong), so one message lists them all. */
class FieldChecker {
  readonly problems: string[] = [];

  private expect(ok: boolean, path: string, expected: string, v: unknown): boolean {
    if (!ok) this.problems.push(`${path}: ${v === undefined ? `missing (expected ${expected})` : `expected ${expected}, found ${shown(v)}`}`);
    return ok;
  }

  object(v: unknown, path: string): v is Json {
    return this.expect(isObject(v), path, 'an object', v);
  }

  string(o: Json, key: string, path: string, optional = false): void {
    if (optional && o[key] === undefined) return;
    this.expect(typeof o[key] === 'string', `${path}.${key}`, 'a string', o[key]);
  }

  boolean(o: Json, key: string, path: string): void {
    this.expect(typeof o[key] === 'boolean', `${path}.${key}`, 'true or false', o[key]);
  }

  oneOf(o: Json, key: string, path: string, allowed: readonly string[]): void {
    this.expect(allowed.includes(o[key] as string), `${path}.${key}`, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, o[key]);
  }

  /** A finite number >= min (JSON.stringify writes null for NaN and infinities: those are refused here). */
  number(o: Json, key: string, path: string, { min = 0, integer = false, optional = false } = {}): void {
    const v = o[key];
    if (optional && v === undefined) return;
    const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && (!integer || Number.isInteger(v));
    this.expect(ok, `${path}.${key}`, `${integer ? 'an integer' : 'a finite number'} >= ${min}`, v);
  }

  stringList(o: Json, key: string, path: string, optional = false): void {
    const v = o[key];
    if (optional && v === undefined) return;
    this.expect(Array.isArray(v) && v.every((s) => typeof s === 'string'), `${path}.${key}`, 'a list of strings', v);
  }

  list(o: Json, key: string, path: string, optional = false): unknown[] {
    const v = o[key];
    if (optional && v === undefined) return [];
    return this.expect(Array.isArray(v), `${path}.${key}`, 'a list', v) ? (v as unknown[]) : [];
  }
}

const MEASURED = ['ms', 'inner', 'flops', 'bytes', 'gflops', 'gbps', 'fmaFraction', 'copyFraction'] as const;

function checkEntry(check: FieldChecker, e: unknown, path: string): void {
  if (!check.object(e, path)) return;
  for (const key of ['file', 'name', 'shape']) check.string(e, key, path);
  for (const key of MEASURED) check.number(e, key, path, { optional: true });
  check.list(e, 'dispatches', path, true).forEach((d, k) => {
    const at = `${path}.dispatches[${k}]`;
    if (!check.object(d, at)) return;
    check.string(d, 'label', at);
    check.number(d, 'ms', at);
    check.number(d, 'flops', at);
    check.number(d, 'bytes', at);
  });
  if (e.hostWork !== undefined && check.object(e.hostWork, `${path}.hostWork`)) {
    check.string(e.hostWork, 'unit', `${path}.hostWork`);
    check.number(e.hostWork, 'perSecond', `${path}.hostWork`);
    check.number(e.hostWork, 'ms', `${path}.hostWork`);
  }
  if (e.ms === undefined && e.hostWork === undefined) check.problems.push(`${path}: has neither a kernel time (ms) nor hostWork: nothing was measured`);
}

/** Every field the page and the report use, with its type; what is not listed (e.g. timing samples) may vary. */
function fieldProblems(o: Json): string[] {
  const check = new FieldChecker();
  check.string(o, 'date', '');
  check.string(o, 'incomplete', '', true);
  check.oneOf(o, 'timing', '', ['timestamp-query', 'wall-clock']);
  check.number(o, 'seconds', '');
  if (check.object(o.adapter, '.adapter')) {
    const a = o.adapter;
    check.oneOf(a, 'runtime', '.adapter', ['chrome', 'node']);
    for (const key of ['vendor', 'architecture', 'device', 'description']) check.string(a, key, '.adapter');
    check.boolean(a, 'isSoftware', '.adapter');
    check.stringList(a, 'features', '.adapter');
    check.object(a.limits, '.adapter.limits');
  }
  if (check.object(o.options, '.options')) {
    check.number(o.options, 'repeats', '.options', { min: 1, integer: true });
    check.number(o.options, 'warmup', '.options', { integer: true });
    check.boolean(o.options, 'quick', '.options');
    check.string(o.options, 'filter', '.options', true);
    check.stringList(o.options, 'files', '.options', true);
  }
  if (check.object(o.limits, '.limits')) {
    for (const key of ['fmaGflops', 'copyKernelGBps', 'copyBufferGBps', 'copyGBps', 'copyBytes']) check.number(o.limits, key, '.limits');
    check.string(o.limits, 'fmaShape', '.limits');
  }
  check.list(o, 'entries', '').forEach((e, k) => checkEntry(check, e, `.entries[${k}]`));
  return check.problems.map((p) => p.replace(/^\./, ''));
}

/** Checks an already-parsed document; throws BenchFileError naming `source` and every problem found. */
export function checkBenchResult(value: unknown, source: string): LoadedBench {
  if (!isObject(value)) {
    const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    throw new BenchFileError(`${source} holds ${kind}, not a bench result; expected ${WHAT_IS_READ}`);
  }
  const notes: string[] = [];
  if (value.schema === undefined) {
    // Files written before the marker existed carry exactly version 1's fields (the marker was added without
    // changing any of them), so they are read as version 1 when those fields are all there.
    const missing = ['adapter', 'limits', 'entries', 'options'].filter((key) => !(key in value));
    if (missing.length > 0) {
      const keys = Object.keys(value).slice(0, 8).join(', ');
      throw new BenchFileError(`${source} is not a bench result: it has no "schema" field, and no ${missing.map((k) => `"${k}"`).join(', ')} either (its keys: ${keys || 'none'}); expected ${WHAT_IS_READ}`);
    }
    notes.push(`${source} has no "schema" marker: written by onelayer bench before results were marked; its fields are those of version ${BENCH_VERSION} and were read as such`);
  } else if (value.schema !== BENCH_SCHEMA) {
    throw new BenchFileError(`${source} is a ${shown(value.schema)} file, not a bench result; expected ${WHAT_IS_READ}`);
  } else if (value.version !== BENCH_VERSION) {
    const v = value.version;
    const why = typeof v === 'number' && v > BENCH_VERSION ? ' (written by a newer onelayer: update this one to read it)' : '';
    throw new BenchFileError(`${source} is ${BENCH_SCHEMA} version ${shown(v)}${why}; this onelayer reads version ${BENCH_VERSION} only`);
  }
  const problems = fieldProblems(value);
  if (problems.length > 0) {
    const listed = problems.slice(0, 12).map((p) => `  ${p}`);
    if (problems.length > 12) listed.push(`  ... and ${problems.length - 12} more`);
    throw new BenchFileError(`${source} is not a complete bench result (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${listed.join('\n')}`);
  }
  const result = { ...value, schema: BENCH_SCHEMA, version: BENCH_VERSION } as BenchResult;
  return { source, result, notes };
}
