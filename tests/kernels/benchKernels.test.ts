// The bench's limit probes do the work they are credited with: benchCopy copies every vec4 (bit for bit, through
// its grid-stride loop), and benchFma's chains compute what a float64 evaluation of the same recurrence gives.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { benchCopyReference } from '../../src/reference/benchCopy';
import { benchFmaReference } from '../../src/reference/benchFma';

const PROBE = '/tests/probes/benchKernels.ts';

describe('benchCopy (shaders/benchCopy.wgsl)', () => {
  const gpu = useGpu();
  // One vec4; a size that is not a multiple of the 256-thread workgroup; more vec4s than threads launched.
  for (const [vecs, groups] of [[1, 1], [1001, 4], [70_000, 3]]) {
    it(`${vecs} vec4s with ${groups} workgroups: dst equals src bit for bit`, async () => {
      const src = seededArray(new Random(vecs), 4 * vecs, -1e3, 1e3);
      const got = await gpu().call<Float32Array>(PROBE, 'runBenchCopy', { src, groups });
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(benchCopyReference(src).buffer));
    });
  }
});

describe('benchFma (shaders/benchFma.wgsl)', () => {
  const gpu = useGpu();
  for (const [iterations, groups] of [[1, 1], [64, 3], [1000, 2]]) {
    it(`${iterations} iterations, ${groups} workgroups of 64: every thread's chains match float64`, async () => {
      const got = await gpu().call<Float32Array>(PROBE, 'runBenchFma', { iterations, groups });
      // Each step rounds twice in f32 (2 ε relative) and earlier errors shrink by m < 1 per step, so the chain's
      // relative error stays below 2 ε min(iterations, 1 / (1 − m)); 1e-6 covers the seed and the final sums.
      const bound = 2 * 2 ** -24 * Math.min(iterations, 1 / (1 - 0.9993)) + 1e-6;
      expectClose(got, benchFmaReference(64 * groups, iterations), bound, 'out');
    });
  }
});
