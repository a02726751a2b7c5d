// The whole transformer on the GPU against the float64 reference (src/reference/transformer.ts, itself checked by
// finite differences and PyTorch fixtures): loss and every gradient of 3-layer models, post-LN and pre-LN,
// causal, LM and ICL heads, within float32 tolerance.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { relativeError } from '../compare';
import { Random } from '../../src/util/random';
import { initTransformerParams, transformerLossAndGrads } from '../../src/reference/transformer';
import type { TransformerBatch, TransformerConfig, TransformerShapes } from '../../src/models/transformer/shapes';

const PROBE = '/tests/probes/transformer.ts';

interface Case {
  name: string;
  config: TransformerConfig;
  shapes: TransformerShapes;
  B: number;
  T: number;
}

const base: TransformerConfig = { nHeads: 2, norm: 'post', activation: 'relu', causal: true, posEncoding: 'sinusoidal', scaleEmbed: false, tie: false, head: 'lm' };
const CASES: Case[] = [
  { name: '3 layers, post-LN, causal, relu, LM', config: base, shapes: { V: 11, dIn: 0, dModel: 6, dFF: 10, nLayers: 3, T: 0 }, B: 3, T: 5 },
  { name: '3 layers, pre-LN, causal, gelu, learned positions, tied, LM', config: { ...base, norm: 'pre', activation: 'gelu', posEncoding: 'learned', tie: true, scaleEmbed: true, nHeads: 3 }, shapes: { V: 7, dIn: 0, dModel: 9, dFF: 7, nLayers: 3, T: 4 }, B: 2, T: 4 },
  { name: '3 layers, pre-LN, full attention, ICL head', config: { ...base, norm: 'pre', causal: false, head: 'icl', posEncoding: 'none' }, shapes: { V: 0, dIn: 5, dModel: 6, dFF: 8, nLayers: 3, T: 0 }, B: 4, T: 6 },
  { name: '3 layers, post-LN, causal, ICL head, T = 1', config: { ...base, head: 'icl', posEncoding: 'sinusoidal' }, shapes: { V: 0, dIn: 3, dModel: 4, dFF: 5, nLayers: 3, T: 0 }, B: 3, T: 1 },
];

function batchOf(c: Case, rng: Random): TransformerBatch {
  if (c.config.head === 'lm') return { head: 'lm', B: c.B, T: c.T, tokens: Int32Array.from({ length: c.B * (c.T + 1) }, () => rng.int(c.shapes.V)) };
  return {
    head: 'icl', B: c.B, T: c.T,
    inputs: Float64Array.from({ length: c.B * c.T * c.shapes.dIn }, () => rng.range(-1, 1)),
    z: Float64Array.from({ length: c.B }, () => rng.sign()),
  };
}

describe('transformer: GPU loss and gradients against the float64 reference', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(c.name, async () => {
      const rng = new Random(c.shapes.dModel * 100 + c.B, 7);
      const params = initTransformerParams(c.config, c.shapes, rng);
      const batch = batchOf(c, rng);
      const want = transformerLossAndGrads(c.config, c.shapes, params, batch);
      const got = await gpu().call<{ loss: number; grads: Record<string, Float32Array> }>(PROBE, 'lossAndGrads', { config: c.config, shapes: c.shapes, params, batch });
      expect(Math.abs(got.loss - want.loss), `loss ${got.loss} vs ${want.loss}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
      expect(Object.keys(got.grads).sort()).toEqual(Object.keys(want.grads).sort());
      for (const name of Object.keys(want.grads)) {
        const scale = Math.max(...Array.from(want.grads[name], Math.abs));
        if (scale < 1e-9) expect(Math.max(...Array.from(got.grads[name], Math.abs)), `${name} is zero in float64`).toBeLessThan(1e-6);
        else expect(relativeError(got.grads[name], want.grads[name]), name).toBeLessThan(2e-4);
      }
    });
  }
});
