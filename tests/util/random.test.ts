// Random.fillRange is an unrolled copy of range() for bulk initialisation: it must give the same values and leave
// the generator in the same state.
import { describe, expect, it } from 'vitest';
import { Random } from '../../src/util/random';

describe('Random.fillRange', () => {
  for (const [seed, stream, lo, hi] of [[0, 0, -1, 1], [7, 1, -0.0645, 0.0645], [2 ** 31 - 1, 3, 2, 5]]) {
    it(`seed ${seed}, stream ${stream}, [${lo}, ${hi}): the values of as many range() calls, into Float32 and Float64 arrays`, () => {
      for (const Kind of [Float32Array, Float64Array]) {
        const calls = new Random(seed, stream);
        const bulk = new Random(seed, stream);
        const want = new Kind(1000);
        for (let i = 0; i < want.length; i++) want[i] = i < 10 ? 0 : calls.range(lo, hi);
        const got = new Kind(1000);
        bulk.fillRange(got, 10, 1000, lo, hi);
        expect(got).toEqual(want);
        expect([bulk.nextU32(), bulk.uniform()]).toEqual([calls.nextU32(), calls.uniform()]);
      }
    });
  }
});
