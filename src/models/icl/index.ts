// The ICL model (Li et al., ICML 2024; SPEC §1) as a ModelDefinition: schema, checks, trainer, presets, and the
// SPEC §3 loss-and-gradients exchange on the GPU and in the float64 reference, shapes taken from the files.
import type { ConfigError } from '../../config/schema';
import type { LossGradsJson, ModelDefinition, ParamsJson } from '../../engine/types';
import { iclLossAndGradsReference } from '../../reference/icl';
import { ICL_PARAM_NAMES, iclParamShapes, type IclParams64, type IclShapes } from './shapes';
import { checkIclConfig, iclSchema, iclShapes, parseIclConfig, type IclConfig } from './config';
import { batchFromJson } from './data';
import { iclLossAndGradsGpu } from './lossAndGrads';
import { IclTrainer } from './model';
import { iclParamsFromJson, iclShapesOfParams } from './params';
import { iclPresets } from './presets';

export { iclSchema, parseIclConfig, type IclConfig } from './config';
export { IclTrainer } from './model';
export { iclParamsToJson, iclParamsFromJson } from './params';

/** One params set and one batch from SPEC §3 files, every shape from the files themselves. */
function readFiles(params: ParamsJson, batch: unknown): { shapes: IclShapes; p: IclParams64; dense: ReturnType<typeof batchFromJson> } {
  const shapes = iclShapesOfParams(params);
  const sets = iclParamsFromJson(shapes, params);
  if (sets.length !== 1) throw new RangeError(`icl lossAndGrads: takes one params set ("params"); got ${sets.length} replicas`);
  const dense = batchFromJson(batch, shapes.d, `the params' token length: W_Q is ${shapes.dA} × ${shapes.d}`);
  return { shapes, p: sets[0], dense };
}

function nestedGrads(shapes: IclShapes, grads: Record<string, ArrayLike<number>>): LossGradsJson['grads'] {
  const sizes = iclParamShapes(shapes);
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
  async lossAndGrads(ctx, params, batch) {
    const { shapes, p, dense } = readFiles(params, batch);
    const out = await iclLossAndGradsGpu(ctx, shapes, [p], [dense]);
    return { loss: out.loss[0], grads: nestedGrads(shapes, out.grads) };
  },
  lossAndGradsReference(params, batch) {
    const { shapes, p, dense } = readFiles(params, batch);
    const out = iclLossAndGradsReference(shapes, p, dense);
    return { loss: out.loss, grads: nestedGrads(shapes, out.grads as unknown as Record<string, ArrayLike<number>>) };
  },
  presets: iclPresets,
};
