// float64 reference of the ICL model (SPEC §1), written plainly from the formulas and independent of the WGSL:
// every column is projected by W_K (the GPU instead forms W_Kᵀ W_Q p_q once per prompt), and the backward is
// the chain rule through s_i = (W_K p_i)·(W_Q p_q) and h = Σ attn_i W_V p_i term by term.

import { ICL_PARAM_NAMES, outputWeight, type DenseBatch, type IclParamName, type IclParams64, type IclShapes } from '../models/icl/shapes';

export { ICL_PARAM_NAMES, iclParamShapes, outputWeight, type DenseBatch, type IclParamName, type IclParams64, type IclShapes } from '../models/icl/shapes';

function matVec(W: Float64Array, rows: number, cols: number, x: Float64Array, xOffset = 0): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += W[r * cols + c] * x[xOffset + c];
    out[r] = sum;
  }
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

export interface PromptForward {
  attn: Float64Array;
  F: number;
  loss: number;
}

/** Forward of one prompt (SPEC §1): attention over the N contexts, ReLU MLP with fixed a, hinge. */
export function iclForwardPrompt(s: IclShapes, p: IclParams64, batch: DenseBatch, b: number): PromptForward {
  const { d, dA, dV, m } = s;
  const N = batch.N;
  const base = b * (N + 1) * d;
  const queryProjection = matVec(p.W_Q, dA, d, batch.P, base + N * d);
  const scores = new Float64Array(N);
  for (let i = 0; i < N; i++) scores[i] = dot(matVec(p.W_K, dA, d, batch.P, base + i * d), queryProjection);
  const max = Math.max(...scores);
  const attn = scores.map((v) => Math.exp(v - max));
  const total = attn.reduce((x, y) => x + y, 0);
  for (let i = 0; i < N; i++) attn[i] /= total;
  const h = new Float64Array(dV);
  for (let i = 0; i < N; i++) {
    const value = matVec(p.W_V, dV, d, batch.P, base + i * d);
    for (let k = 0; k < dV; k++) h[k] += attn[i] * value[k];
  }
  const u = matVec(p.W_O, m, dV, h);
  let F = 0;
  for (let j = 0; j < m; j++) F += outputWeight(j, m) * Math.max(0, u[j]);
  return { attn, F, loss: Math.max(0, 1 - batch.z[b] * F) };
}

export interface LossAndGrads64 {
  loss: number;
  grads: IclParams64;
}

/** Batch-mean hinge loss and its gradient with respect to W_Q, W_K, W_V, W_O. */
export function iclLossAndGradsReference(s: IclShapes, p: IclParams64, batch: DenseBatch): LossAndGrads64 {
  const { d, dA, dV, m } = s;
  const N = batch.N;
  const B = batch.prompts;
  const grads: IclParams64 = {
    W_Q: new Float64Array(dA * d),
    W_K: new Float64Array(dA * d),
    W_V: new Float64Array(dV * d),
    W_O: new Float64Array(m * dV),
  };
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const base = b * (N + 1) * d;
    const column = (i: number) => batch.P.subarray(base + i * d, base + (i + 1) * d);
    const pq = column(N);
    const queryProjection = matVec(p.W_Q, dA, d, pq);
    const keys = Array.from({ length: N }, (_, i) => matVec(p.W_K, dA, d, column(i)));
    const values = Array.from({ length: N }, (_, i) => matVec(p.W_V, dV, d, column(i)));
    const scores = keys.map((k) => dot(k, queryProjection));
    const max = Math.max(...scores);
    const expScores = scores.map((v) => Math.exp(v - max));
    const total = expScores.reduce((x, y) => x + y, 0);
    const attn = expScores.map((e) => e / total);
    const h = new Float64Array(dV);
    for (let i = 0; i < N; i++) for (let k = 0; k < dV; k++) h[k] += attn[i] * values[i][k];
    const u = matVec(p.W_O, m, dV, h);
    let F = 0;
    for (let j = 0; j < m; j++) F += outputWeight(j, m) * Math.max(0, u[j]);
    const z = batch.z[b];
    const margin = 1 - z * F;
    loss += Math.max(0, margin) / B;
    if (margin <= 0) continue; // the hinge's derivative is 0 at and beyond the margin

    const dF = -z / B;
    const du = new Float64Array(m);
    for (let j = 0; j < m; j++) du[j] = u[j] > 0 ? dF * outputWeight(j, m) : 0;
    const dh = new Float64Array(dV);
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < dV; k++) {
        grads.W_O[j * dV + k] += du[j] * h[k];
        dh[k] += du[j] * p.W_O[j * dV + k];
      }
    }
    const dAttn = values.map((v) => dot(dh, v));
    for (let i = 0; i < N; i++) {
      const pi = column(i);
      for (let k = 0; k < dV; k++) for (let c = 0; c < d; c++) grads.W_V[k * d + c] += dh[k] * attn[i] * pi[c];
    }
    let meanDAttn = 0;
    for (let i = 0; i < N; i++) meanDAttn += attn[i] * dAttn[i];
    for (let i = 0; i < N; i++) {
      const dScore = attn[i] * (dAttn[i] - meanDAttn);
      const pi = column(i);
      for (let a = 0; a < dA; a++) {
        for (let c = 0; c < d; c++) {
          grads.W_K[a * d + c] += dScore * queryProjection[a] * pi[c];
          grads.W_Q[a * d + c] += dScore * keys[i][a] * pq[c];
        }
      }
    }
  }
  return { loss, grads };
}

/** Batch-mean hinge loss only. */
export function iclLossReference(s: IclShapes, p: IclParams64, batch: DenseBatch): number {
  let loss = 0;
  for (let b = 0; b < batch.prompts; b++) loss += iclForwardPrompt(s, p, batch, b).loss;
  return loss / batch.prompts;
}

/** One plain SGD step on the batch-mean loss (what the GPU step does), returning the new parameters. */
export function iclSgdStepReference(s: IclShapes, p: IclParams64, batch: DenseBatch, eta: number): { params: IclParams64; loss: number } {
  const { loss, grads } = iclLossAndGradsReference(s, p, batch);
  const next = {} as IclParams64;
  for (const name of ICL_PARAM_NAMES) next[name] = p[name].map((v, i) => v - eta * grads[name][i]);
  return { params: next, loss };
}

/**
 * Central finite difference (f(θ+ε) − f(θ−ε)) / 2ε of the batch loss for the listed entries of one parameter.
 * The hinge and ReLU are piecewise linear, so ε must be small enough that no prompt crosses a kink.
 */
export function iclFiniteDifference(
  s: IclShapes,
  p: IclParams64,
  batch: DenseBatch,
  name: IclParamName,
  indices: number[],
  eps = 1e-6,
): Float64Array {
  const out = new Float64Array(indices.length);
  indices.forEach((index, k) => {
    const shifted = (delta: number): number => {
      const q = { ...p, [name]: Float64Array.from(p[name]) };
      q[name][index] += delta;
      return iclLossReference(s, q, batch);
    };
    out[k] = (shifted(eps) - shifted(-eps)) / (2 * eps);
  });
  return out;
}
