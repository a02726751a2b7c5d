// SPEC §3 params JSON <-> the float64 parameters of the reference and lossAndGrads, checked against the ICL
// shapes. (TrainerState <-> JSON for checkpoints is generic: src/engine/params.ts.)
import { flatten, shapeOf } from '../../engine/params';
import type { ParamsJson } from '../../engine/types';
import { ICL_PARAM_NAMES, iclParamShapes, type IclParams64, type IclShapes } from './shapes';

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

/**
 * The shapes a params file implies (SPEC §3 files are self-describing): dA and d from W_Q, dV from W_V, m from
 * W_O, with every other tensor checked against them. The loss never splits d into dX + dY, so d stands for both.
 */
export function iclShapesOfParams(json: ParamsJson): IclShapes {
  const set = json?.replicas?.[0] ?? json?.params;
  if (!set || typeof set !== 'object') throw new TypeError('params JSON: expected "params": {...} or "replicas": [{...}, ...]');
  const matrix = (name: string): [number, number] => {
    const shape = shapeOf(set[name]);
    if (shape.length !== 2 || shape[0] < 1 || shape[1] < 1) {
      throw new TypeError(`params: ${name} must be a non-empty matrix (rows of numbers), got ${shape.length ? `shape [${shape.join(', ')}]` : JSON.stringify(set[name])?.slice(0, 40)}`);
    }
    return shape as [number, number];
  };
  const show = (name: string, s: number[]) => `${name} is ${s.join(' × ')}`;
  const WQ = matrix('W_Q');
  const WK = matrix('W_K');
  const WV = matrix('W_V');
  const WO = matrix('W_O');
  if (WK[0] !== WQ[0] || WK[1] !== WQ[1]) throw new RangeError(`params: ${show('W_K', WK)} but ${show('W_Q', WQ)}; the two must have the same shape (dA × d)`);
  if (WV[1] !== WQ[1]) throw new RangeError(`params: ${show('W_V', WV)} but ${show('W_Q', WQ)}; both must have d columns`);
  if (WO[1] !== WV[0]) throw new RangeError(`params: ${show('W_O', WO)} but ${show('W_V', WV)}; W_O needs as many columns as W_V has rows (dV)`);
  const [dA, d] = WQ;
  return { dX: d, dY: 0, d, dA, dV: WV[0], m: WO[0] };
}
