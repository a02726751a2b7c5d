// Mechanism metrics of SPEC §1 computed from parameters (small matrices read back at metric points):
// sorted W_O row norms and their split into a small and a large group, value alignment of W_O W_V, and the
// pruned copies of W_O that the GPU evaluator scores for the pruning curves.
import { Random } from '../../util/random';
import { outputWeight, type IclShapes } from './shapes';

/** ‖W_O row j‖₂ for every j of one replica, sorted ascending. */
export function sortedRowNorms(W_O: ArrayLike<number>, m: number, dV: number): Float64Array {
  const norms = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let sum = 0;
    for (let k = 0; k < dV; k++) sum += W_O[j * dV + k] ** 2;
    norms[j] = Math.sqrt(sum);
  }
  return norms.sort();
}

export interface NormSplit {
  /** Fraction of neurons below the split. */
  smallFraction: number;
  /** Smallest large norm over largest small norm (the widest multiplicative gap in the sorted norms). */
  gap: number;
  /** Mean large norm over mean small norm. */
  meanRatio: number;
}

/** Splits sorted norms at their widest multiplicative gap. */
export function splitNorms(sorted: Float64Array): NormSplit {
  let best = 1;
  let gap = 1;
  for (let i = 1; i < sorted.length; i++) {
    const ratio = sorted[i] / Math.max(sorted[i - 1], 1e-30);
    if (ratio > gap) {
      gap = ratio;
      best = i;
    }
  }
  const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / Math.max(a.length, 1);
  return { smallFraction: best / sorted.length, gap, meanRatio: mean(sorted.subarray(best)) / Math.max(mean(sorted.subarray(0, best)), 1e-30) };
}

export interface ValueAlignment {
  /** Per neuron j: cosine of the feature part of row j of W_O W_V with the mean IDR pattern. */
  featureCos: Float64Array;
  /** Per neuron j: cosine of the label part of row j of W_O W_V with q. */
  labelCos: Float64Array;
  /** Means of labelCos over positive-a and negative-a neurons (predicted: toward +1 and −1). */
  labelCosPositive: number;
  labelCosNegative: number;
  featureCosMean: number;
}

/** SPEC §1 value alignment of one replica; `meanRelevant` is the mean IDR pattern (length dX). */
export function valueAlignment(s: IclShapes, W_O: ArrayLike<number>, W_V: ArrayLike<number>, meanRelevant: ArrayLike<number>): ValueAlignment {
  const { dX, d, dV, m } = s;
  const featureCos = new Float64Array(m);
  const labelCos = new Float64Array(m);
  const meanNorm = Math.hypot(...Array.from(meanRelevant));
  let pos = 0, neg = 0, nPos = 0, nNeg = 0;
  for (let j = 0; j < m; j++) {
    const row = new Float64Array(d);
    for (let k = 0; k < dV; k++) for (let c = 0; c < d; c++) row[c] += W_O[j * dV + k] * W_V[k * d + c];
    let dotMean = 0, featureNorm = 0, labelNorm = 0;
    for (let c = 0; c < dX; c++) {
      dotMean += row[c] * meanRelevant[c];
      featureNorm += row[c] ** 2;
    }
    for (let c = dX; c < d; c++) labelNorm += row[c] ** 2;
    featureCos[j] = dotMean / Math.max(Math.sqrt(featureNorm) * meanNorm, 1e-30);
    labelCos[j] = row[dX] / Math.max(Math.sqrt(labelNorm), 1e-30); // q = e_1 of the label space
    if (outputWeight(j, m) > 0) { pos += labelCos[j]; nPos++; } else { neg += labelCos[j]; nNeg++; }
  }
  return {
    featureCos, labelCos,
    labelCosPositive: pos / Math.max(nPos, 1),
    labelCosNegative: neg / Math.max(nNeg, 1),
    featureCosMean: featureCos.reduce((x, y) => x + y, 0) / m,
  };
}

/** Rows of W_O to prune: the round(ratio·m) smallest by norm (magnitude), or as many chosen at random. */
export function prunedRows(W_O: ArrayLike<number>, m: number, dV: number, ratio: number, rng?: Random): number[] {
  const count = Math.round(ratio * m);
  const rows = Array.from({ length: m }, (_, j) => j);
  if (rng) return rng.shuffle(rows).slice(0, count);
  const norm = (j: number) => {
    let sum = 0;
    for (let k = 0; k < dV; k++) sum += W_O[j * dV + k] ** 2;
    return sum;
  };
  return rows.sort((a, b) => norm(a) - norm(b) || a - b).slice(0, count);
}

/** A copy of all replicas' W_O ([R][m][dV]) with the chosen rows of each replica zeroed. */
export function zeroRows(W_O: Float32Array, replicas: number, m: number, dV: number, rowsPerReplica: number[][]): Float32Array {
  const out = Float32Array.from(W_O);
  for (let r = 0; r < replicas; r++) for (const j of rowsPerReplica[r]) out.fill(0, (r * m + j) * dV, (r * m + j + 1) * dV);
  return out;
}
