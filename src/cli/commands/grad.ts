// onelayer grad: loss and gradients of one params set on one batch, SPEC §3/§4 formats in and out, from the GPU
// (default) or the float64 reference. The files describe themselves: the model comes from the params file and
// every shape from the two files. The reference reads them first, so files that are malformed or disagree with
// each other are bad input (exit 2, naming the tensor and both shapes) before any GPU work.
import { selectReplica } from '../../engine/params';
import { findModel, models } from '../../models/registry';
import type { LossGradsJson, ParamsJson } from '../../engine/types';
import type { ParsedArgs } from '../args';
import { EXIT_OK, UsageError } from '../errors';
import { readJsonFile, writeFileAtomic } from '../files';
import type { RuntimeKind } from '../runtime';
import { openRuntimeLogged, type Output } from '../session';

export async function grad(args: ParsedArgs, out: Output): Promise<number> {
  const o = args.options;
  if (o.params === undefined) throw new UsageError('grad: --params P.json is required');
  if (o.batch === undefined) throw new UsageError('grad: --batch B.json is required');
  const paramsFile = readJsonFile(o.params as string, '--params') as ParamsJson;
  const batch = readJsonFile(o.batch as string, '--batch');
  if (paramsFile === null || typeof paramsFile !== 'object' || (!paramsFile.params && !Array.isArray(paramsFile.replicas))) {
    throw new UsageError(`--params ${o.params}: expected SPEC params: {"model": ..., "params": {...}} or {"model": ..., "replicas": [...]}`);
  }
  const model = typeof paramsFile.model === 'string' ? findModel(paramsFile.model) : undefined;
  if (!model) throw new UsageError(`--params ${o.params}: model = ${JSON.stringify(paramsFile.model)}; expected one of ${Object.keys(models).join(', ')}`);
  let params: ParamsJson;
  try {
    params = selectReplica(paramsFile, (o.replica as number | undefined) ?? 0);
  } catch (e) {
    throw new UsageError(`--params ${o.params}: ${(e as Error).message}`);
  }
  let reference: LossGradsJson;
  try {
    reference = model.lossAndGradsReference(params, batch);
  } catch (e) {
    throw new UsageError(`--params ${o.params} and --batch ${o.batch}: ${(e as Error).message}`);
  }
  let result = reference;
  if (o.backend !== 'cpu') {
    const runtime = await openRuntimeLogged((o.runtime as RuntimeKind | undefined) ?? 'chrome', out);
    try {
      result = await runtime.run('gradJob', { model: model.name, params, batch });
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
