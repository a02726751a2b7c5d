// src/util/special.ts: erf against tabulated values (to 1e-13) and GELU's derivative against central differences.
import { describe, expect, it } from 'vitest';
import { erf, gelu, geluGrad } from '../../src/util/special';

describe('erf and GELU (float64, src/util/special.ts)', () => {
  it('matches erf at tabulated points on both sides of the series/continued-fraction switch', () => {
    const known: [number, number][] = [
      [0, 0], [0.01, 0.011283415555849618], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [-1.5, -0.9661051464753108],
      [2, 0.9953222650189527], [2.9, 0.9999589021219005], [3, 0.9999779095030014], [3.5, 0.9999992569016276], [5, 0.9999999999984626],
    ];
    for (const [x, want] of known) expect(Math.abs(erf(x) - want), `erf(${x})`).toBeLessThan(1e-13);
    expect(erf(-3.5)).toBe(-erf(3.5));
  });

  it("geluGrad is gelu's derivative", () => {
    const h = 1e-5;
    for (const x of [-4, -2, -0.3, 0, 0.7, 2.5, 3.2]) {
      expect(Math.abs(geluGrad(x) - (gelu(x + h) - gelu(x - h)) / (2 * h)), `x = ${x}`).toBeLessThan(1e-8);
    }
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 14);
  });
});
