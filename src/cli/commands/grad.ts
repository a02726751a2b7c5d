// onelayer grad: loss and gradients of one params set on one batch, SPEC §3 formats in and out, from the GPU
// (default) or the float64 reference. The reference also reads the inputs first, so malformed params or batches
// are reported as bad input before any GPU work.
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { ConfigValidationError, validateConfig } from '../../config/schema';
import { selectReplica } from '../../experiments/params';
import { findModel, models } from '../../experiments/registry';
import type { LossGradsJson, ParamsJson } from '../../experiments/types';
import { parseSets, type ParsedArgs } from '../args';
import { EXIT_OK, UsageError } from '../errors';
import { readJsonFile, writeFileAtomic } from '../files';
import { loadRunSource } from '../resolve';
import type { RuntimeKind } from '../runtime';
import { openRuntimeLogged, type Output } from '../session';

export async function grad(args: ParsedArgs, out: Output): Promise<number> {
  const o = args.options;
  if (o.params === undefined) throw new UsageError('grad: --params P.json is required');
  if (o.batch === undefined) throw new UsageError('grad: --batch B.json is required');
  const paramsFile = readJsonFile(o.params as string, '--params') as ParamsJson;
  const batch = readJsonFile(o.batch as string, '--batch');
  if (paramsFile === null || typeof paramsFile !== 'object' || (!paramsFile.params && !Array.isArray(paramsFile.replicas))) {
    throw new UsageError(`--params ${o.params}: expected SPEC §3 params: {"model": ..., "params": {...}} or {"model": ..., "replicas": [...]}`);
  }
  const modelName = (o.model as string | undefined) ?? paramsFile.model;
  const model = typeof modelName === 'string' ? findModel(modelName) : undefined;
  if (!model) throw new UsageError(`--params ${o.params}: model = ${JSON.stringify(modelName)}; expected one of ${Object.keys(models).join(', ')} (or pass --model)`);
  if (paramsFile.model !== undefined && paramsFile.model !== model.name) {
    throw new UsageError(`--model ${model.name} but --params ${o.params} holds ${JSON.stringify(paramsFile.model)} params`);
  }
  let base: Record<string, unknown> = {};
  if (o.config !== undefined) {
    let path = o.config as string;
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'config.json');
    const source = loadRunSource(path);
    if (source.model.name !== model.name) throw new UsageError(`--config ${o.config} is a ${source.model.name} config, but the params are ${model.name}`);
    base = source.raw;
  }
  const { config, errors } = validateConfig<Record<string, unknown>>(model.schema, { ...base, ...parseSets(o.set as string[] | undefined) });
  if (errors.length === 0) errors.push(...model.check(config));
  if (errors.length > 0) throw new ConfigValidationError(errors);
  let params: ParamsJson;
  try {
    params = selectReplica({ ...paramsFile, model: model.name }, (o.replica as number | undefined) ?? 0);
  } catch (e) {
    throw new UsageError(`--params ${o.params}: ${(e as Error).message}`);
  }
  let reference: LossGradsJson;
  try {
    reference = model.lossAndGradsReference(config, params, batch);
  } catch (e) {
    throw new UsageError(`params or batch do not fit the config: ${(e as Error).message}`);
  }
  let result = reference;
  if (o.backend !== 'cpu') {
    const runtime = await openRuntimeLogged((o.runtime as RuntimeKind | undefined) ?? 'chrome', out);
    try {
      result = await runtime.run('gradJob', { model: model.name, config, params, batch });
    } finally {
      await runtime.close();
    }
  } else out.log.write('backend: cpu (float64 reference; no adapter used)\n');
  const text = `${JSON.stringify(result)}\n`;
  if (o.out !== undefined) {
    writeFileAtomic(o.out as string, text);
    out.log.write(`loss ${result.loss}; loss and gradients written to ${o.out}\n`);
  } else process.stdout.write(text);
  return EXIT_OK;
}
