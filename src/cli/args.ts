// Command-line parsing: each command declares its options; anything undeclared, missing or malformed is a
// UsageError naming the option, the value and what is allowed.
import { UsageError } from './errors';

export interface OptionSpec {
  name: string; // without the leading dashes
  kind: 'string' | 'int' | 'flag' | 'repeat';
  valueName?: string;
  help: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, e.g. '<preset | config.json>'; `minPositionals`..`maxPositionals` of them. */
  positionals: string;
  minPositionals: number;
  maxPositionals: number;
  options: OptionSpec[];
}

export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string | number | boolean | string[]>;
}

/** Kernel variants: timed per call site (cached per adapter), or --no-tune for the adapter class's defaults. */
export const NO_TUNE_OPTION: OptionSpec = {
  name: 'no-tune', kind: 'flag',
  help: "use each kernel's default variant for this kind of adapter instead of timing the candidates (a resumed run keeps the choices it recorded)",
};

export const RUNTIME_OPTION: OptionSpec = {
  name: 'runtime', kind: 'string', valueName: 'chrome|node', choices: ['chrome', 'node'],
  help: 'where the GPU work runs: headless Chrome (default) or Node through Dawn',
};

export const SET_OPTION: OptionSpec = {
  name: 'set', kind: 'repeat', valueName: 'key=value',
  help: 'override a config key; the value is JSON when it parses (3, 1e-3, true, [1,2]) and a string otherwise',
};

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options: ParsedArgs['options'] = {};
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') positionals.push(...argv.slice(i + 1));
      else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new UsageError(`${spec.name}: unknown option ${arg}; ${optionList(spec)}`);
      else positionals.push(arg);
      if (arg === '--') break;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const option = byName.get(name);
    if (!option) {
      const near = [...byName.keys()].filter((k) => k.startsWith(name) || name.startsWith(k));
      throw new UsageError(`${spec.name}: unknown option --${name}${near.length ? ` (did you mean --${near[0]}?)` : ''}; ${optionList(spec)}`);
    }
    if (option.kind === 'flag') {
      if (eq >= 0) throw new UsageError(`${spec.name}: --${name} takes no value (got ${JSON.stringify(arg.slice(eq + 1))})`);
      options[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`${spec.name}: --${name} needs a value: --${name} ${option.valueName ?? 'VALUE'}`);
      value = argv[++i];
    }
    if (option.kind === 'repeat') {
      ((options[name] ??= []) as string[]).push(value);
      continue;
    }
    if (name in options) throw new UsageError(`${spec.name}: --${name} given twice (${JSON.stringify(options[name])} and ${JSON.stringify(value)})`);
    options[name] = option.kind === 'int' ? parseIntOption(option, value) : parseStringOption(option, value);
  }
  if (positionals.length < spec.minPositionals || positionals.length > spec.maxPositionals) {
    const got = positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ');
    throw new UsageError(`usage: onelayer ${spec.name} ${spec.positionals} [options] (got ${got}); see onelayer ${spec.name} --help`);
  }
  return { positionals, options };
}

function parseIntOption(option: OptionSpec, text: string): number {
  const value = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : NaN;
  const lo = option.min ?? -Infinity;
  const hi = option.max ?? Infinity;
  if (!Number.isSafeInteger(value) || value < lo || value > hi) {
    const range = [Number.isFinite(lo) ? `>= ${lo}` : '', Number.isFinite(hi) ? `<= ${hi}` : ''].filter(Boolean).join(' and ');
    throw new UsageError(`--${option.name} = ${JSON.stringify(text)} is not allowed: expected an integer${range ? ` ${range}` : ''}`);
  }
  return value;
}

function parseStringOption(option: OptionSpec, text: string): string {
  if (option.choices && !option.choices.includes(text)) {
    throw new UsageError(`--${option.name} = ${JSON.stringify(text)} is not allowed: expected one of ${option.choices.join(', ')}`);
  }
  if (text === '') throw new UsageError(`--${option.name}: the value is empty`);
  return text;
}

function optionList(spec: CommandSpec): string {
  return spec.options.length ? `options of ${spec.name}: ${spec.options.map((o) => `--${o.name}`).join(', ')}` : `${spec.name} takes no options`;
}

/** `--set key=value` pairs, in order; later ones win. */
export function parseSets(sets: readonly string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of sets ?? []) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? '' : item.slice(0, eq).trim();
    if (eq < 0 || key === '') throw new UsageError(`--set ${JSON.stringify(item)}: expected key=value (e.g. --set eta=3 or --set seed=[1,2])`);
    out[key] = parseSetValue(item.slice(eq + 1));
  }
  return out;
}

/** JSON when it parses (numbers, booleans, lists, null), the bare words NaN and ±Infinity as numbers, else a string. */
export function parseSetValue(text: string): unknown {
  const t = text.trim();
  if (t === 'NaN') return NaN;
  if (t === 'Infinity' || t === '+Infinity' || t === 'inf') return Infinity;
  if (t === '-Infinity' || t === '-inf') return -Infinity;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

export function helpText(spec: CommandSpec): string {
  const lines = [`usage: onelayer ${spec.name} ${spec.positionals} [options]`.replace(/\s+\[options\]$/, spec.options.length ? ' [options]' : ''), '', spec.summary];
  if (spec.options.length) {
    lines.push('', 'options:');
    const width = Math.max(...spec.options.map((o) => `--${o.name} ${o.kind === 'flag' ? '' : o.valueName ?? 'VALUE'}`.length));
    for (const o of spec.options) {
      const head = `--${o.name} ${o.kind === 'flag' ? '' : o.valueName ?? 'VALUE'}`;
      lines.push(`  ${head.padEnd(width)}  ${o.help}`);
    }
  }
  return lines.join('\n');
}
