// SPEC §3 params JSON <-> the float64 parameters of the reference and lossAndGrads, checked against the ICL
// shapes. (TrainerState <-> JSON for checkpoints is generic: src/experiments/params.ts.)
import { flatten } from '../../experiments/params';
import type { ParamsJson } from '../../experiments/types';
import { ICL_PARAM_NAMES, iclParamShapes, type IclParams64, type IclShapes } from '../../reference/icl';

/** Parses params JSON into float64 params per replica, naming any missing tensor or wrong shape. */
export function iclParamsFromJson(shapes: IclShapes, json: ParamsJson): IclParams64[] {
  if (json?.model !== 'icl') throw new TypeError(`params JSON: model = ${JSON.stringify(json?.model)}; expected "icl"`);
  const sets = json.replicas ?? (json.params ? [json.params] : null);
  if (!sets || sets.length === 0) throw new TypeError('params JSON: expected "params": {...} or "replicas": [{...}, ...]');
  const sizes = iclParamShapes(shapes);
  return sets.map((set, r) => {
    const out = {} as IclParams64;
    for (const name of ICL_PARAM_NAMES) {
      out[name] = Float64Array.from(flatten(set[name], sizes[name], json.replicas ? `params JSON replicas[${r}].${name}` : `params JSON params.${name}`));
    }
    return out;
  });
}

/** SPEC §3 params JSON of one float64 params set. */
export function iclParamsToJson(shapes: IclShapes, params: IclParams64): ParamsJson {
  const sizes = iclParamShapes(shapes);
  return {
    model: 'icl',
    params: Object.fromEntries(
      ICL_PARAM_NAMES.map((n) => [n, Array.from({ length: sizes[n][0] }, (_, i) => Array.from(params[n].subarray(i * sizes[n][1], (i + 1) * sizes[n][1])))]),
    ),
  };
}
