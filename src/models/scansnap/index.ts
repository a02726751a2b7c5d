// The Scan & Snap model (Tian et al. 2023, SPEC §2) as a ModelDefinition: schema, cross-field checks, trainer,
// and loss and gradients in the SPEC §3 JSON formats from the GPU and from the float64 reference.
import { parseConfig } from '../../config/schema';
import type { GpuContext } from '../../runtime/context';
import type { LossGradsJson, ModelDefinition, ParamsJson } from '../../experiments/types';
import { scansnapLossAndGradsReference } from '../../reference/scansnap';
import { checkScanSnapConfig, scansnapSchema, type ScanSnapConfig } from './config';
import { fromBatchJson, tokenLayout } from './data';

export { scansnapSchema, checkScanSnapConfig, type ScanSnapConfig } from './config';
export type { ScanSnapTrainer } from './model';

/** Validates a raw config (schema, then cross-field rules) and fills defaults; throws ConfigValidationError. */
export function parseScanSnapConfig(raw: unknown, limits?: Record<string, number>): ScanSnapConfig {
  return parseConfig<ScanSnapConfig>(scansnapSchema, raw, (c) => checkScanSnapConfig(c, limits));
}

function toNested(flat: ArrayLike<number>, M: number): number[][] {
  return Array.from({ length: M }, (_, i) => Array.from({ length: M }, (_, j) => flat[i * M + j]));
}

/** Y and Z of a SPEC §3 params object (single replica) as flat row-major arrays, shapes checked. */
export function paramsFromJson(json: ParamsJson, M: number): { Y: Float64Array; Z: Float64Array } {
  if (json?.model !== 'scansnap') throw new Error(`params: model = ${JSON.stringify(json?.model)}; expected "scansnap"`);
  if (!json.params) throw new Error('params: expected "params": {"Y": [[...]], "Z": [[...]]} (one replica; loss and gradients take one params set)');
  const flat = (name: 'Y' | 'Z') => {
    const rows = json.params![name] as number[][] | undefined;
    if (!Array.isArray(rows) || rows.length !== M || rows.some((row) => !Array.isArray(row) || row.length !== M)) {
      throw new Error(`params.${name} must be ${M} rows of ${M} numbers (M from the config's token layout)`);
    }
    return Float64Array.from(rows.flat());
  };
  return { Y: flat('Y'), Z: flat('Z') };
}

export function paramsToJson(Y: ArrayLike<number>, Z: ArrayLike<number>, M: number): ParamsJson {
  return { model: 'scansnap', params: { Y: toNested(Y, M), Z: toNested(Z, M) } };
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

  async lossAndGrads(ctx, config, params, batch): Promise<LossGradsJson> {
    const c = parseScanSnapConfig(config, ctx.adapter.limits);
    const { M } = tokenLayout(c);
    const p = paramsFromJson(params, M);
    const b = fromBatchJson(batch, M);
    const { scansnapLossAndGradsGpu } = await import('./model');
    const out = await scansnapLossAndGradsGpu(ctx, {
      replicas: 1, M, batch: b.batch, L: b.L, Y: Float32Array.from(p.Y), Z: Float32Array.from(p.Z), ids: b.ids,
    });
    return { loss: out.loss[0], grads: { Y: toNested(out.dY, M), Z: toNested(out.dZ, M) } };
  },

  lossAndGradsReference(config, params, batch): LossGradsJson {
    const c = parseScanSnapConfig(config);
    const { M } = tokenLayout(c);
    const p = paramsFromJson(params, M);
    const b = fromBatchJson(batch, M);
    const out = scansnapLossAndGradsReference(M, p.Y, p.Z, b.ids, b.batch, b.L);
    return { loss: out.loss, grads: { Y: toNested(out.dY, M), Z: toNested(out.dZ, M) } };
  },
};
