// The ICL model (Li et al., ICML 2024; SPEC §1) as a ModelDefinition: schema, checks, trainer, and the SPEC §3
// loss-and-gradients exchange on the GPU and in the float64 reference.
import type { ConfigError } from '../../config/schema';
import type { LossGradsJson, ModelDefinition, ParamsJson } from '../../experiments/types';
import { ICL_PARAM_NAMES, iclLossAndGradsReference, iclParamShapes } from '../../reference/icl';
import { checkIclConfig, iclSchema, iclShapes, parseIclConfig, type IclConfig } from './config';
import { batchFromJson } from './data';
import { iclLossAndGradsGpu } from './lossAndGrads';
import { IclTrainer } from './model';
import { iclParamsFromJson } from './params';

export { iclSchema, parseIclConfig, type IclConfig } from './config';
export { IclTrainer } from './model';
export { iclParamsToJson, iclParamsFromJson } from './params';

function single(config: IclConfig, params: ParamsJson) {
  const sets = iclParamsFromJson(iclShapes(config), params);
  if (sets.length !== 1) throw new RangeError(`icl lossAndGrads: takes one params set ("params"); got ${sets.length} replicas`);
  return sets[0];
}

function nestedGrads(config: IclConfig, grads: Record<string, ArrayLike<number>>): LossGradsJson['grads'] {
  const sizes = iclParamShapes(iclShapes(config));
  return Object.fromEntries(
    ICL_PARAM_NAMES.map((n) => {
      const [rows, cols] = sizes[n];
      return [n, Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => grads[n][i * cols + j]))];
    }),
  );
}

export const iclModel: ModelDefinition<IclConfig> = {
  name: 'icl',
  schema: iclSchema,
  check: (config: IclConfig, limits?: Record<string, number>): ConfigError[] => checkIclConfig(config, limits),
  paramShapes: (config: IclConfig) => iclParamShapes(iclShapes(config)),
  createTrainer: (ctx, config) => IclTrainer.create(ctx, config),
  async lossAndGrads(ctx, rawConfig, params, batch) {
    const config = parseIclConfig(rawConfig);
    const shapes = iclShapes(config);
    const p = single(config, params);
    const dense = batchFromJson(batch, shapes.d);
    const out = await iclLossAndGradsGpu(ctx, shapes, [p], [dense]);
    return { loss: out.loss[0], grads: nestedGrads(config, out.grads) };
  },
  lossAndGradsReference(rawConfig, params, batch) {
    const config = parseIclConfig(rawConfig);
    const shapes = iclShapes(config);
    const out = iclLossAndGradsReference(shapes, single(config, params), batchFromJson(batch, shapes.d));
    return { loss: out.loss, grads: nestedGrads(config, out.grads as unknown as Record<string, ArrayLike<number>>) };
  },
};
