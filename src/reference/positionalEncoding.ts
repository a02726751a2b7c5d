// float64 reference for positionalEncoding (shaders/positionalEncoding.wgsl add, reduceRows backward) and the
// sinusoidal table, written from SPEC §4: PE[t][2i] = sin(t·10000^(−2i/dModel)), PE[t][2i+1] = cos(…).
import type { PositionalEncodingShape } from '../kernels/positionalEncoding';

export function sinusoidalReference(T: number, dModel: number): Float64Array {
  const table = new Float64Array(T * dModel);
  for (let t = 0; t < T; t++) {
    for (let i = 0; 2 * i < dModel; i++) {
      const angle = t * 10000 ** ((-2 * i) / dModel);
      table[t * dModel + 2 * i] = Math.sin(angle);
      if (2 * i + 1 < dModel) table[t * dModel + 2 * i + 1] = Math.cos(angle);
    }
  }
  return table;
}

/** x[r][b][t][c] + PE[r][t][c], PE read at peStride (0: one table for all replicas). */
export function positionalAddReference(s: PositionalEncodingShape, x: ArrayLike<number>, pe: ArrayLike<number>): Float64Array {
  const peStride = s.peStride ?? 0;
  const y = Float64Array.from(x);
  for (let r = 0; r < s.replicas; r++) {
    for (let b = 0; b < s.batch; b++) {
      for (let i = 0; i < s.T * s.dModel; i++) y[((r * s.batch + b) * s.T * s.dModel) + i] += pe[r * peStride + i];
    }
  }
  return y;
}

/**
 * dpos[r][t][c] = Σ_b dx[r][b][t][c], replica r at r·peStride; the floats between replicas keep dpos0's values
 * (NaN without it).
 */
export function positionalBackwardReference(s: PositionalEncodingShape, dx: ArrayLike<number>, dpos0?: ArrayLike<number>): Float64Array {
  const table = s.T * s.dModel;
  const stride = Math.max(s.peStride ?? 0, table);
  const dpos = new Float64Array((s.replicas - 1) * stride + table).fill(NaN);
  if (dpos0) dpos.set(Array.from(dpos0).slice(0, dpos.length));
  for (let r = 0; r < s.replicas; r++) {
    for (let i = 0; i < table; i++) {
      let sum = 0;
      for (let b = 0; b < s.batch; b++) sum += dx[(r * s.batch + b) * table + i];
      dpos[r * stride + i] = sum;
    }
  }
  return dpos;
}
