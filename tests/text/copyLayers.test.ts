// copyLayers: every layer starts as a copy of layer 0, as PyTorch's nn.TransformerEncoder (a deep copy of one
// layer) and so Tian et al.'s 3-layer run; the other tensors are those of the usual draw. In the reference and in a
// trainer's initial state.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import type { TrainerState } from '../../src/engine/types';
import { initTransformerParams, type TransformerConfig } from '../../src/reference/transformer';
import { Random } from '../../src/util/random';

const config: TransformerConfig = { nHeads: 2, norm: 'post', activation: 'relu', causal: true, posEncoding: 'sinusoidal', scaleEmbed: true, tie: false, head: 'lm' };
const shapes = { V: 11, dIn: 0, dModel: 6, dFF: 10, nLayers: 3, T: 0 };

describe('copyLayers', () => {
  const gpu = useGpu();

  it('reference: layers 1 and 2 equal layer 0; every other tensor as without copying', () => {
    const drawn = initTransformerParams(config, shapes, new Random(5), 'tian');
    const copied = initTransformerParams(config, shapes, new Random(5), 'tian', { copyLayers: true });
    for (const name of Object.keys(drawn)) {
      const m = /^layers\.(\d)\.(.+)$/.exec(name);
      if (m && m[1] !== '0') {
        expect(copied[name], name).toEqual(copied[`layers.0.${m[2]}`]);
        if (!/^(b_qkv|b_o|ln\d\.[gb])$/.test(m[2])) expect(drawn[name], name).not.toEqual(drawn[`layers.0.${m[2]}`]);
      } else expect(copied[name], name).toEqual(drawn[name]);
    }
  });

  it("a trainer's initial parameters: copies per replica", async () => {
    const raw = { V: 11, T: 4, dModel: 6, nHeads: 2, dFF: 10, nLayers: 3, batch: 2, evalSize: 2, sampleSize: 1, replicas: 2, init: 'tian', copyLayers: true };
    const { state } = await gpu().call<{ state: TrainerState }>('/tests/probes/transformer.ts', 'train', { config: raw, steps: [0], metricsEvery: 0 });
    for (const [name, values] of Object.entries(state.params)) {
      const m = /^layers\.(\d)\.(.+)$/.exec(name);
      if (m && m[1] !== '0') expect(Array.from(values), name).toEqual(Array.from(state.params[`layers.0.${m[2]}`]));
    }
    expect(Array.from(state.params['layers.0.W_qkv'].subarray(0, 108))).not.toEqual(Array.from(state.params['layers.0.W_qkv'].subarray(108)));
  });
});
