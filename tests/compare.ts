// Comparison helpers: relative norm error against the float64 reference, with NaN (unwritten poison) failing.
import { expect } from 'vitest';

export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length mismatch: got ${got.length}, want ${want.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < got.length; i++) {
    if (!Number.isFinite(got[i])) return Infinity; // NaN poison means an element was never written
    diff += (got[i] - want[i]) ** 2;
    norm += want[i] ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
}

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5, what = 'result'): void {
  const firstBad = Array.from(got).findIndex((v) => !Number.isFinite(v));
  expect(firstBad, `${what}: element ${firstBad} is not finite (unwritten?)`).toBe(-1);
  const err = relativeError(got, want);
  expect(err, `${what}: relative norm error ${err.toExponential(2)} > ${tol}`).toBeLessThanOrEqual(tol);
}

export function seededArray(rng: { range(lo: number, hi: number): number }, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.range(lo, hi);
  return a;
}
