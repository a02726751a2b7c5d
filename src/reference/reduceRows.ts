// float64 reference for shaders/reduceRows.wgsl: out[r][j] = scale * sum_b x[r][b][j] + beta * out0[r][j].
// Rows of out are outStride apart (default cols); the elements between them are out0's (NaN without out0).
import type { ReduceRowsShape } from '../kernels/reduceRows';

export function reduceRowsReference(s: ReduceRowsShape, x: ArrayLike<number>, out0?: ArrayLike<number>): Float64Array {
  const stride = s.outStride ?? s.cols;
  const out = new Float64Array((s.rows - 1) * stride + s.cols).fill(NaN);
  if (out0) out.set(Array.from(out0).slice(0, out.length));
  for (let r = 0; r < s.rows; r++) {
    for (let j = 0; j < s.cols; j++) {
      let sum = 0;
      for (let b = 0; b < s.batch; b++) sum += x[(r * s.batch + b) * s.cols + j];
      const beta = s.beta ?? 0;
      out[r * stride + j] = (s.scale ?? 1) * sum + (beta !== 0 ? beta * (out0 ? out0[r * stride + j] : 0) : 0);
    }
  }
  return out;
}
