// SPEC §3 params JSON <-> the trainer's flat [R][rows][cols] float32 tensors and the reference's float64 ones.
import type { ParamsJson, TrainerState } from '../../experiments/types';
import { ICL_PARAM_NAMES, iclParamShapes, type IclParamName, type IclParams64, type IclShapes } from '../../reference/icl';

function nested(flat: ArrayLike<number>, offset: number, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => flat[offset + i * cols + j]));
}

/** Params JSON of flat tensors holding `replicas` replicas: "params" for one replica, "replicas" for more. */
export function iclParamsToJson(shapes: IclShapes, flat: Record<IclParamName, ArrayLike<number>>, replicas: number): ParamsJson {
  const sizes = iclParamShapes(shapes);
  const one = (r: number) =>
    Object.fromEntries(ICL_PARAM_NAMES.map((n) => [n, nested(flat[n], r * sizes[n][0] * sizes[n][1], sizes[n][0], sizes[n][1])]));
  return replicas === 1 ? { model: 'icl', params: one(0) } : { model: 'icl', replicas: Array.from({ length: replicas }, (_, r) => one(r)) };
}

export function iclStateToJson(shapes: IclShapes, state: TrainerState): ParamsJson {
  return iclParamsToJson(shapes, state.params as Record<IclParamName, Float32Array>, state.replicas);
}

/** Parses params JSON into float64 params per replica, naming any missing tensor or wrong shape. */
export function iclParamsFromJson(shapes: IclShapes, json: ParamsJson): IclParams64[] {
  if (json?.model !== 'icl') throw new TypeError(`params JSON: model = ${JSON.stringify(json?.model)}; expected "icl"`);
  const sets = json.replicas ?? (json.params ? [json.params] : null);
  if (!sets || sets.length === 0) throw new TypeError('params JSON: expected "params": {...} or "replicas": [{...}, ...]');
  const sizes = iclParamShapes(shapes);
  return sets.map((set, r) => {
    const out = {} as IclParams64;
    for (const name of ICL_PARAM_NAMES) {
      const [rows, cols] = sizes[name];
      const value = set[name] as unknown;
      const where = json.replicas ? `replicas[${r}].${name}` : `params.${name}`;
      if (!Array.isArray(value) || value.length !== rows || value.some((row) => !Array.isArray(row) || row.length !== cols || row.some((v: unknown) => typeof v !== 'number' || !Number.isFinite(v)))) {
        throw new TypeError(`params JSON: ${where} must be a ${rows} × ${cols} array of finite numbers`);
      }
      out[name] = Float64Array.from((value as number[][]).flat());
    }
    return out;
  });
}

/** A TrainerState (step 0 unless given) from params JSON. */
export function iclStateFromJson(shapes: IclShapes, json: ParamsJson, step = 0): TrainerState {
  const sets = iclParamsFromJson(shapes, json);
  const sizes = iclParamShapes(shapes);
  const params: Record<string, Float32Array> = {};
  for (const name of ICL_PARAM_NAMES) {
    const size = sizes[name][0] * sizes[name][1];
    params[name] = new Float32Array(sets.length * size);
    sets.forEach((p, r) => params[name].set(p[name], r * size));
  }
  return { model: 'icl', step, replicas: sets.length, shapes: Object.fromEntries(ICL_PARAM_NAMES.map((n) => [n, [...sizes[n]]])), params, optimizer: {} };
}
