// GPU loss and gradients (shaders/icl*.wgsl through src/models/icl/network.ts) against the float64 reference,
// and the reference against central finite differences.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, relativeError } from '../compare';
import { Random } from '../../src/util/random';
import { ICL_PARAM_NAMES, iclFiniteDifference, iclLossAndGradsReference, iclParamShapes, type DenseBatch, type IclParams64, type IclShapes } from '../../src/reference/icl';

const PROBE = '/tests/probes/icl.ts';

function shapesOf(dX: number, dY: number, dA: number, dV: number, m: number): IclShapes {
  return { dX, dY, d: dX + dY, dA, dV, m };
}

/** Random params (std 1/√d, so scores stay O(1) as in training) and random prompts with ±1 targets. */
function randomProblem(rng: Random, s: IclShapes, prompts: number, N: number): { params: IclParams64; batch: DenseBatch } {
  const sizes = iclParamShapes(s);
  const params = {} as IclParams64;
  for (const name of ICL_PARAM_NAMES) params[name] = Float64Array.from({ length: sizes[name][0] * sizes[name][1] }, () => Math.fround(rng.normal() / Math.sqrt(s.d)));
  const P = Float64Array.from({ length: prompts * (N + 1) * s.d }, () => Math.fround(rng.normal()));
  const z = Float64Array.from({ length: prompts }, () => rng.sign());
  return { params, batch: { prompts, N, P, z } };
}

const CASES = [
  { name: 'N = 1, m odd', shapes: shapesOf(5, 2, 7, 7, 5), prompts: 6, N: 1, replicas: 1 },
  { name: 'dA != d, dV != d, R = 3', shapes: shapesOf(6, 3, 4, 11, 8), prompts: 9, N: 5, replicas: 3 },
  { name: 'SPEC default shapes, R = 2', shapes: shapesOf(32, 8, 40, 40, 64), prompts: 16, N: 20, replicas: 2 },
  { name: 'm = 1, dA = 1, large N', shapes: shapesOf(4, 1, 1, 3, 1), prompts: 3, N: 70, replicas: 2 },
];

describe('ICL loss and gradients on the GPU vs the float64 reference', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    it(c.name, async () => {
      const rng = new Random(c.prompts * 31 + c.N);
      const problems = Array.from({ length: c.replicas }, () => randomProblem(rng, c.shapes, c.prompts, c.N));
      const got = await gpu().call<{ loss: Float32Array; grads: Record<string, Float32Array> }>(PROBE, 'lossAndGrads', {
        shapes: c.shapes, params: problems.map((p) => p.params), batches: problems.map((p) => p.batch),
      });
      const sizes = iclParamShapes(c.shapes);
      problems.forEach((p, r) => {
        const want = iclLossAndGradsReference(c.shapes, p.params, p.batch);
        expect(want.loss).toBeGreaterThan(0);
        expect(Math.abs(got.loss[r] - want.loss) / want.loss, `loss of replica ${r}`).toBeLessThan(1e-5);
        for (const name of ICL_PARAM_NAMES) {
          const size = sizes[name][0] * sizes[name][1];
          expectClose(got.grads[name].subarray(r * size, (r + 1) * size), want.grads[name], 2e-5, `replica ${r} ${name}`);
        }
      });
    });
  }
});

describe('float64 reference vs central finite differences', () => {
  for (const c of CASES.slice(0, 2)) {
    it(c.name, () => {
      const rng = new Random(7 + c.N);
      const { params, batch } = randomProblem(rng, c.shapes, c.prompts, c.N);
      const want = iclLossAndGradsReference(c.shapes, params, batch);
      for (const name of ICL_PARAM_NAMES) {
        const indices = Array.from({ length: params[name].length }, (_, i) => i);
        const fd = iclFiniteDifference(c.shapes, params, batch, name, indices, 1e-6);
        expect(relativeError(want.grads[name], fd), name).toBeLessThan(1e-6);
      }
    });
  }
});
