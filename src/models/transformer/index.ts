// The transformer stack (SPEC §4) as a ModelDefinition: schema and checks (memory and the adapter's limits before
// any GPU work), trainer, presets, and loss and gradients in the SPEC §4 exchange format from the GPU and from the
// float64 reference, every shape and setting taken from the two files.
import type { ConfigError } from '../../config/schema';
import type { LossGradsJson, ModelDefinition, ParamsJson } from '../../engine/types';
import type { GpuContext } from '../../runtime/context';
import { transformerLossAndGrads } from '../../reference/transformer';
import { checkTransformerConfig, parseTransformerConfig, shapesOf, structureOf, transformerSchema, type TransformerRunConfig } from './config';
import { parseTransformerBatch, parseTransformerParams, transformerLossGradsToJson } from './exchange';
import { prepareData } from './data/index';
import { checkTransformerLimits } from './memory';
import { transformerPresets } from './presets/index';
import { transformerParamShapes } from './shapes';

export { transformerSchema, parseTransformerConfig, type TransformerRunConfig } from './config';

/** One params set and one batch from SPEC §4 files. */
function readFiles(params: ParamsJson, batch: unknown) {
  const file = parseTransformerParams(params);
  if (file.replicas.length !== 1) throw new RangeError(`transformer lossAndGrads: takes one params set ("params"); got ${file.replicas.length} replicas`);
  return { ...file, params: file.replicas[0], batch: parseTransformerBatch(batch, file.config, file.shapes) };
}

export const transformerModel: ModelDefinition<TransformerRunConfig> = {
  name: 'transformer',
  schema: transformerSchema,
  check: (config: TransformerRunConfig, limits?: Record<string, number>): ConfigError[] => {
    // The limits need the data's shape (a corpus' vocabulary), which only a config without errors has.
    const errors = checkTransformerConfig(config);
    return errors.length > 0 || !limits ? errors : checkTransformerLimits(config, limits);
  },
  paramShapes: (config: TransformerRunConfig) => transformerParamShapes(structureOf(config), shapesOf(config)),
  prepare: prepareData,

  async createTrainer(ctx: GpuContext, config: TransformerRunConfig) {
    await prepareData(config);
    const parsed = parseTransformerConfig(config, (c) => checkTransformerLimits(c, ctx.adapter.limits));
    const { TransformerTrainer } = await import('./model');
    return TransformerTrainer.create(ctx, parsed);
  },

  async lossAndGrads(ctx, params, batch): Promise<LossGradsJson> {
    const f = readFiles(params, batch);
    const { transformerLossAndGradsGpu } = await import('./lossAndGrads');
    const out = await transformerLossAndGradsGpu(ctx, f.config, f.shapes, f.params, f.batch);
    const grads = Object.fromEntries(Object.entries(out.grads).map(([name, values]) => [name, Float64Array.from(values)]));
    return transformerLossGradsToJson(f.config, f.shapes, out.loss, grads) as LossGradsJson;
  },

  lossAndGradsReference(params, batch): LossGradsJson {
    const f = readFiles(params, batch);
    const out = transformerLossAndGrads(f.config, f.shapes, f.params, f.batch);
    return transformerLossGradsToJson(f.config, f.shapes, out.loss, out.grads) as LossGradsJson;
  },

  presets: transformerPresets,
};
