// softmaxRows forward and backward (shaders/softmaxRows.wgsl) against the float64 reference.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, relativeError, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { softmaxRowsBackwardReference, softmaxRowsReference } from '../../src/reference/softmaxRows';
import type { SoftmaxRowsShape } from '../../src/kernels/softmaxRows';

const PROBE = '/tests/probes/kernels.ts';

// Rows of 1 (softmax = 1, gradient 0), counts that are not multiples of the 64-thread workgroup, ICL's
// 20-context rows, and the largest the budget allows: Scan & Snap's 127-token rows for 4 replicas x 128.
const CASES: SoftmaxRowsShape[] = [
  { batch: 1, rows: 1, cols: 1 },
  { batch: 1, rows: 1, cols: 7 },
  { batch: 3, rows: 5, cols: 1 },
  { batch: 4, rows: 33, cols: 20 },
  { batch: 2, rows: 65, cols: 129 },
  { batch: 512, rows: 1, cols: 127 },
];

describe('softmaxRows (shaders/softmaxRows.wgsl) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of CASES) {
    it(JSON.stringify(shape), async () => {
      const n = shape.batch * shape.rows * shape.cols;
      const rng = new Random(n + shape.cols);
      // Logits up to +-30: exp() without the max subtraction would lose every digit of small entries.
      const x = seededArray(rng, n, -30, 30);
      const y = Float32Array.from(softmaxRowsReference(shape, x));
      const dy = seededArray(rng, n);
      const got = await gpu().call<{ y: Float32Array; dx: Float32Array }>(PROBE, 'runSoftmaxRows', { shape, x, y, dy });
      expectClose(got.y, softmaxRowsReference(shape, x), 1e-5, 'y');
      const want = softmaxRowsBackwardReference(shape, y, dy);
      if (shape.cols === 1) expect(Array.from(got.dx)).toEqual(new Array(n).fill(0));
      else expectClose(got.dx, want, 1e-5, 'dx');
    });
  }

  it('stays finite for logits near the f32 limit', async () => {
    const shape = { batch: 1, rows: 2, cols: 3 };
    const x = new Float32Array([1e38, 1e38, -1e38, 80, 90, 100]);
    const dy = new Float32Array(6);
    const got = await gpu().call<{ y: Float32Array; dx: Float32Array }>(PROBE, 'runSoftmaxRows', { shape, x, y: new Float32Array(6), dy });
    expectClose(got.y, softmaxRowsReference(shape, x), 1e-6, 'y');
  });
});

describe('softmaxRows reference backward', () => {
  it('matches central finite differences of the reference forward', () => {
    const shape = { batch: 2, rows: 1, cols: 6 };
    const rng = new Random(5);
    const x = Float64Array.from(seededArray(rng, 12, -3, 3));
    const dy = Float64Array.from(seededArray(rng, 12));
    const loss = (v: Float64Array) => softmaxRowsReference(shape, v).reduce((acc, yi, i) => acc + yi * dy[i], 0);
    const h = 1e-6;
    const numeric = Array.from(x, (_, i) => {
      const plus = Float64Array.from(x);
      const minus = Float64Array.from(x);
      plus[i] += h;
      minus[i] -= h;
      return (loss(plus) - loss(minus)) / (2 * h);
    });
    const analytic = softmaxRowsBackwardReference(shape, softmaxRowsReference(shape, x), dy);
    expect(relativeError(analytic, numeric)).toBeLessThan(1e-7);
  });
});
