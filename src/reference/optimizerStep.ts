// float64 references for shaders/optimizerStep.wgsl, written from torch.optim.SGD and torch.optim.AdamW
// (single-tensor, non-foreach, amsgrad off, maximize off) applied to a slab [R][P] whose positions below ffnEnd
// use the ffn group's learning rate lr[r] and the rest lr[R + r]. g = gradScale[r]·grad (clip_grad_norm_ scales
// the gradients in place before the step).

export interface SlabLayout {
  replicas: number;
  /** P */
  size: number;
  ffnEnd: number;
}

function learningRate(s: SlabLayout, lr: ArrayLike<number>, k: number): number {
  const r = Math.floor(k / s.size);
  return (k % s.size) < s.ffnEnd ? lr[r] : lr[s.replicas + r];
}

/** One SGD step: buf = mu·buf + g (buf = g on the first step, passed as momentumBuffer null), p −= lr·buf. */
export function sgdStepReference(
  s: SlabLayout,
  state: { param: ArrayLike<number>; momentumBuffer: ArrayLike<number> | null },
  grad: ArrayLike<number>,
  h: { gradScale: ArrayLike<number>; lr: ArrayLike<number>; momentum: ArrayLike<number> },
): { param: Float64Array; momentumBuffer: Float64Array } {
  const param = Float64Array.from(state.param);
  const momentumBuffer = new Float64Array(param.length);
  for (let k = 0; k < param.length; k++) {
    const r = Math.floor(k / s.size);
    const g = h.gradScale[r] * grad[k];
    momentumBuffer[k] = state.momentumBuffer === null ? g : h.momentum[r] * state.momentumBuffer[k] + g;
    param[k] -= learningRate(s, h.lr, k) * momentumBuffer[k];
  }
  return { param, momentumBuffer };
}

/** One AdamW step number t (1-based), eps as torch.optim.AdamW's default unless given. */
export function adamwStepReference(
  s: SlabLayout,
  state: { param: ArrayLike<number>; expAvg: ArrayLike<number>; expAvgSq: ArrayLike<number> },
  grad: ArrayLike<number>,
  h: { gradScale: ArrayLike<number>; lr: ArrayLike<number>; beta1: ArrayLike<number>; beta2: ArrayLike<number>; weightDecay: ArrayLike<number> },
  t: number,
  eps = 1e-8,
): { param: Float64Array; expAvg: Float64Array; expAvgSq: Float64Array } {
  const param = Float64Array.from(state.param);
  const expAvg = new Float64Array(param.length);
  const expAvgSq = new Float64Array(param.length);
  for (let k = 0; k < param.length; k++) {
    const r = Math.floor(k / s.size);
    const lr = learningRate(s, h.lr, k);
    const b1 = h.beta1[r];
    const b2 = h.beta2[r];
    const g = h.gradScale[r] * grad[k];
    param[k] *= 1 - lr * h.weightDecay[r];
    expAvg[k] = b1 * state.expAvg[k] + (1 - b1) * g;
    expAvgSq[k] = b2 * state.expAvgSq[k] + (1 - b2) * g * g;
    const biasCorrection1 = 1 - b1 ** t;
    const biasCorrection2 = 1 - b2 ** t;
    const denom = Math.sqrt(expAvgSq[k]) / Math.sqrt(biasCorrection2) + eps;
    param[k] -= (lr / biasCorrection1) * (expAvg[k] / denom);
  }
  return { param, expAvg, expAvgSq };
}
