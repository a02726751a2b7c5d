// The Scan & Snap model (Tian et al. 2023, SPEC §2) as a ModelDefinition: schema, cross-field checks, trainer,
// presets, and loss and gradients in the SPEC §3 JSON formats from the GPU and from the float64 reference (M and
// the context length taken from the files, any M >= 1).
import { parseConfig } from '../../config/schema';
import type { GpuContext } from '../../runtime/context';
import type { LossGradsJson, ModelDefinition, ParamsJson } from '../../engine/types';
import { scansnapLossAndGradsReference } from '../../reference/scansnap';
import { checkScanSnapConfig, scansnapSchema, type ScanSnapConfig } from './config';
import { fromBatchJson, tokenLayout } from './data';
import { flatten, shapeOf } from '../../engine/params';
import { scansnapPresets } from './presets';

export { scansnapSchema, checkScanSnapConfig, type ScanSnapConfig } from './config';
export type { ScanSnapTrainer } from './model';

/** Validates a raw config (schema, then cross-field rules) and fills defaults; throws ConfigValidationError. */
export function parseScanSnapConfig(raw: unknown, limits?: Record<string, number>): ScanSnapConfig {
  return parseConfig<ScanSnapConfig>(scansnapSchema, raw, (c) => checkScanSnapConfig(c, limits));
}

function toNested(flat: ArrayLike<number>, M: number): number[][] {
  return Array.from({ length: M }, (_, i) => Array.from({ length: M }, (_, j) => flat[i * M + j]));
}

/**
 * Y and Z of a SPEC §3 params object (one replica) as flat row-major arrays, M taken from the file: both must be
 * M × M with the same M.
 */
export function paramsFromJson(json: ParamsJson): { M: number; Y: Float64Array; Z: Float64Array } {
  if (json?.model !== 'scansnap') throw new Error(`params: model = ${JSON.stringify(json?.model)}; expected "scansnap"`);
  if (!json.params) throw new Error('params: expected "params": {"Y": [[...]], "Z": [[...]]} (one replica; loss and gradients take one params set)');
  const shapeY = shapeOf(json.params.Y);
  const shapeZ = shapeOf(json.params.Z);
  const show = (s: number[]) => (s.length ? s.join(' × ') : 'missing');
  if (shapeY.length !== 2 || shapeY[0] !== shapeY[1] || shapeY[0] < 1) throw new Error(`params: Y is ${show(shapeY)}; expected a square M × M matrix`);
  if (shapeZ.join() !== shapeY.join()) throw new Error(`params: Z is ${show(shapeZ)} but Y is ${show(shapeY)}; both are M × M`);
  const M = shapeY[0];
  return { M, Y: Float64Array.from(flatten(json.params.Y, [M, M], 'params.Y')), Z: Float64Array.from(flatten(json.params.Z, [M, M], 'params.Z')) };
}

export function paramsToJson(Y: ArrayLike<number>, Z: ArrayLike<number>, M: number): ParamsJson {
  return { model: 'scansnap', params: { Y: toNested(Y, M), Z: toNested(Z, M) } };
}

/** Params and batch from SPEC §3 files: M from Y and Z, the context length from the batch. */
function readFiles(params: ParamsJson, batch: unknown) {
  const p = paramsFromJson(params);
  return { p, b: fromBatchJson(batch, p.M, `Y and Z are ${p.M} × ${p.M}`) };
}

export const scansnapModel: ModelDefinition<ScanSnapConfig> = {
  name: 'scansnap',
  schema: scansnapSchema,
  check: checkScanSnapConfig,
  paramShapes: (config: ScanSnapConfig) => {
    const { M } = tokenLayout(config);
    return { Y: [M, M], Z: [M, M] };
  },

  async createTrainer(ctx: GpuContext, config: ScanSnapConfig) {
    const parsed = parseScanSnapConfig(config, ctx.adapter.limits);
    // model.ts touches WebGPU globals when loaded: import it only where a GPU exists, so that the schema and
    // the reference stay usable in plain Node.
    const { ScanSnapTrainer } = await import('./model');
    return ScanSnapTrainer.create(ctx, parsed);
  },

  async lossAndGrads(ctx, params, batch): Promise<LossGradsJson> {
    const { p, b } = readFiles(params, batch);
    const { scansnapLossAndGradsGpu } = await import('./model');
    const out = await scansnapLossAndGradsGpu(ctx, {
      replicas: 1, M: p.M, batch: b.batch, L: b.L, Y: Float32Array.from(p.Y), Z: Float32Array.from(p.Z), ids: b.ids,
    });
    return { loss: out.loss[0], grads: { Y: toNested(out.dY, p.M), Z: toNested(out.dZ, p.M) } };
  },

  lossAndGradsReference(params, batch): LossGradsJson {
    const { p, b } = readFiles(params, batch);
    const out = scansnapLossAndGradsReference(p.M, p.Y, p.Z, b.ids, b.batch, b.L);
    return { loss: out.loss, grads: { Y: toNested(out.dY, p.M), Z: toNested(out.dZ, p.M) } };
  },

  presets: scansnapPresets,
};
