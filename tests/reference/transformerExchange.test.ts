// src/models/transformer/exchange.ts: SPEC §4 params and batch files in (shapes inferred from the arrays, config
// defaults, every disagreement named) and loss/grads, params and batches out.
import { describe, expect, it } from 'vitest';
import {
  parseTransformerBatch, parseTransformerParams, transformerBatchToJson, transformerLossGradsToJson, transformerParamsToJson,
} from '../../src/models/transformer/exchange';
import { initTransformerParams, transformerLossAndGrads, type TransformerConfig, type TransformerShapes } from '../../src/reference/transformer';
import { Random } from '../../src/util/random';

type Json = Record<string, any>;

const LM_CONFIG: TransformerConfig = {
  nHeads: 2, norm: 'post', activation: 'relu', causal: true, posEncoding: 'learned', scaleEmbed: false, tie: false, head: 'lm',
};
const LM_SHAPES: TransformerShapes = { V: 5, dIn: 0, dModel: 6, dFF: 8, nLayers: 2, T: 3 };
const ICL_CONFIG: TransformerConfig = { ...LM_CONFIG, head: 'icl', norm: 'pre', posEncoding: 'none', causal: false };
const ICL_SHAPES: TransformerShapes = { V: 0, dIn: 4, dModel: 6, dFF: 7, nLayers: 1, T: 0 };

/** A fresh, valid params file (a deep copy each call, so cases can mutate it). */
function file(config: TransformerConfig, shapes: TransformerShapes, replicas = 1, seed = 1): Json {
  const rng = new Random(seed);
  const sets = Array.from({ length: replicas }, () => initTransformerParams(config, shapes, rng));
  return JSON.parse(JSON.stringify(transformerParamsToJson(config, shapes, sets)));
}
const lmFile = () => file(LM_CONFIG, LM_SHAPES);
const iclFile = () => file(ICL_CONFIG, ICL_SHAPES);
const lmBatch = (): Json => ({ tokens: [[0, 1, 2, 3], [4, 3, 2, 1]] });
const iclBatch = (): Json => ({ prompts: [{ P: [[1, 0, 0.5, 1], [0, 1, 2, -1], [3, 2, 1, 0]], z: 1 }, { P: [[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 0]], z: -1 }] });

describe('transformer exchange: good files', () => {
  it('a params file round-trips: config, shapes from the arrays, every tensor', () => {
    const config = { ...LM_CONFIG, norm: 'pre' as const, tie: true, scaleEmbed: true, activation: 'gelu' as const };
    const rng = new Random(3);
    const params = initTransformerParams(config, LM_SHAPES, rng);
    const parsed = parseTransformerParams(JSON.parse(JSON.stringify(transformerParamsToJson(config, LM_SHAPES, [params]))));
    expect(parsed.config).toEqual(config);
    expect(parsed.shapes).toEqual(LM_SHAPES);
    expect(parsed.replicas).toHaveLength(1);
    expect(Object.keys(parsed.replicas[0])).toEqual(Object.keys(params));
    for (const [name, p] of Object.entries(params)) expect(parsed.replicas[0][name], name).toEqual(p);
  });

  it('config defaults, head inferred from the tensors, T only from learned positions', () => {
    const json = file({ ...LM_CONFIG, causal: false, posEncoding: 'none' }, LM_SHAPES);
    json.config = { nHeads: 3 };
    const { config, shapes } = parseTransformerParams(json);
    expect(config).toEqual({ nHeads: 3, norm: 'post', activation: 'relu', causal: false, posEncoding: 'none', scaleEmbed: false, tie: false, head: 'lm' });
    expect(shapes).toEqual({ ...LM_SHAPES, T: 0 });

    const icl = iclFile();
    delete icl.config.head;
    const parsedIcl = parseTransformerParams(icl);
    expect(parsedIcl.config.head).toBe('icl');
    expect(parsedIcl.shapes).toEqual(ICL_SHAPES);
    expect(icl.params.w_out).toHaveLength(6);
    expect(icl.params.b_out).toEqual([expect.any(Number)]);
  });

  it('replicas: one set each, in order', () => {
    const json = file(LM_CONFIG, LM_SHAPES, 3);
    const { replicas } = parseTransformerParams(json);
    expect(replicas).toHaveLength(3);
    expect(replicas[2]['layers.1.W_2'][0]).toBe(json.replicas[2]['layers.1.W_2'][0][0]);
    expect(replicas[0]['layers.1.W_2'][0]).not.toBe(replicas[1]['layers.1.W_2'][0]);
  });

  it('batches: LM tokens and ICL prompts, and back', () => {
    const lm = parseTransformerBatch(lmBatch(), LM_CONFIG, LM_SHAPES);
    expect(lm).toEqual({ head: 'lm', B: 2, T: 3, tokens: Int32Array.from([0, 1, 2, 3, 4, 3, 2, 1]) });
    expect(transformerBatchToJson(lm)).toEqual(lmBatch());
    const icl = parseTransformerBatch(iclBatch(), ICL_CONFIG, ICL_SHAPES);
    expect(icl.head === 'icl' && [icl.B, icl.T, icl.inputs[4], icl.inputs[23], icl.z[1]]).toEqual([2, 3, 0, 0, -1]);
    expect(transformerBatchToJson(icl)).toEqual(iclBatch());
    const single = parseTransformerBatch({ prompts: [{ P: [[1, 2, 3, 4]], z: 1 }] }, ICL_CONFIG, ICL_SHAPES);
    expect([single.B, single.T]).toEqual([1, 1]);
  });

  it('loss and gradients come out in SPEC names and shapes', () => {
    const { config, shapes, replicas } = parseTransformerParams(iclFile());
    const batch = parseTransformerBatch(iclBatch(), config, shapes);
    const { loss, grads } = transformerLossAndGrads(config, shapes, replicas[0], batch);
    const json = JSON.parse(JSON.stringify(transformerLossGradsToJson(config, shapes, loss, grads)));
    expect(json.loss).toBe(loss);
    expect(Object.keys(json.grads)).toEqual(Object.keys(replicas[0]));
    expect(json.grads.W_in).toHaveLength(6);
    expect(json.grads.W_in[0]).toHaveLength(4);
    expect(json.grads['layers.0.W_qkv']).toHaveLength(18);
    expect(json.grads.b_out).toEqual([grads.b_out[0]]);
    expect(json.grads['lnf.g'][5]).toBe(grads['lnf.g'][5]);
  });
});

type Edit = (json: Json) => unknown;

/** The whole message must match; one ending in "…" gives its start (the rest lists the model's tensors). */
function expectMessage(run: () => unknown, message: string): void {
  let got = 'no error';
  try {
    run();
  } catch (e) {
    got = (e as Error).message;
  }
  if (message.endsWith('…')) expect(got.startsWith(message.slice(0, -1)), got).toBe(true);
  else expect(got).toBe(message);
}

const BAD_PARAMS: [string, () => Json, Edit, string][] = [
  ['not an object', lmFile, () => [1, 2], 'params: expected {"model": "transformer", "config": {...}, "params": {...}}; got [1,2]'],
  ['wrong model', lmFile, (j) => ({ ...j, model: 'icl' }), 'params: model = "icl"; expected "transformer"'],
  ['params and replicas', lmFile, (j) => ({ ...j, replicas: [j.params] }), 'params: has both "params" and "replicas"; give one'],
  ['params not an object', lmFile, (j) => ({ ...j, params: 3 }), 'params: params = 3: expected an object {NAME: nested arrays}'],
  ['no tensors', lmFile, (j) => ({ model: 'transformer', config: j.config }), 'params: expected "params": {NAME: nested arrays} or a non-empty "replicas": [{...}, ...]'],
  ['no config', lmFile, (j) => ({ ...j, config: undefined }), 'config: missing; expected {"nHeads": ..., ...} (nHeads is required)'],
  ['no nHeads', lmFile, (j) => ({ ...j, config: { norm: 'pre' } }), 'config.nHeads: missing; expected a positive integer that divides dModel'],
  ['nHeads 0', lmFile, (j) => ({ ...j, config: { nHeads: 0 } }), 'config.nHeads = 0: expected a positive integer that divides dModel'],
  ['bad norm', lmFile, (j) => ({ ...j, config: { ...j.config, norm: 'middle' } }), 'config.norm = "middle": expected "post" or "pre"'],
  ['bad flag', lmFile, (j) => ({ ...j, config: { ...j.config, causal: 'yes' } }), 'config.causal = "yes": expected true or false'],
  ['unknown config key', lmFile, (j) => ({ ...j, config: { ...j.config, casual: true } }),
    'config.casual: unknown key; allowed: nHeads, norm, activation, causal, posEncoding, scaleEmbed, tie, head'],
  ['nHeads does not divide dModel', lmFile, (j) => ({ ...j, config: { ...j.config, nHeads: 4 } }),
    'params: dModel = 6 (from embed, 5 × 6) is not divisible by config.nHeads = 4'],
  ['unknown tensor', lmFile, (j) => ({ ...j, params: { ...j.params, W_extra: [1] } }),
    'params: W_extra: unknown tensor; this model (head "lm", norm "post", posEncoding "learned", tie false, 2 layers) has embed, pos, layers.0..1.{W_qkv, b_qkv, W_o, b_o, ln1.g, ln1.b, W_1, b_1, W_2, b_2, ln2.g, ln2.b}, W_dec, b_dec'],
  ['tensors of both heads', lmFile, (j) => ({ ...j, config: { nHeads: 2 }, params: { ...j.params, w_out: [1] } }),
    'params: embed belongs to an LM head and w_out to an ICL head; give one head\'s tensors (or set config.head)'],
  ['LM tensors with head "icl"', lmFile, (j) => ({ ...j, config: { ...j.config, head: 'icl' } }), 'params: embed: unknown tensor (head "icl"); this model (head "icl", norm "post", posEncoding "learned", 2 layers) has W_in, b_in, pos, layers.0..1.{W_qkv, b_qkv, W_o, b_o, ln1.g, ln1.b, W_1, b_1, W_2, b_2, ln2.g, ln2.b}, w_out, b_out'],
  ['missing W_dec', lmFile, (j) => { delete j.params.W_dec; return j; },
    'params: W_dec: missing tensor (an untied LM head (config.tie = true uses embed instead)); this model…'],
  ['W_dec with tie', lmFile, (j) => ({ ...j, config: { ...j.config, tie: true } }), 'params: W_dec: unknown tensor (config.tie is true: the decoder is embed); this model…'],
  ['pos without learned positions', lmFile, (j) => ({ ...j, config: { ...j.config, posEncoding: 'sinusoidal' } }),
    'params: pos: unknown tensor (config.posEncoding is "sinusoidal"; pos belongs to "learned"); this model…'],
  ['missing pos', lmFile, (j) => { delete j.params.pos; return j; }, 'params: pos: missing tensor (config.posEncoding is "learned"); this model…'],
  ['missing lnf with pre', lmFile, (j) => ({ ...j, config: { ...j.config, norm: 'pre' } }), 'params: lnf.g: missing tensor (config.norm is "pre"); this model…'],
  ['lnf with post', iclFile, (j) => ({ ...j, config: { ...j.config, norm: 'post' } }), 'params: lnf.g: unknown tensor (config.norm is "post"; lnf belongs to "pre"); this model…'],
  ['missing layer tensor', lmFile, (j) => { delete j.params['layers.1.ln2.g']; return j; }, 'params: layers.1.ln2.g: missing tensor; this model…'],
  ['a layer beyond the others', lmFile, (j) => ({ ...j, params: { ...j.params, 'layers.3.W_1': j.params['layers.0.W_1'] } }), 'params: layers.2.W_qkv: missing tensor; this model (head "lm", norm "post", posEncoding "learned", tie false, 4 layers)…'],
  ['a non-canonical layer index', lmFile, (j) => ({ ...j, params: { ...j.params, 'layers.01.W_1': [1] } }), 'params: layers.01.W_1: unknown tensor; this model…'],
  ['no layers', lmFile, (j) => ({ ...j, params: { embed: j.params.embed, pos: j.params.pos, W_dec: j.params.W_dec, b_dec: j.params.b_dec } }),
    'params: no layers; expected tensors layers.0.W_qkv, layers.0.b_qkv, ... (at least one layer)'],
  ['a layer differs from layer 0', lmFile, (j) => { j.params['layers.1.W_1'] = j.params['layers.1.W_1'].map((r: number[]) => r.slice(1)); return j; },
    'params: layers.1.W_1 is 8 × 5 but layers.0.W_1 is 8 × 6 (every layer has the same shapes)'],
  ['W_qkv against dModel', lmFile, (j) => { j.params['layers.0.W_qkv'] = j.params['layers.0.W_qkv'].map((r: number[]) => r.slice(1)); return j; },
    'params: layers.0.W_qkv is 18 × 5 but must be 3·dModel × dModel = 18 × 6, as embed is 5 × 6'],
  ['b_1 against dFF', lmFile, (j) => { j.params['layers.0.b_1'].pop(); return j; }, 'params: layers.0.b_1 is 7 but must be dFF = 8, as layers.0.W_1 is 8 × 6'],
  ['W_1 against dModel', lmFile, (j) => { for (const l of [0, 1]) j.params[`layers.${l}.W_1`] = j.params[`layers.${l}.W_1`].map((r: number[]) => r.slice(2)); return j; },
    'params: layers.0.W_1 is 8 × 4 but must be dFF × dModel = 8 × 6, as embed is 5 × 6'],
  ['b_dec against V', lmFile, (j) => { j.params.b_dec.pop(); return j; }, 'params: b_dec is 4 but must be V = 5, as embed is 5 × 6'],
  ['pos against dModel', lmFile, (j) => { j.params.pos = j.params.pos.map((r: number[]) => [...r, 0]); return j; }, 'params: pos is 3 × 7 but must be T × dModel = 3 × 6, as embed is 5 × 6'],
  ['ragged rows', lmFile, (j) => { j.params.embed[2].pop(); return j; }, 'params: embed[2] has 5 entries but embed[0] has 6'],
  ['a null entry', lmFile, (j) => { j.params['layers.0.W_o'][1][3] = null; return j; }, 'params: layers.0.W_o[1][3] = null: expected a finite number'],
  ['an array where a number belongs', lmFile, (j) => { j.params['layers.0.b_o'][2] = [1]; return j; }, 'params: layers.0.b_o[2] is an array but layers.0.b_o[0] is a number'],
  ['a number where a row belongs', lmFile, (j) => { j.params.embed[1] = 4; return j; }, 'params: embed[1] = 4: expected an array of 6 like embed[0]'],
  ['a string tensor', lmFile, (j) => { j.params.b_dec = 'zeros'; return j; }, 'params: b_dec = "zeros": expected nested arrays of numbers'],
  ['embed not 2-D', lmFile, (j) => { j.params.embed = j.params.embed[0]; return j; }, 'params: embed is 6; expected V × dModel with both at least 1'],
  ['replicas disagree', () => file(LM_CONFIG, LM_SHAPES, 2), (j) => { j.replicas[1]['layers.0.b_o'].pop(); return j; },
    'params: replicas[1].layers.0.b_o is 5 but replicas[0].layers.0.b_o is 6 (every replica has the same shapes)'],
  ['a replica lacks a tensor', () => file(LM_CONFIG, LM_SHAPES, 2), (j) => { delete j.replicas[1].b_dec; return j; }, 'params: replicas[1].b_dec: missing tensor (replicas[0] has it)'],
  ['a replica is not an object', () => file(LM_CONFIG, LM_SHAPES, 2), (j) => { j.replicas[1] = [1]; return j; }, 'params: replicas[1] = [1]: expected an object {NAME: nested arrays}'],
  ['tie with the ICL head', iclFile, (j) => ({ ...j, config: { ...j.config, tie: true } }), 'config.tie = true: only an LM head has a decoder to tie; the ICL head reads out with w_out'],
  ['scaleEmbed with the ICL head', iclFile, (j) => ({ ...j, config: { ...j.config, scaleEmbed: true } }),
    'config.scaleEmbed = true: only token embeddings are scaled; the ICL head takes real inputs through W_in'],
  ['b_out as a bare number', iclFile, (j) => { j.params.b_out = 0.5; return j; }, 'params: b_out is a scalar but must be 1'],
  ['b_out of two', iclFile, (j) => { j.params.b_out = [0.5, 1]; return j; }, 'params: b_out is 2 but must be 1'],
  ['w_out as PyTorch\'s 1 × dModel weight', iclFile, (j) => { j.params.w_out = [j.params.w_out]; return j; }, 'params: w_out is 1 × 6 but must be dModel = 6, as W_in is 6 × 4'],
];

describe('transformer exchange: bad params files', () => {
  for (const [name, good, edit, message] of BAD_PARAMS) {
    it(name, () => {
      expectMessage(() => parseTransformerParams(edit(good())), message);
    });
  }
});

const BAD_BATCHES: [string, TransformerConfig, TransformerShapes, Json, string][] = [
  ['ICL batch for an LM', LM_CONFIG, LM_SHAPES, iclBatch(), 'batch: expected {"tokens": [[ids] × B]} with T + 1 ids per row (this is an ICL batch, but the model has an LM head)'],
  ['no rows', LM_CONFIG, LM_SHAPES, { tokens: [] }, 'batch: tokens = []: expected a non-empty array of rows of token ids'],
  ['a row of one id', LM_CONFIG, LM_SHAPES, { tokens: [[1]] }, 'batch: tokens[0] = [1]: expected T + 1 >= 2 token ids (the inputs, then the last target)'],
  ['rows of different lengths', { ...LM_CONFIG, posEncoding: 'none' }, LM_SHAPES, { tokens: [[1, 2, 3], [1, 2]] }, 'batch: tokens[1] has 2 ids but tokens[0] has 3; every row has T + 1 ids'],
  ['an id beyond V', LM_CONFIG, LM_SHAPES, { tokens: [[0, 1, 2, 3], [4, 5, 0, 0]] }, 'batch: tokens[1][1] = 5: expected an integer in 0..4 (V = 5)'],
  ['a fractional id', LM_CONFIG, LM_SHAPES, { tokens: [[0, 1.5, 2, 3]] }, 'batch: tokens[0][1] = 1.5: expected an integer in 0..4 (V = 5)'],
  ['T against learned positions', LM_CONFIG, LM_SHAPES, { tokens: [[0, 1, 2, 3, 4]] }, 'batch: rows have T + 1 = 5 ids, so T = 4, but pos has 3 rows (learned positions fix T = 3)'],
  ['LM batch for ICL', ICL_CONFIG, ICL_SHAPES, lmBatch(), 'batch: expected {"prompts": [{"P": [[4 numbers] × T], "z": 1 or -1}, ...]} (this is an LM batch, but the model has an ICL head)'],
  ['empty P', ICL_CONFIG, ICL_SHAPES, { prompts: [{ P: [], z: 1 }] }, 'batch: prompts[0].P = []: expected T = N + 1 >= 1 rows (the N contexts, then the query)'],
  ['prompts of different lengths', ICL_CONFIG, ICL_SHAPES, { prompts: [{ P: [[1, 2, 3, 4]], z: 1 }, { P: [[1, 2, 3, 4], [1, 2, 3, 4]], z: 1 }] },
    'batch: prompts[1].P has 2 rows but prompts[0].P has 1; every prompt has T = N + 1 rows'],
  ['a row of the wrong width', ICL_CONFIG, ICL_SHAPES, { prompts: [{ P: [[1, 2, 3, 4], [1, 2, 3]], z: 1 }] }, 'batch: prompts[0].P[1] has 3 numbers; expected dIn = 4 numbers (W_in is 6 × 4)'],
  ['z = 0', ICL_CONFIG, ICL_SHAPES, { prompts: [{ P: [[1, 2, 3, 4]], z: 0 }] }, 'batch: prompts[0].z = 0: expected 1 or -1'],
  ['a null input', ICL_CONFIG, ICL_SHAPES, { prompts: [{ P: [[1, 2, null, 4]], z: -1 }] }, 'batch: prompts[0].P[0][2] = null: expected a finite number'],
  ['ICL T against learned positions', { ...ICL_CONFIG, posEncoding: 'learned' }, { ...ICL_SHAPES, T: 2 }, iclBatch(), 'batch: prompts have T = N + 1 = 3 rows, so T = 3, but pos has 2 rows (learned positions fix T = 2)'],
];

describe('transformer exchange: bad batches', () => {
  for (const [name, config, shapes, json, message] of BAD_BATCHES) {
    it(name, () => {
      expectMessage(() => parseTransformerBatch(json, config, shapes), message);
    });
  }
});
