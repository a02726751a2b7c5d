// Config schemas: one declaration per model drives validation (CLI, API, page form), defaults, and the form's
// fields and help text. Every error names the key, the value given and what is allowed, and all errors are
// collected before any GPU work starts.

export type FieldType = 'int' | 'number' | 'boolean' | 'enum' | 'string';

export interface FieldSpec {
  type: FieldType;
  default: unknown;
  description: string;
  min?: number;
  max?: number;
  /** Exclusive lower bound (e.g. a learning rate > 0). */
  minExclusive?: boolean;
  options?: readonly string[];
  /** May be given as one value or as a list with one value per replica (sweeps pack runs into replicas). */
  perReplica?: boolean;
  /** Form grouping in the page. */
  group?: string;
  /** Names other code gives this setting ('lr' for ICL's eta): an unknown key among them is answered with this key. */
  alsoCalled?: readonly string[];
}

export type Schema = Record<string, FieldSpec>;

export interface ConfigError {
  key: string;
  value: unknown;
  message: string;
}

export class ConfigValidationError extends Error {
  constructor(readonly errors: ConfigError[]) {
    super(errors.map((e) => `config: ${e.message}`).join('\n'));
    this.name = 'ConfigValidationError';
  }
}

function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(value);
  }
}

export function allowedText(spec: FieldSpec): string {
  switch (spec.type) {
    case 'boolean': return 'true or false';
    case 'enum': return `one of ${spec.options!.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'string': return 'a string';
    default: {
      const kind = spec.type === 'int' ? 'an integer' : 'a finite number';
      const lo = spec.min !== undefined ? `${spec.minExclusive ? '>' : '>='} ${spec.min}` : '';
      const hi = spec.max !== undefined ? `<= ${spec.max}` : '';
      const range = [lo, hi].filter(Boolean).join(' and ');
      return range ? `${kind} ${range}` : kind;
    }
  }
}

/** Checks one scalar against its spec; returns a message or null. */
export function checkFieldValue(spec: FieldSpec, value: unknown, key = 'value'): string | null {
  return checkScalar(key, spec, value);
}

function checkScalar(key: string, spec: FieldSpec, value: unknown): string | null {
  const bad = () => `${key} = ${show(value)} is not allowed: expected ${allowedText(spec)}`;
  switch (spec.type) {
    case 'boolean': return typeof value === 'boolean' ? null : bad();
    case 'string': return typeof value === 'string' ? null : bad();
    case 'enum': return typeof value === 'string' && spec.options!.includes(value) ? null : bad();
    case 'int':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad();
      if (spec.type === 'int' && !Number.isInteger(value)) return bad();
      if (spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min)) return bad();
      if (spec.max !== undefined && value > spec.max) return bad();
      return null;
    }
  }
}

/**
 * Validates `raw` against `schema`, filling defaults. `replicas` (when the schema has it) sets the length that
 * per-replica lists must have. Unknown keys are errors (a typo must not silently fall back to a default).
 */
export function validateConfig<T extends Record<string, unknown>>(schema: Schema, raw: unknown): { config: T; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { config: {} as T, errors: [{ key: '(config)', value: raw, message: `the config must be a JSON object, got ${show(raw)}` }] };
  }
  const input = raw as Record<string, unknown>;
  const known = Object.keys(schema);
  for (const key of Object.keys(input)) {
    if (!(key in schema)) {
      errors.push({ key, value: input[key], message: `unknown key '${key}'${suggestKeys(schema, key)}; allowed keys: ${known.join(', ')}` });
    }
  }
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    config[key] = key in input ? input[key] : spec.default;
  }
  const replicas = typeof config.replicas === 'number' ? config.replicas : 1;
  for (const [key, spec] of Object.entries(schema)) {
    const value = config[key];
    if (Array.isArray(value) && spec.perReplica) {
      if (value.length !== replicas) {
        errors.push({ key, value, message: `${key} has ${value.length} values but replicas = ${replicas}: give one value, or one per replica` });
        continue;
      }
      value.forEach((v, i) => {
        const msg = checkScalar(`${key}[${i}]`, spec, v);
        if (msg) errors.push({ key, value: v, message: msg });
      });
      continue;
    }
    const msg = checkScalar(key, spec, value);
    if (msg) errors.push({ key, value, message: msg + (Array.isArray(value) && !spec.perReplica ? ' (this key takes one value, not a list)' : '') });
  }
  return { config: config as T, errors };
}

/** Validates or throws ConfigValidationError listing every problem. */
export function parseConfig<T extends Record<string, unknown>>(schema: Schema, raw: unknown, check?: (c: T) => ConfigError[]): T {
  const { config, errors } = validateConfig<T>(schema, raw);
  if (errors.length === 0 && check) errors.push(...check(config));
  if (errors.length > 0) throw new ConfigValidationError(errors);
  return config;
}

/** The value of a per-replica field for replica r. */
export function perReplica(value: unknown, r: number): number {
  return Array.isArray(value) ? (value[r] as number) : (value as number);
}

/**
 * ' (did you mean …?)' for an unknown key, or ''. Keys whose `alsoCalled` names it come first; then keys that differ
 * in case or by a typo: two edits, one for keys of up to three letters (else 'lr' would suggest every short key).
 */
export function suggestKeys(schema: Schema, key: string): string {
  const lower = key.toLowerCase();
  const named = Object.keys(schema).filter((k) => schema[k].alsoCalled?.some((a) => a.toLowerCase() === lower));
  const edits = key.length <= 3 ? 1 : 2;
  const typed = Object.keys(schema).filter((k) => !named.includes(k) && (k.toLowerCase() === lower || levenshtein(k, key) <= edits));
  const near = [...named, ...typed];
  return near.length ? ` (did you mean ${near.map((n) => `'${n}'`).join(' or ')}?)` : '';
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}
