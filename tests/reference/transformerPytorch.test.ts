// The float64 transformer reference against PyTorch 1.13's nn.TransformerEncoderLayer models in float64
// (tests/fixtures/transformer/*.json, written by tools/pytorch/transformer_fixtures.py): loss, every gradient,
// the attention probabilities, and the params after a few SGD / AdamW steps with clipping and two lr groups.
// In the dropout fixtures PyTorch's dropouts were replaced by our counter-hash masks, site by site.
// The files go through src/models/transformer/exchange.ts, so this also reads real SPEC §4 files.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTransformerBatch, parseTransformerParams } from '../../src/models/transformer/exchange';
import {
  initialOptimizerState, transformerLossAndGrads, transformerTrainingStep, type TransformerDropout, type TransformerOptimizer,
} from '../../src/reference/transformer';
import { relativeError } from '../compare';

const DIR = fileURLToPath(new URL('../fixtures/transformer/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const TOLERANCE = 1e-10;

interface Fixture {
  torch: string;
  params: unknown;
  batch: unknown;
  /** Our counter-hash masks, put in place of PyTorch's dropouts; null: no dropout. */
  dropout: TransformerDropout | null;
  lossGrads: { loss: number; grads: Record<string, unknown> };
  attention: unknown[];
  training: { optimizer: TransformerOptimizer; steps: number; losses: number[]; gradNorms: number[]; params: Record<string, unknown> };
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const relative = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

describe('transformer reference vs PyTorch (float64 fixtures)', () => {
  it('has the fixtures, two of them with dropout', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(9);
    expect(FILES.filter((f) => f.includes('dropout'))).toHaveLength(2);
  });

  for (const file of FILES) {
    it(file.replace(/\.json$/, ''), () => {
      const fixture = JSON.parse(readFileSync(DIR + file, 'utf8')) as Fixture;
      const { config, shapes, replicas } = parseTransformerParams(fixture.params);
      const batch = parseTransformerBatch(fixture.batch, config, shapes);
      const params = replicas[0];

      const dropout = fixture.dropout ?? undefined;
      const { loss, grads, attention } = transformerLossAndGrads(config, shapes, params, batch, dropout);
      expect(relative(loss, fixture.lossGrads.loss), 'loss').toBeLessThan(TOLERANCE);
      expect(Object.keys(grads).sort()).toEqual(Object.keys(fixture.lossGrads.grads).sort());
      for (const [name, g] of Object.entries(grads)) expect(relativeError(g, flat(fixture.lossGrads.grads[name])), `grad ${name}`).toBeLessThan(TOLERANCE);
      expect(attention.length).toBe(shapes.nLayers);
      attention.forEach((probs, l) => expect(relativeError(probs, flat(fixture.attention[l])), `attention of layer ${l}`).toBeLessThan(TOLERANCE));

      const { optimizer, steps, losses, gradNorms } = fixture.training;
      let current = params;
      let state = initialOptimizerState(optimizer, config, shapes);
      for (let step = 0; step < steps; step++) {
        const result = transformerTrainingStep(config, shapes, current, batch, optimizer, state, step, dropout);
        expect(relative(result.loss, losses[step]), `loss before step ${step}`).toBeLessThan(TOLERANCE);
        expect(relative(result.gradNorm, gradNorms[step]), `gradient norm at step ${step}`).toBeLessThan(TOLERANCE);
        current = result.params;
        state = result.state;
      }
      for (const [name, p] of Object.entries(current)) {
        expect(relativeError(p, flat(fixture.training.params[name])), `${name} after ${steps} ${optimizer.kind} steps`).toBeLessThan(TOLERANCE);
      }
    });
  }
});
