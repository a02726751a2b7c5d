// The bench's limit probes do the work they are credited with: benchCopy copies every vec4 (bit for bit, through
// its grid-stride loop), and benchFma's chains compute what a float64 evaluation of the same recurrence gives.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';

const PROBE = '/tests/probes/benchKernels.ts';

describe('benchCopy (shaders/benchCopy.wgsl)', () => {
  const gpu = useGpu();
  // One vec4; a size that is not a multiple of the 256-thread workgroup; more vec4s than threads launched.
  for (const [vecs, groups] of [[1, 1], [1001, 4], [70_000, 3]]) {
    it(`${vecs} vec4s with ${groups} workgroups: dst equals src bit for bit`, async () => {
      const src = seededArray(new Random(vecs), 4 * vecs, -1e3, 1e3);
      const got = await gpu().call<Float32Array>(PROBE, 'runBenchCopy', { src, groups });
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(src.buffer));
    });
  }
});

/** float64 evaluation of benchFma's eight chains per thread: a <- a m + c, ITERATIONS times, then the sum. */
function benchFmaReference(threads: number, iterations: number): Float64Array {
  const m = [0.999, 0.9991, 0.9992, 0.9993].map(Math.fround);
  const c = [1e-3, 2e-3, 3e-3, 4e-3].map(Math.fround);
  const out = new Float64Array(4 * threads);
  for (let t = 0; t < threads; t++) {
    const seed = Math.fround(Math.fround(t) * Math.fround(1e-6));
    for (let lane = 0; lane < 4; lane++) {
      let sum = 0;
      for (let chain = 0; chain < 8; chain++) {
        let a = seed + Math.fround(0.1 * lane) + chain;
        for (let i = 0; i < iterations; i++) a = a * m[lane] + c[lane];
        sum += a;
      }
      out[4 * t + lane] = sum;
    }
  }
  return out;
}

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
