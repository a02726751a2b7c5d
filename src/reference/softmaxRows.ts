// float64 reference for shaders/softmaxRows.wgsl over [batch][rows][cols], written from the definitions.
import type { SoftmaxRowsShape } from '../kernels/softmaxRows';

export function softmaxRowsReference(s: SoftmaxRowsShape, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(s.batch * s.rows * s.cols);
  for (let row = 0; row < s.batch * s.rows; row++) {
    const base = row * s.cols;
    let max = -Infinity;
    for (let c = 0; c < s.cols; c++) max = Math.max(max, x[base + c]);
    let sum = 0;
    for (let c = 0; c < s.cols; c++) sum += Math.exp(x[base + c] - max);
    for (let c = 0; c < s.cols; c++) y[base + c] = Math.exp(x[base + c] - max) / sum;
  }
  return y;
}

/** Gradient through softmax: dx_c = sum_k dy_k (d y_k / d x_c) = y_c (dy_c - sum_k y_k dy_k). */
export function softmaxRowsBackwardReference(s: SoftmaxRowsShape, y: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(s.batch * s.rows * s.cols);
  for (let row = 0; row < s.batch * s.rows; row++) {
    const base = row * s.cols;
    let dot = 0;
    for (let c = 0; c < s.cols; c++) dot += y[base + c] * dy[base + c];
    for (let c = 0; c < s.cols; c++) dx[base + c] = y[base + c] * (dy[base + c] - dot);
  }
  return dx;
}
