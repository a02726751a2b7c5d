// SPEC §4 exchange files <-> the float64 tensors of src/reference/transformer.ts. A params file carries every
// shape in its arrays (V, dIn, dModel, dFF, nLayers, and T for learned positions; the head from which tensors
// exist) and the rest in "config"; this module infers the shapes, checks that every tensor agrees with the others
// and names what is wrong (the tensor, its shape, the tensor it disagrees with and the rule). Errors are plain
// Errors; the CLI reports them as bad input.
import { nest, type TensorsJson } from '../../engine/params';
import {
  transformerParamShapes, type TransformerBatch, type TransformerConfig, type TransformerParams, type TransformerShapes,
} from './shapes';

export interface TransformerParamsFile {
  config: TransformerConfig;
  shapes: TransformerShapes;
  /** One set per replica; a file with "params" has one. */
  replicas: TransformerParams[];
}

export interface TransformerParamsJson {
  model: 'transformer';
  config: TransformerConfig;
  params?: TensorsJson;
  replicas?: TensorsJson[];
}

export const TRANSFORMER_CONFIG_DEFAULTS = {
  norm: 'post', activation: 'relu', causal: false, posEncoding: 'none', scaleEmbed: false, tie: false,
} as const satisfies Partial<TransformerConfig>;

const CHOICES = {
  norm: ['post', 'pre'],
  activation: ['relu', 'gelu'],
  posEncoding: ['none', 'sinusoidal', 'learned'],
  head: ['lm', 'icl'],
} as const;
const FLAGS = ['causal', 'scaleEmbed', 'tie'] as const;
const CONFIG_KEYS = ['nHeads', 'norm', 'activation', 'causal', 'posEncoding', 'scaleEmbed', 'tie', 'head'];

const LM_TENSORS = ['embed', 'W_dec', 'b_dec'];
const ICL_TENSORS = ['W_in', 'b_in', 'w_out', 'b_out'];

/** Each tensor's shape in symbols, for the messages; inferShapes takes each symbol's value from one defining tensor. */
const SYMBOLIC_SHAPES: Record<string, string[]> = {
  embed: ['V', 'dModel'], W_in: ['dModel', 'dIn'], b_in: ['dModel'], pos: ['T', 'dModel'],
  W_qkv: ['3·dModel', 'dModel'], b_qkv: ['3·dModel'], W_o: ['dModel', 'dModel'], b_o: ['dModel'],
  'ln1.g': ['dModel'], 'ln1.b': ['dModel'], W_1: ['dFF', 'dModel'], b_1: ['dFF'], W_2: ['dModel', 'dFF'], b_2: ['dModel'],
  'ln2.g': ['dModel'], 'ln2.b': ['dModel'], 'lnf.g': ['dModel'], 'lnf.b': ['dModel'],
  W_dec: ['V', 'dModel'], b_dec: ['V'], w_out: ['dModel'], b_out: ['1'],
};

interface Tensor {
  shape: number[];
  data: Float64Array;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v)?.slice(0, 60) ?? String(v);

/** "a scalar", "7" or "7 × 5". */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'a scalar' : shape.join(' × ');
}

/** A rectangular nested array of finite numbers (or a bare number), with its shape; `path` names it in messages. */
function readTensor(value: unknown, path: string): Tensor {
  const fail = (message: string): never => {
    throw new Error(`params: ${message}`);
  };
  if (typeof value !== 'number' && !Array.isArray(value)) fail(`${path} = ${show(value)}: expected nested arrays of numbers`);
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const data: number[] = [];
  // `like` is the first element at the same depth, which fixed the shape
  const walk = (v: unknown, depth: number, at: string, like: string) => {
    if (depth === shape.length) {
      if (Array.isArray(v)) fail(`${at} is an array but ${like} is a number`);
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${at} = ${show(v)}: expected a finite number`);
      data.push(v as number);
      return;
    }
    if (!Array.isArray(v)) return fail(`${at} = ${show(v)}: expected an array of ${shape[depth]} like ${like}`);
    if (v.length !== shape[depth]) fail(`${at} has ${v.length} entries but ${like} has ${shape[depth]}`);
    v.forEach((x, i) => walk(x, depth + 1, `${at}[${i}]`, `${like}[0]`));
  };
  walk(value, 0, path, path);
  return { shape, data: Float64Array.from(data) };
}

function parseConfig(json: unknown): Omit<TransformerConfig, 'head'> & { head?: TransformerConfig['head'] } {
  if (json === undefined) throw new Error('config: missing; expected {"nHeads": ..., ...} (nHeads is required)');
  if (!isObject(json)) throw new Error(`config = ${show(json)}: expected an object such as {"nHeads": 4, "norm": "pre"}`);
  for (const key of Object.keys(json)) {
    if (!CONFIG_KEYS.includes(key)) throw new Error(`config.${key}: unknown key; allowed: ${CONFIG_KEYS.join(', ')}`);
  }
  const nHeads = json.nHeads;
  if (nHeads === undefined) throw new Error('config.nHeads: missing; expected a positive integer that divides dModel');
  if (typeof nHeads !== 'number' || !Number.isInteger(nHeads) || nHeads < 1) throw new Error(`config.nHeads = ${show(nHeads)}: expected a positive integer that divides dModel`);
  const config: Record<string, unknown> = { ...TRANSFORMER_CONFIG_DEFAULTS, nHeads };
  for (const [key, allowed] of Object.entries(CHOICES)) {
    if (json[key] === undefined) continue;
    if (!(allowed as readonly unknown[]).includes(json[key])) throw new Error(`config.${key} = ${show(json[key])}: expected ${allowed.map((a) => `"${a}"`).join(' or ')}`);
    config[key] = json[key];
  }
  for (const key of FLAGS) {
    if (json[key] === undefined) continue;
    if (typeof json[key] !== 'boolean') throw new Error(`config.${key} = ${show(json[key])}: expected true or false`);
    config[key] = json[key];
  }
  return config as Omit<TransformerConfig, 'head'> & { head?: TransformerConfig['head'] };
}

function inferHead(config: ReturnType<typeof parseConfig>, names: string[]): TransformerConfig['head'] {
  if (config.head) return config.head;
  const lm = names.find((n) => LM_TENSORS.includes(n));
  const icl = names.find((n) => ICL_TENSORS.includes(n));
  if (lm && icl) throw new Error(`params: ${lm} belongs to an LM head and ${icl} to an ICL head; give one head's tensors (or set config.head)`);
  if (!lm && !icl) throw new Error(`params: no head: expected embed and b_dec (LM) or W_in, b_in, w_out and b_out (ICL)`);
  return lm ? 'lm' : 'icl';
}

/** Why a tensor is expected or not, for the messages. */
function tensorReason(name: string, config: TransformerConfig): string {
  if (name === 'W_dec') return config.tie ? 'config.tie is true: the decoder is embed' : 'an untied LM head (config.tie = true uses embed instead)';
  if (name === 'pos') return `config.posEncoding is "${config.posEncoding}"${config.posEncoding === 'learned' ? '' : '; pos belongs to "learned"'}`;
  if (name.startsWith('lnf.')) return `config.norm is "${config.norm}"${config.norm === 'pre' ? '' : '; lnf belongs to "pre"'}`;
  if (LM_TENSORS.includes(name) || ICL_TENSORS.includes(name)) return `head "${config.head}"`;
  return '';
}

/** The expected names with the layers folded: "embed, layers.0..2.{W_qkv, ...}, W_dec, b_dec". */
function listTensors(names: string[], nLayers: number): string {
  const perLayer = names.filter((n) => n.startsWith('layers.0.')).map((n) => n.slice('layers.0.'.length));
  const folded = `layers.${nLayers > 1 ? `0..${nLayers - 1}` : '0'}.{${perLayer.join(', ')}}`;
  return names.filter((n) => !n.startsWith('layers.') || n === 'layers.0.W_qkv').map((n) => (n.startsWith('layers.') ? folded : n)).join(', ');
}

/** Shapes from the defining tensors, and every tensor checked against them (layers > 0 against layer 0). */
function inferShapes(config: TransformerConfig, nLayers: number, tensors: Record<string, Tensor>): TransformerShapes {
  const definers: Record<string, string> = {
    V: 'embed', dModel: config.head === 'lm' ? 'embed' : 'W_in', dIn: 'W_in', dFF: 'layers.0.W_1', T: 'pos',
  };
  const need2d = (name: string, rows: string, cols: string) => {
    const { shape } = tensors[name];
    if (shape.length !== 2 || shape[0] < 1 || shape[1] < 1) throw new Error(`params: ${name} is ${formatShape(shape)}; expected ${rows} × ${cols} with both at least 1`);
    return shape;
  };
  const shapes: TransformerShapes = { V: 0, dIn: 0, dModel: 0, dFF: 0, nLayers, T: 0 };
  if (config.head === 'lm') [shapes.V, shapes.dModel] = need2d('embed', 'V', 'dModel');
  else [shapes.dModel, shapes.dIn] = need2d('W_in', 'dModel', 'dIn');
  shapes.dFF = need2d('layers.0.W_1', 'dFF', 'dModel')[0];
  if (config.posEncoding === 'learned') shapes.T = need2d('pos', 'T', 'dModel')[0];
  if (shapes.dModel % config.nHeads !== 0) {
    throw new Error(`params: dModel = ${shapes.dModel} (from ${definers.dModel}, ${formatShape(tensors[definers.dModel].shape)}) is not divisible by config.nHeads = ${config.nHeads}`);
  }
  const value = (symbol: string) => (symbol === '1' ? 1 : symbol === '3·dModel' ? 3 * shapes.dModel : shapes[symbol as keyof TransformerShapes]);
  for (const [name, expected] of Object.entries(transformerParamShapes(config, shapes))) {
    const { shape } = tensors[name];
    if (shape.length === expected.length && shape.every((n, i) => n === expected[i])) continue;
    const layer = /^layers\.(\d+)\.(.+)$/.exec(name);
    if (layer && layer[1] !== '0') {
      const first = `layers.0.${layer[2]}`;
      throw new Error(`params: ${name} is ${formatShape(shape)} but ${first} is ${formatShape(tensors[first].shape)} (every layer has the same shapes)`);
    }
    const symbols = SYMBOLIC_SHAPES[layer ? layer[2] : name];
    const culprit = symbols.find((s, i) => shape[i] !== value(s)) ?? symbols.find((s) => s !== '1') ?? '1';
    const definer = definers[culprit.replace('3·', '')];
    const because = definer && definer !== name ? `, as ${definer} is ${formatShape(tensors[definer].shape)}` : '';
    const rule = symbols.join(' × ') === formatShape(expected) ? formatShape(expected) : `${symbols.join(' × ')} = ${formatShape(expected)}`;
    throw new Error(`params: ${name} is ${formatShape(shape)} but must be ${rule}${because}`);
  }
  return shapes;
}

/**
 * Parses a SPEC §4 params file: {"model": "transformer", "config": {...}, "params": {NAME: nested arrays}} or
 * "replicas": [{...}, ...]. Config defaults: norm "post", activation "relu", causal false, posEncoding "none",
 * scaleEmbed false, tie false, head from the tensors; nHeads is required.
 */
export function parseTransformerParams(json: unknown): TransformerParamsFile {
  if (!isObject(json)) throw new Error(`params: expected {"model": "transformer", "config": {...}, "params": {...}}; got ${show(json)}`);
  if (json.model !== 'transformer') throw new Error(`params: model = ${show(json.model)}; expected "transformer"`);
  if (json.params !== undefined && json.replicas !== undefined) throw new Error('params: has both "params" and "replicas"; give one');
  let sets: unknown[];
  if (json.params !== undefined) sets = [json.params];
  else if (Array.isArray(json.replicas) && json.replicas.length > 0) sets = json.replicas;
  else throw new Error(`params: expected "params": {NAME: nested arrays} or a non-empty "replicas": [{...}, ...]`);
  const labels = sets.map((_, r) => (json.params !== undefined ? '' : `replicas[${r}].`));
  sets.forEach((set, r) => {
    if (!isObject(set)) throw new Error(`params: ${json.params !== undefined ? 'params' : `replicas[${r}]`} = ${show(set)}: expected an object {NAME: nested arrays}`);
  });
  const parsed = parseConfig(json.config);

  const first = sets[0] as Record<string, unknown>;
  const names = Object.keys(first);
  const head = inferHead(parsed, names);
  const config: TransformerConfig = { ...parsed, head };
  if (head === 'icl' && config.tie) throw new Error('config.tie = true: only an LM head has a decoder to tie; the ICL head reads out with w_out');
  if (head === 'icl' && config.scaleEmbed) throw new Error('config.scaleEmbed = true: only token embeddings are scaled; the ICL head takes real inputs through W_in');
  const layerIndices = names.map((n) => /^layers\.(\d+)\./.exec(n)?.[1]).filter((i): i is string => i !== undefined && String(Number(i)) === i);
  if (layerIndices.length === 0) throw new Error('params: no layers; expected tensors layers.0.W_qkv, layers.0.b_qkv, ... (at least one layer)');
  const nLayers = Math.max(...layerIndices.map(Number)) + 1;
  const expected = Object.keys(transformerParamShapes(config, { V: 0, dIn: 0, dModel: 0, dFF: 0, nLayers, T: 0 }));
  const describe = () => `this model (head "${head}", norm "${config.norm}", posEncoding "${config.posEncoding}"${head === 'lm' ? `, tie ${config.tie}` : ''}, ${nLayers} layer${nLayers > 1 ? 's' : ''}) has ${listTensors(expected, nLayers)}`;
  for (const name of names) {
    if (expected.includes(name)) continue;
    const reason = tensorReason(name, config);
    throw new Error(`params: ${labels[0]}${name}: unknown tensor${reason ? ` (${reason})` : ''}; ${describe()}`);
  }
  for (const name of expected) {
    if (names.includes(name)) continue;
    const reason = tensorReason(name, config);
    throw new Error(`params: ${labels[0]}${name}: missing tensor${reason ? ` (${reason})` : ''}; ${describe()}`);
  }

  const replicas = sets.map((set, r) => {
    const values = set as Record<string, unknown>;
    if (r > 0) {
      for (const name of Object.keys(values)) if (!expected.includes(name)) throw new Error(`params: ${labels[r]}${name}: unknown tensor (replicas[0] has no ${name})`);
      for (const name of expected) if (!(name in values)) throw new Error(`params: ${labels[r]}${name}: missing tensor (replicas[0] has it)`);
    }
    return Object.fromEntries(expected.map((name) => [name, readTensor(values[name], `${labels[r]}${name}`)]));
  });
  const shapes = inferShapes(config, nLayers, replicas[0]);
  for (let r = 1; r < replicas.length; r++) {
    for (const name of expected) {
      const a = replicas[r][name].shape;
      const b = replicas[0][name].shape;
      if (a.length !== b.length || a.some((n, i) => n !== b[i])) throw new Error(`params: ${labels[r]}${name} is ${formatShape(a)} but ${labels[0]}${name} is ${formatShape(b)} (every replica has the same shapes)`);
    }
  }
  return { config, shapes, replicas: replicas.map((set) => Object.fromEntries(expected.map((name) => [name, set[name].data]))) };
}

function learnedLengthCheck(config: TransformerConfig, shapes: TransformerShapes, T: number, what: string): void {
  if (config.posEncoding === 'learned' && T !== shapes.T) {
    throw new Error(`batch: ${what}, so T = ${T}, but pos has ${shapes.T} rows (learned positions fix T = ${shapes.T})`);
  }
}

/** LM batch {"tokens": [[ids] × B]} (each row T + 1 ids) or ICL batch {"prompts": [{"P": [[dIn numbers] × T], "z": ±1}]}, as the model's head needs. */
export function parseTransformerBatch(json: unknown, config: TransformerConfig, shapes: TransformerShapes): TransformerBatch {
  if (config.head === 'lm') {
    if (!isObject(json) || json.tokens === undefined) {
      const hint = isObject(json) && json.prompts !== undefined ? ' (this is an ICL batch, but the model has an LM head)' : '';
      throw new Error(`batch: expected {"tokens": [[ids] × B]} with T + 1 ids per row${hint}`);
    }
    const rows = json.tokens;
    if (!Array.isArray(rows) || rows.length === 0) throw new Error(`batch: tokens = ${show(rows)}: expected a non-empty array of rows of token ids`);
    if (!Array.isArray(rows[0]) || rows[0].length < 2) throw new Error(`batch: tokens[0] = ${show(rows[0])}: expected T + 1 >= 2 token ids (the inputs, then the last target)`);
    const T = rows[0].length - 1;
    learnedLengthCheck(config, shapes, T, `rows have T + 1 = ${T + 1} ids`);
    const tokens = new Int32Array(rows.length * (T + 1));
    rows.forEach((row: unknown, b: number) => {
      if (!Array.isArray(row)) throw new Error(`batch: tokens[${b}] = ${show(row)}: expected an array of T + 1 = ${T + 1} token ids`);
      if (row.length !== T + 1) throw new Error(`batch: tokens[${b}] has ${row.length} ids but tokens[0] has ${T + 1}; every row has T + 1 ids`);
      row.forEach((id: unknown, t: number) => {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= shapes.V) {
          throw new Error(`batch: tokens[${b}][${t}] = ${show(id)}: expected an integer in 0..${shapes.V - 1} (V = ${shapes.V})`);
        }
        tokens[b * (T + 1) + t] = id;
      });
    });
    return { head: 'lm', B: rows.length, T, tokens };
  }

  if (!isObject(json) || json.prompts === undefined) {
    const hint = isObject(json) && json.tokens !== undefined ? ' (this is an LM batch, but the model has an ICL head)' : '';
    throw new Error(`batch: expected {"prompts": [{"P": [[${shapes.dIn} numbers] × T], "z": 1 or -1}, ...]}${hint}`);
  }
  const prompts = json.prompts;
  if (!Array.isArray(prompts) || prompts.length === 0) throw new Error(`batch: prompts = ${show(prompts)}: expected a non-empty array of {"P": ..., "z": ...}`);
  const firstP = isObject(prompts[0]) ? prompts[0].P : undefined;
  if (!Array.isArray(firstP) || firstP.length === 0) throw new Error(`batch: prompts[0].P = ${show(firstP)}: expected T = N + 1 >= 1 rows (the N contexts, then the query)`);
  const T = firstP.length;
  learnedLengthCheck(config, shapes, T, `prompts have T = N + 1 = ${T} rows`);
  const { dIn } = shapes;
  const inputs = new Float64Array(prompts.length * T * dIn);
  const z = new Float64Array(prompts.length);
  prompts.forEach((prompt: unknown, b: number) => {
    if (!isObject(prompt)) throw new Error(`batch: prompts[${b}] = ${show(prompt)}: expected {"P": [...], "z": 1 or -1}`);
    const { P, z: label } = prompt;
    if (!Array.isArray(P)) throw new Error(`batch: prompts[${b}].P = ${show(P)}: expected ${T} rows of ${dIn} numbers`);
    if (P.length !== T) throw new Error(`batch: prompts[${b}].P has ${P.length} rows but prompts[0].P has ${T}; every prompt has T = N + 1 rows`);
    if (label !== 1 && label !== -1) throw new Error(`batch: prompts[${b}].z = ${show(label)}: expected 1 or -1`);
    z[b] = label;
    P.forEach((row: unknown, t: number) => {
      if (!Array.isArray(row) || row.length !== dIn) {
        throw new Error(`batch: prompts[${b}].P[${t}] ${Array.isArray(row) ? `has ${row.length} numbers` : `= ${show(row)}`}; expected dIn = ${dIn} numbers (W_in is ${shapes.dModel} × ${dIn})`);
      }
      row.forEach((v: unknown, c: number) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`batch: prompts[${b}].P[${t}][${c}] = ${show(v)}: expected a finite number`);
        inputs[(b * T + t) * dIn + c] = v;
      });
    });
  });
  return { head: 'icl', B: prompts.length, T, inputs, z };
}

function tensorsToJson(config: TransformerConfig, shapes: TransformerShapes, tensors: TransformerParams): TensorsJson {
  return Object.fromEntries(Object.entries(transformerParamShapes(config, shapes)).map(([name, shape]) => [name, nest(tensors[name], shape)]));
}

/** A SPEC §4 params file: one set as "params", several as "replicas"; config written in full. */
export function transformerParamsToJson(config: TransformerConfig, shapes: TransformerShapes, replicas: TransformerParams[]): TransformerParamsJson {
  const full: TransformerConfig = {
    nHeads: config.nHeads, norm: config.norm, activation: config.activation, causal: config.causal,
    posEncoding: config.posEncoding, scaleEmbed: config.scaleEmbed, tie: config.tie, head: config.head,
  };
  const sets = replicas.map((tensors) => tensorsToJson(config, shapes, tensors));
  return sets.length === 1 ? { model: 'transformer', config: full, params: sets[0] } : { model: 'transformer', config: full, replicas: sets };
}

/** SPEC §3 {"loss", "grads"}: the batch-mean loss and its gradient, same names and shapes as the params. */
export function transformerLossGradsToJson(config: TransformerConfig, shapes: TransformerShapes, loss: number, grads: TransformerParams): { loss: number; grads: TensorsJson } {
  return { loss, grads: tensorsToJson(config, shapes, grads) };
}

/** The batch as SPEC §4 JSON ({"tokens"} or {"prompts"}). */
export function transformerBatchToJson(batch: TransformerBatch): { tokens: number[][] } | { prompts: { P: number[][]; z: number }[] } {
  if (batch.head === 'lm') {
    return { tokens: Array.from({ length: batch.B }, (_, b) => Array.from(batch.tokens.subarray(b * (batch.T + 1), (b + 1) * (batch.T + 1)))) };
  }
  const dIn = batch.inputs.length / (batch.B * batch.T);
  return {
    prompts: Array.from({ length: batch.B }, (_, b) => ({
      P: nest(batch.inputs, [batch.T, dIn], b * batch.T * dIn) as number[][],
      z: batch.z[b],
    })),
  };
}
