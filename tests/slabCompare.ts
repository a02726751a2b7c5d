// Comparison helpers for tensors inside a parameter slab [R][P] (docs/transformer.md): the reference is NaN
// wherever the kernel must not write, and the slab was NaN-filled before the kernel ran.
import { expect } from 'vitest';
import { expectClose } from './compare';

/** Entries the reference writes match it within `tol`; entries it leaves NaN are still NaN (never written). */
export function expectSlab(got: ArrayLike<number>, want: Float64Array, tol: number, what = 'slab'): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const written: number[] = [];
  const gaps: number[] = [];
  want.forEach((v, i) => (Number.isNaN(v) ? gaps : written).push(i));
  expectClose(written.map((i) => got[i]), written.map((i) => want[i]), tol, what);
  const overwritten = gaps.find((i) => !Number.isNaN(got[i]));
  expect(overwritten, `${what}: entry ${overwritten} outside the written tensors was written`).toBeUndefined();
}

/** The bit patterns of f32 values, for run-to-run identity checks. */
export function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}
