// From what the user typed (a preset name or a config file, --set, --steps, ...) to one fully resolved and
// validated run config, before any GPU work. Every problem found is reported, each naming key, value and what
// is allowed. A config file is flat: the model's config keys plus `model`, `preset` (a base whose values the
// file overrides) and `checkpointEvery`; a run folder's config.json is such a file, fully resolved.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigValidationError, validateConfig, type ConfigError } from '../config/schema';
import { findModel, findPreset, models, presets } from '../models/registry';
import type { ModelDefinition, ModelName, Preset } from '../engine/types';
import { UsageError } from './errors';
import { readJsonFile } from './files';

/** Keys of a config file that are not model config keys. */
const RUN_KEYS = ['model', 'preset', 'checkpointEvery'] as const;

export interface RunConfig {
  model: ModelName;
  preset?: string;
  /** Used to name the run folder. */
  name: string;
  /** Every key of the model's schema, validated. */
  config: Record<string, unknown>;
  steps: number;
  metricsEvery: number;
  checkpointEvery: number;
}

/** The file as written to a run folder (and accepted back by `train`). */
export function runConfigJson(run: RunConfig): Record<string, unknown> {
  return { model: run.model, ...(run.preset ? { preset: run.preset } : {}), checkpointEvery: run.checkpointEvery, ...run.config };
}

export interface RunSource {
  model: ModelDefinition<Record<string, unknown>>;
  preset?: Preset;
  name: string;
  /** Config keys before command-line overrides (preset values, then the file's). */
  raw: Record<string, unknown>;
  checkpointEvery?: unknown;
}

function looksLikeFile(source: string): boolean {
  return source.endsWith('.json') || source.includes('/') || existsSync(source);
}

function unknownPreset(name: string): UsageError {
  const names = presets.map((p) => p.name);
  const near = names.filter((n) => n.includes(name) || name.includes(n));
  return new UsageError(
    `unknown preset ${JSON.stringify(name)}${near.length ? ` (did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?)` : ''}; ` +
      `presets: ${names.join(', ')} (onelayer list describes them); or give a config .json file`,
  );
}

function presetBase(preset: Preset, schema: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  if ('steps' in schema) base.steps = preset.steps;
  if ('metricsEvery' in schema) base.metricsEvery = preset.metricsEvery;
  return { ...base, ...preset.config };
}

/** A preset name or a config file: the model and the config keys it sets. */
export function loadRunSource(source: string): RunSource {
  if (!looksLikeFile(source)) {
    const preset = findPreset(source);
    if (!preset) throw unknownPreset(source);
    const model = findModel(preset.model)!;
    return { model, preset, name: preset.name, raw: presetBase(preset, model.schema) };
  }
  const json = readJsonFile(source, 'config file');
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(`config file ${source}: expected a JSON object of config keys, got ${JSON.stringify(json)?.slice(0, 40)}`);
  }
  const file = { ...(json as Record<string, unknown>) };
  let preset: Preset | undefined;
  if (file.preset !== undefined) {
    if (typeof file.preset !== 'string') throw new UsageError(`config file ${source}: preset = ${JSON.stringify(file.preset)} is not allowed: expected a preset name (a string)`);
    preset = findPreset(file.preset);
    if (!preset) throw unknownPreset(file.preset);
  }
  const modelName = file.model ?? preset?.model;
  const model = typeof modelName === 'string' ? findModel(modelName) : undefined;
  if (!model) {
    const allowed = Object.keys(models).map((m) => JSON.stringify(m)).join(', ');
    throw new UsageError(
      modelName === undefined
        ? `config file ${source}: no "model" key: expected "model": one of ${allowed} (or a "preset")`
        : `config file ${source}: model = ${JSON.stringify(modelName)} is not allowed: expected one of ${allowed}`,
    );
  }
  if (preset && preset.model !== model.name) {
    throw new UsageError(`config file ${source}: model = "${model.name}" but preset "${preset.name}" is a ${preset.model} preset`);
  }
  const checkpointEvery = file.checkpointEvery;
  for (const key of RUN_KEYS) delete file[key];
  const base = preset ? presetBase(preset, model.schema) : {};
  return { model, preset, name: basename(source).replace(/\.json$/, '').replace(/^config$/, model.name), raw: { ...base, ...file }, checkpointEvery };
}

export interface Overrides {
  sets?: Record<string, unknown>;
  steps?: number;
  replicas?: number;
  seed?: number;
  checkpointEvery?: number;
}

function defaultCheckpointEvery(steps: number, metricsEvery: number): number {
  const target = Math.max(1, Math.round(steps / 10));
  return metricsEvery > 0 ? metricsEvery * Math.max(1, Math.round(target / metricsEvery)) : target;
}

function checkInt(errors: ConfigError[], key: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    errors.push({ key, value, message: `${key} = ${JSON.stringify(value) ?? String(value)} is not allowed: expected an integer >= ${min}` });
  }
}

/** Applies overrides, validates everything (schema, then the model's cross-field check) and throws all problems at once. */
export function resolveRun(source: RunSource, overrides: Overrides = {}): RunConfig {
  const { model } = source;
  const raw: Record<string, unknown> = { ...source.raw, ...(overrides.sets ?? {}) };
  const cli: Array<[string, number | undefined]> = [['steps', overrides.steps], ['replicas', overrides.replicas], ['seed', overrides.seed]];
  for (const [key, value] of cli) {
    if (value === undefined) continue;
    if (!(key in model.schema) && key !== 'steps') throw new UsageError(`--${key}: the ${model.name} model has no '${key}' config key`);
    raw[key] = value;
  }
  const errors: ConfigError[] = [];
  for (const key of RUN_KEYS) {
    if (overrides.sets && key in overrides.sets) errors.push({ key, value: overrides.sets[key], message: `--set ${key}=...: '${key}' is not a config key here; choose the model with a preset or a config file` });
  }
  const stepsOutside = !('steps' in model.schema);
  if (stepsOutside) delete raw.steps;
  const { config, errors: schemaErrors } = validateConfig<Record<string, unknown>>(model.schema, raw);
  errors.push(...schemaErrors);
  const steps = stepsOutside ? overrides.steps ?? source.preset?.steps ?? 0 : config.steps;
  const metricsEvery = 'metricsEvery' in model.schema ? config.metricsEvery : source.preset?.metricsEvery ?? 0;
  if (!errors.some((e) => e.key === 'steps')) checkInt(errors, 'steps', steps, 1);
  const checkpointEvery = overrides.checkpointEvery ?? source.checkpointEvery;
  if (checkpointEvery !== undefined) checkInt(errors, 'checkpointEvery', checkpointEvery, 0);
  if (errors.length === 0) errors.push(...model.check(config), ...(source.preset?.check?.(config) ?? []));
  if (errors.length > 0) throw new ConfigValidationError(errors);
  return {
    model: model.name,
    preset: source.preset?.name,
    name: source.name,
    config,
    steps: steps as number,
    metricsEvery: metricsEvery as number,
    checkpointEvery: (checkpointEvery as number | undefined) ?? defaultCheckpointEvery(steps as number, metricsEvery as number),
  };
}

/** The adapter's limits, checked once the adapter is known and still before any GPU work. */
export function checkLimits(run: RunConfig, limits: Record<string, number>): void {
  const errors = findModel(run.model)!.check(run.config, limits);
  if (errors.length > 0) throw new ConfigValidationError(errors);
}
