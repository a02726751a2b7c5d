// Loading SPEC §3 params into a running trainer: the file's tensors replace the run's parameters (same model,
// replicas and shapes required; the messages say which differ) and the optimizer state starts from zero, as a
// new run from these parameters would.
import { flatten } from '../engine/params';
import type { ParamsJson, TrainerState } from '../engine/types';

export function withLoadedParams(current: TrainerState, json: unknown): TrainerState {
  const file = json as ParamsJson;
  if (!file || typeof file !== 'object') throw new Error('params file: expected a JSON object {"model", "params" | "replicas"}');
  if (file.model !== current.model) throw new Error(`params file: model = ${JSON.stringify(file.model)}, but this run is ${JSON.stringify(current.model)}`);
  const list = file.replicas ?? (file.params ? [file.params] : null);
  if (!list) throw new Error('params file: needs "params" (one replica) or "replicas" (one entry per replica)');
  if (list.length !== current.replicas) throw new Error(`params file has ${list.length} replica(s), but this run has replicas = ${current.replicas}`);
  const params: Record<string, Float32Array> = {};
  for (const name of Object.keys(current.params)) {
    const shape = current.shapes[name];
    const size = shape.reduce((a, b) => a * b, 1);
    params[name] = new Float32Array(size * list.length);
    list.forEach((tensors, r) => {
      if (!(name in tensors)) throw new Error(`params file: replica ${r} has no tensor '${name}'`);
      params[name].set(flatten(tensors[name], shape, `params file: ${name} of replica ${r}`), r * size);
    });
  }
  const optimizer = Object.fromEntries(Object.entries(current.optimizer).map(([name, v]) => [name, new Float32Array(v.length)]));
  return { ...current, params, optimizer };
}
