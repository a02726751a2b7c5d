// src/reference/transformer.ts: its hand-written backward against central differences of its own loss, on small
// models covering every option of SPEC §4, plus the properties the GPU comparisons rely on (causality, dropout
// masks and their indices, initial distributions, the optimizer formulas).
import { describe, expect, it } from 'vitest';
import {
  gradientClipScale, initialOptimizerState, initTransformerParams, transformerOptimizerStep, sinusoidalPositions, transformerForward,
  transformerLossAndGrads, transformerParamGroup, transformerParamShapes,
  type TransformerBatch, type TransformerConfig, type TransformerDropout, type TransformerParams, type TransformerShapes,
} from '../../src/reference/transformer';
import { centralDifferences } from '../../src/reference/scansnap';
import { dropoutKeep, dropoutKey, dropoutThreshold, Random } from '../../src/util/random';

const BASE: TransformerConfig = {
  nHeads: 1, norm: 'post', activation: 'relu', causal: false, posEncoding: 'none', scaleEmbed: false, tie: false, head: 'lm',
};

/** PyTorch-style init plus noise, so that biases, LayerNorm gains and every attention path carry gradient. */
function randomParams(config: TransformerConfig, shapes: TransformerShapes, rng: Random): TransformerParams {
  const params = initTransformerParams(config, shapes, rng);
  for (const p of Object.values(params)) for (let i = 0; i < p.length; i++) p[i] += 0.2 * rng.normal();
  return params;
}

function randomBatch(config: TransformerConfig, shapes: TransformerShapes, B: number, T: number, rng: Random): TransformerBatch {
  if (config.head === 'lm') return { head: 'lm', B, T, tokens: Int32Array.from({ length: B * (T + 1) }, () => rng.int(shapes.V)) };
  return {
    head: 'icl', B, T,
    inputs: Float64Array.from({ length: B * T * shapes.dIn }, () => rng.normal()),
    z: Float64Array.from({ length: B }, () => rng.sign()),
  };
}

interface Case {
  name: string;
  config: Partial<TransformerConfig>;
  shapes: Partial<TransformerShapes>;
  B: number;
  T: number;
  dropout?: TransformerDropout;
}

const LM = { V: 7, dIn: 0, dModel: 5, dFF: 8, nLayers: 1, T: 0 };
const ICL = { V: 0, dIn: 4, dModel: 5, dFF: 7, nLayers: 1, T: 0 };

const CASES: Case[] = [
  { name: 'LM post, full, relu, no positions, untied, 1 head, dModel 5', config: {}, shapes: {}, B: 2, T: 4 },
  { name: 'LM pre, causal, gelu, sinusoidal, tied, scaleEmbed, 3 heads, 3 layers, dModel 6', config: { norm: 'pre', causal: true, activation: 'gelu', posEncoding: 'sinusoidal', tie: true, scaleEmbed: true, nHeads: 3 }, shapes: { dModel: 6, nLayers: 3 }, B: 2, T: 5 },
  { name: 'LM post, causal, gelu, learned positions, untied, 3 heads, 2 layers, dModel 9', config: { causal: true, activation: 'gelu', posEncoding: 'learned', nHeads: 3 }, shapes: { dModel: 9, nLayers: 2, T: 3 }, B: 3, T: 3 },
  { name: 'LM pre, full, relu, learned, tied, 3 layers, T = 1', config: { norm: 'pre', posEncoding: 'learned', tie: true }, shapes: { nLayers: 3, T: 1, V: 4 }, B: 2, T: 1 },
  { name: 'LM post, causal, relu, sinusoidal, scaleEmbed, 3 heads, dModel 3', config: { causal: true, posEncoding: 'sinusoidal', scaleEmbed: true, nHeads: 3 }, shapes: { dModel: 3, nLayers: 2 }, B: 2, T: 4 },
  { name: 'ICL post, full, relu, no positions, 1 head', config: { head: 'icl' }, shapes: {}, B: 3, T: 4 },
  { name: 'ICL pre, causal, gelu, sinusoidal, 3 heads, 3 layers, dModel 6', config: { head: 'icl', norm: 'pre', causal: true, activation: 'gelu', posEncoding: 'sinusoidal', nHeads: 3 }, shapes: { dModel: 6, nLayers: 3 }, B: 3, T: 4 },
  { name: 'ICL post, causal, gelu, learned, 3 heads, 3 layers, dModel 9', config: { head: 'icl', causal: true, activation: 'gelu', posEncoding: 'learned', nHeads: 3 }, shapes: { dModel: 9, nLayers: 3, T: 3 }, B: 2, T: 3 },
  { name: 'LM pre, causal, gelu, learned, untied, 3 heads, 2 layers, dropout 0.3', config: { norm: 'pre', causal: true, activation: 'gelu', posEncoding: 'learned', nHeads: 3 }, shapes: { dModel: 6, nLayers: 2, T: 4 }, B: 2, T: 4, dropout: { p: 0.3, seed: 11, step: 5 } },
  { name: 'ICL post, full, relu, sinusoidal, 3 layers, dropout 0.25', config: { head: 'icl', posEncoding: 'sinusoidal' }, shapes: { nLayers: 3 }, B: 3, T: 5, dropout: { p: 0.25, seed: 3, step: 0 } },
];

function setup(c: Case, seed: number) {
  const config = { ...BASE, ...c.config };
  const shapes = { ...(config.head === 'lm' ? LM : ICL), ...c.shapes };
  const rng = new Random(seed);
  return { config, shapes, params: randomParams(config, shapes, rng), batch: randomBatch(config, shapes, c.B, c.T, rng), rng };
}

describe('transformer reference: backward against central differences', () => {
  CASES.forEach((c, caseIndex) => {
    it(c.name, () => {
      const { config, shapes, params, batch, rng } = setup(c, 100 + caseIndex);
      const { grads } = transformerLossAndGrads(config, shapes, params, batch, c.dropout);
      const names = Object.keys(transformerParamShapes(config, shapes));
      expect(Object.keys(grads)).toEqual(names);
      for (const name of names) {
        const size = params[name].length;
        const indices = size <= 6 ? Array.from({ length: size }, (_, i) => i) : Array.from({ length: 6 }, () => rng.int(size));
        const numeric = centralDifferences((p) => transformerForward(config, shapes, { ...params, [name]: p }, batch, c.dropout).loss, params[name], indices);
        indices.forEach((i, k) => {
          const error = Math.abs(numeric[k] - grads[name][i]);
          expect(error, `${name}[${i}]: numeric ${numeric[k]}, analytic ${grads[name][i]}`).toBeLessThan(1e-7 + 1e-6 * Math.abs(numeric[k]));
        });
      }
    });
  });

  it('V = 1: the loss is 0 and so is every gradient', () => {
    const { config, shapes, params, batch } = setup({ name: 'V = 1', config: { norm: 'pre' }, shapes: { V: 1 }, B: 2, T: 3 }, 8);
    const { loss, grads } = transformerLossAndGrads(config, shapes, params, batch);
    expect(loss).toBe(0);
    for (const [name, g] of Object.entries(grads)) expect(g.every((v) => v === 0), name).toBe(true);
  });

  it('the tied embedding receives both its input and its decoder gradient', () => {
    const c = CASES[1];
    const { config, shapes, params, batch } = setup(c, 7);
    const tied = transformerLossAndGrads(config, shapes, params, batch).grads.embed;
    const untiedConfig = { ...config, tie: false };
    const untied = transformerLossAndGrads(untiedConfig, shapes, { ...params, W_dec: params.embed }, batch).grads;
    tied.forEach((g, i) => expect(g).toBeCloseTo(untied.embed[i] + untied.W_dec[i], 12));
  });
});

describe('transformer reference: properties', () => {
  it('causal attention: zero above the diagonal, rows sum to 1, and a later token never changes earlier logits', () => {
    const c = CASES[2];
    const { config, shapes, params, batch } = setup(c, 5);
    const { attention, output } = transformerForward(config, shapes, params, batch);
    const { T } = batch;
    for (const probs of attention) {
      for (let row = 0; row < probs.length / T; row++) {
        const t = row % T;
        let sum = 0;
        for (let s = 0; s < T; s++) {
          if (s > t) expect(probs[row * T + s]).toBe(0);
          sum += probs[row * T + s];
        }
        expect(sum).toBeCloseTo(1, 14);
      }
    }
    if (batch.head !== 'lm') throw new Error('case 2 is an LM case');
    const changed = { ...batch, tokens: batch.tokens.slice() };
    changed.tokens[T - 1] = (changed.tokens[T - 1] + 1) % shapes.V; // the last input of sequence 0
    const after = transformerForward(config, shapes, params, changed).output;
    const V = shapes.V;
    for (let i = 0; i < (T - 1) * V; i++) expect(after[i]).toBe(output[i]);
    expect(after.subarray((T - 1) * V, T * V)).not.toEqual(output.subarray((T - 1) * V, T * V));
  });

  it('dropout: p = 0 is no dropout, masks depend on (seed, step) only, and the embedding site drops element (b·T + t)·dModel + c', () => {
    const c = CASES[0];
    const { config, shapes, params, batch } = setup(c, 9);
    const plain = transformerForward(config, shapes, params, batch).loss;
    expect(transformerForward(config, shapes, params, batch, { p: 0, seed: 1, step: 2 }).loss).toBe(plain);
    const dropped = transformerForward(config, shapes, params, batch, { p: 0.4, seed: 1, step: 2 }).loss;
    expect(dropped).not.toBe(plain);
    expect(transformerForward(config, shapes, params, batch, { p: 0.4, seed: 1, step: 2 }).loss).toBe(dropped);
    expect(transformerForward(config, shapes, params, batch, { p: 0.4, seed: 1, step: 3 }).loss).not.toBe(dropped);

    // With no layers the logits are drop(embedding) W_decᵀ + b_dec, which exposes the site-0 mask alone.
    const bare = { ...shapes, nLayers: 0 };
    const bareParams = Object.fromEntries(Object.entries(params).filter(([name]) => !name.startsWith('layers.')));
    const p = 0.5;
    const logits = transformerForward(config, bare, bareParams, batch, { p, seed: 4, step: 6 }).output;
    const { B, T } = batch;
    const { V, dModel: d } = shapes;
    const key = dropoutKey(4, 6, 0, 0);
    let kept = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const token = batch.head === 'lm' ? batch.tokens[b * (T + 1) + t] : 0;
        for (let v = 0; v < V; v++) {
          let want = params.b_dec[v];
          for (let ch = 0; ch < d; ch++) {
            const keep = dropoutKeep(key, (b * T + t) * d + ch, dropoutThreshold(p));
            want += (keep ? params.embed[token * d + ch] / (1 - p) : 0) * params.W_dec[v * d + ch];
          }
          expect(logits[(b * T + t) * V + v]).toBeCloseTo(want, 12);
        }
        for (let ch = 0; ch < d; ch++) kept += dropoutKeep(key, (b * T + t) * d + ch, dropoutThreshold(p)) ? 1 : 0;
      }
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(B * T * d);
  });

  it('sinusoidal table as the PyTorch tutorial, odd dModel included', () => {
    const pe = sinusoidalPositions(4, 5);
    expect(pe[0 * 5 + 0]).toBe(0);
    expect(pe[0 * 5 + 1]).toBe(1);
    expect(pe[3 * 5 + 2]).toBeCloseTo(Math.sin(3 * Math.exp((-2 * Math.log(10000)) / 5)), 14);
    expect(pe[3 * 5 + 3]).toBeCloseTo(Math.cos(3 * Math.exp((-2 * Math.log(10000)) / 5)), 14);
    expect(pe[2 * 5 + 4]).toBeCloseTo(Math.sin(2 * Math.exp((-4 * Math.log(10000)) / 5)), 14);
  });

  it('PyTorch-style and Tian initial distributions', () => {
    const config: TransformerConfig = { ...BASE, norm: 'pre', posEncoding: 'learned' };
    const shapes: TransformerShapes = { V: 50, dIn: 0, dModel: 24, dFF: 40, nLayers: 2, T: 30 };
    const params = initTransformerParams(config, shapes, new Random(1));
    const within = (name: string, bound: number) => {
      const values = Array.from(params[name]);
      expect(Math.max(...values.map(Math.abs)), name).toBeLessThanOrEqual(bound);
      expect(Math.max(...values.map(Math.abs)), name).toBeGreaterThan(0.9 * bound);
    };
    within('layers.1.W_qkv', Math.sqrt(6 / (4 * 24)));
    within('layers.0.W_o', 1 / Math.sqrt(24));
    within('layers.0.W_1', 1 / Math.sqrt(24));
    within('layers.0.b_1', 1 / Math.sqrt(24));
    within('layers.1.W_2', 1 / Math.sqrt(40));
    within('W_dec', 1 / Math.sqrt(24));
    within('b_dec', 1 / Math.sqrt(24));
    for (const name of ['layers.0.b_qkv', 'layers.0.b_o', 'layers.1.ln2.b', 'lnf.b']) expect(params[name].every((v) => v === 0), name).toBe(true);
    for (const name of ['layers.0.ln1.g', 'lnf.g']) expect(params[name].every((v) => v === 1), name).toBe(true);
    for (const name of ['embed', 'pos']) {
      const values = params[name];
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
      expect(Math.abs(mean), name).toBeLessThan(0.1);
      expect(Math.abs(variance - 1), name).toBeLessThan(0.1);
    }
    const tian = initTransformerParams(config, shapes, new Random(1), 'tian');
    for (const name of ['embed', 'W_dec']) {
      const max = Math.max(...Array.from(tian[name]).map(Math.abs));
      expect(max, name).toBeLessThanOrEqual(0.1);
      expect(max, name).toBeGreaterThan(0.09);
    }
    expect(tian.b_dec.every((v) => v === 0)).toBe(true);
    expect(initTransformerParams(config, shapes, new Random(1))['layers.0.W_1']).toEqual(params['layers.0.W_1']);
    expect(() => initTransformerParams({ ...config, head: 'icl' }, { ...shapes, dIn: 3 }, new Random(1), 'tian')).toThrow(/head 'lm'/);
  });

  it('optimizers: groups, first SGD step buf = g, first AdamW step ≈ lr·sign(g), clipping to the total norm', () => {
    const config = { ...BASE };
    const shapes = { ...LM };
    const rng = new Random(2);
    const params = randomParams(config, shapes, rng);
    const grads = randomParams(config, shapes, rng);
    expect(transformerParamGroup('layers.0.W_1')).toBe('ffn');
    expect(transformerParamGroup('layers.12.b_2')).toBe('ffn');
    expect(transformerParamGroup('layers.0.W_o')).toBe('rest');
    expect(transformerParamGroup('W_dec')).toBe('rest');

    const { norm, scale } = gradientClipScale(grads, 0.5);
    const squares = Object.values(grads).reduce((a, g) => a + g.reduce((s, v) => s + v * v, 0), 0);
    expect(norm).toBeCloseTo(Math.sqrt(squares), 12);
    expect(scale).toBeCloseTo(0.5 / (norm + 1e-6), 15);
    expect(gradientClipScale(grads, 0).scale).toBe(1);
    expect(gradientClipScale(grads, 1e9).scale).toBe(1);

    const sgd = { kind: 'sgd' as const, lrFfn: 0.3, lrRest: 0.1, momentum: 0.9, clip: 0 };
    const first = transformerOptimizerStep(sgd, params, grads, initialOptimizerState(sgd, config, shapes), 0, 1);
    const second = transformerOptimizerStep(sgd, first.params, grads, first.state, 1, 1);
    for (const [name, lr] of [['layers.0.W_1', 0.3], ['embed', 0.1]] as const) {
      first.params[name].forEach((v, i) => expect(v).toBeCloseTo(params[name][i] - lr * grads[name][i], 14));
      second.params[name].forEach((v, i) => expect(v).toBeCloseTo(params[name][i] - lr * grads[name][i] - lr * 1.9 * grads[name][i], 13));
    }

    const adamw = { kind: 'adamw' as const, lrFfn: 0.01, lrRest: 0.002, beta1: 0.9, beta2: 0.999, weightDecay: 0.1, clip: 1 };
    const step = transformerOptimizerStep(adamw, params, grads, initialOptimizerState(adamw, config, shapes), 0, scale);
    for (const [name, lr] of [['layers.0.b_2', 0.01], ['layers.0.ln1.g', 0.002]] as const) {
      step.params[name].forEach((v, i) => {
        const g = grads[name][i] * scale;
        expect(v).toBeCloseTo(params[name][i] * (1 - lr * 0.1) - (lr * g) / (Math.abs(g) + 1e-8), 12);
      });
    }
  });
});
