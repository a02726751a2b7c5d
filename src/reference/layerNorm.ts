// float64 reference for shaders/layerNorm.wgsl, from the definition (SPEC §4): per row of dModel floats,
// y = (x − mean) / sqrt(var + eps) · g + b with the biased variance; the gradients by the chain rule.
// Every function recomputes the row statistics from x itself (the GPU's backward reads the forward's saved
// f32 mean and rstd instead).
import type { LayerNormShape } from '../kernels/layerNorm';

interface RowStats {
  mean: Float64Array;
  rstd: Float64Array;
}

function rowStats(s: LayerNormShape, x: ArrayLike<number>): RowStats {
  const rows = s.replicas * s.rows;
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let c = 0; c < s.dModel; c++) sum += x[row * s.dModel + c];
    mean[row] = sum / s.dModel;
    let variance = 0;
    for (let c = 0; c < s.dModel; c++) variance += (x[row * s.dModel + c] - mean[row]) ** 2;
    variance /= s.dModel;
    rstd[row] = 1 / Math.sqrt(variance + (s.eps ?? 1e-5));
  }
  return { mean, rstd };
}

/** y, and the per-row mean and rstd = 1 / sqrt(var + eps) that the kernel saves. g and b at their replica strides. */
export function layerNormReference(s: LayerNormShape, x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>): { y: Float64Array } & RowStats {
  const { mean, rstd } = rowStats(s, x);
  const y = new Float64Array(s.replicas * s.rows * s.dModel);
  for (let row = 0; row < s.replicas * s.rows; row++) {
    const r = Math.floor(row / s.rows);
    for (let c = 0; c < s.dModel; c++) {
      const i = row * s.dModel + c;
      y[i] = (x[i] - mean[row]) * rstd[row] * g[r * (s.gStride ?? s.dModel) + c] + b[r * (s.bStride ?? s.dModel) + c];
    }
  }
  return { y, mean, rstd };
}

/**
 * dx of a row: with xhat = (x − mean)·rstd and dxhat = dy·g, dx_c = rstd·(dxhat_c − (1/D)Σ dxhat − xhat_c (1/D)Σ dxhat·xhat)
 * (d xhat_k / d x_c = rstd (δ_kc − 1/D − xhat_k xhat_c / D)).
 */
export function layerNormBackwardReference(s: LayerNormShape, x: ArrayLike<number>, g: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const { mean, rstd } = rowStats(s, x);
  const D = s.dModel;
  const dx = new Float64Array(s.replicas * s.rows * D);
  for (let row = 0; row < s.replicas * s.rows; row++) {
    const gBase = Math.floor(row / s.rows) * (s.gStride ?? D);
    const xhat = (c: number) => (x[row * D + c] - mean[row]) * rstd[row];
    const dxhat = (c: number) => dy[row * D + c] * g[gBase + c];
    let sum = 0;
    let dot = 0;
    for (let c = 0; c < D; c++) {
      sum += dxhat(c);
      dot += dxhat(c) * xhat(c);
    }
    for (let c = 0; c < D; c++) dx[row * D + c] = rstd[row] * (dxhat(c) - sum / D - (xhat(c) * dot) / D);
  }
  return dx;
}

/**
 * dg = Σ_rows dy·xhat and db = Σ_rows dy per replica, each at its stride; the floats between replicas keep
 * dg0's / db0's values (NaN without them).
 */
export function layerNormParamsReference(
  s: LayerNormShape, x: ArrayLike<number>, dy: ArrayLike<number>, dg0?: ArrayLike<number>, db0?: ArrayLike<number>,
): { dg: Float64Array; db: Float64Array } {
  const { mean, rstd } = rowStats(s, x);
  const D = s.dModel;
  const gStride = s.gStride ?? D;
  const bStride = s.bStride ?? D;
  const dg = new Float64Array((s.replicas - 1) * gStride + D).fill(NaN);
  const db = new Float64Array((s.replicas - 1) * bStride + D).fill(NaN);
  if (dg0) dg.set(Array.from(dg0).slice(0, dg.length));
  if (db0) db.set(Array.from(db0).slice(0, db.length));
  for (let r = 0; r < s.replicas; r++) {
    for (let c = 0; c < D; c++) {
      let sumG = 0;
      let sumB = 0;
      for (let n = 0; n < s.rows; n++) {
        const row = r * s.rows + n;
        sumG += dy[row * D + c] * (x[row * D + c] - mean[row]) * rstd[row];
        sumB += dy[row * D + c];
      }
      dg[r * gStride + c] = sumG;
      db[r * bStride + c] = sumB;
    }
  }
  return { dg, db };
}
