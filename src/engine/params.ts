// TrainerState (flat Float32Arrays laid out [replica][...shape]) to and from the SPEC §3 params JSON, which
// checkpoints extend with the step and the optimizer state. float32 -> JSON number -> float32 is exact, so a
// checkpoint restores the run bit for bit.
import type { ModelName, ParamsJson, TrainerState } from './types';

type Nested = number | Nested[];
export type TensorsJson = Record<string, Nested>;

export interface CheckpointJson {
  model: ModelName;
  step: number;
  shapes: Record<string, number[]>;
  replicas: TensorsJson[];
  optimizer: TensorsJson[];
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function nest(flat: ArrayLike<number>, shape: readonly number[], offset = 0): Nested {
  if (shape.length === 0) return flat[offset];
  if (shape.length === 1) return Array.from({ length: shape[0] }, (_, i) => flat[offset + i]);
  const inner = size(shape.slice(1));
  return Array.from({ length: shape[0] }, (_, i) => nest(flat, shape.slice(1), offset + i * inner));
}

/** Flattens a nested array that must have `shape`; the message names the tensor and where it differs. */
export function flatten(value: unknown, shape: readonly number[], name: string): number[] {
  const out: number[] = [];
  const walk = (v: unknown, depth: number, path: string) => {
    if (depth === shape.length) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}${path} = ${JSON.stringify(v)}: expected a finite number`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      const got = Array.isArray(v) ? `${v.length} entries` : JSON.stringify(v)?.slice(0, 40);
      throw new Error(`${name}${path}: expected ${shape[depth]} entries (shape [${shape.join(', ')}]), got ${got}`);
    }
    v.forEach((x, i) => walk(x, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return out;
}

/** Shape of a nested array of numbers (from its first elements). */
export function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  return shape;
}

function split(tensors: Record<string, Float32Array>, shapes: Record<string, number[]>, replicas: number): TensorsJson[] {
  return Array.from({ length: replicas }, (_, r) =>
    Object.fromEntries(Object.entries(tensors).map(([name, flat]) => [name, nest(flat, shapes[name], r * size(shapes[name]))])),
  );
}

function join(perReplica: TensorsJson[], shapes: Record<string, number[]>, names: string[], what: string): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const name of names) {
    const n = size(shapes[name]);
    const flat = new Float32Array(n * perReplica.length);
    perReplica.forEach((tensors, r) => {
      if (!(name in tensors)) throw new Error(`${what} of replica ${r} has no tensor '${name}'`);
      flat.set(flatten(tensors[name], shapes[name], `${what} ${name} of replica ${r}`), r * n);
    });
    out[name] = flat;
  }
  return out;
}

export function stateToCheckpoint(state: TrainerState): CheckpointJson {
  return {
    model: state.model,
    step: state.step,
    shapes: state.shapes,
    replicas: split(state.params, state.shapes, state.replicas),
    optimizer: split(state.optimizer, state.shapes, state.replicas),
  };
}

export function checkpointToState(json: CheckpointJson): TrainerState {
  const paramNames = Object.keys(json.replicas[0] ?? {});
  const optimizerNames = Object.keys(json.optimizer[0] ?? {});
  return {
    model: json.model,
    step: json.step,
    replicas: json.replicas.length,
    shapes: json.shapes,
    params: join(json.replicas, json.shapes, paramNames, 'params'),
    optimizer: join(json.optimizer, json.shapes, optimizerNames, 'optimizer state'),
  };
}

/** SPEC §3 params of all replicas (what `train` leaves as params.json). */
export function stateToParamsJson(state: TrainerState): ParamsJson {
  return { model: state.model, replicas: split(state.params, state.shapes, state.replicas) as ParamsJson['replicas'] };
}

/** One params set from SPEC §3 JSON: its `params`, or replica `replica` of its `replicas`. */
export function selectReplica(json: ParamsJson, replica: number): ParamsJson {
  const { params, replicas, ...rest } = json; // the rest (e.g. a transformer's "config") describes every replica
  if (params) return { ...rest, params };
  const list = replicas ?? [];
  if (replica < 0 || replica >= list.length) throw new Error(`params have ${list.length} replicas; replica ${replica} does not exist`);
  return { ...rest, params: list[replica] };
}
