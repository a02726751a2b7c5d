// Attention metrics of SPEC §4 from the probabilities of a fixed sample, [groups][T][T] with one group per
// (sequence, head): the entropy as Tian et al.'s code measures it, and the two freezing measures between
// metrics points (the relative change of the whole map, and the fraction of query rows whose most-attended key
// moved: the first is dominated by small shifts of near one-hot rows, the second counts real moves).

/** Mean over groups and query positions of −Σ_s A log(A + 1e-8) (a causal row t has t + 1 entries). */
export function attentionEntropy(A: ArrayLike<number>, groups: number, T: number, causal: boolean): number {
  let sum = 0;
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < T; t++) {
      const keys = causal ? t + 1 : T;
      for (let s = 0; s < keys; s++) {
        const a = A[(g * T + t) * T + s];
        sum -= a * Math.log(a + 1e-8);
      }
    }
  }
  return sum / (groups * T);
}

/** ‖A − A_prev‖ / ‖A‖ over the whole sample, and the fraction of rows whose argmax changed (first index on ties). */
export function attentionMovement(previous: ArrayLike<number>, current: ArrayLike<number>, groups: number, T: number, causal: boolean): { relativeChange: number; argmaxMoved: number } {
  let diff = 0;
  let norm = 0;
  let moved = 0;
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < T; t++) {
      const keys = causal ? t + 1 : T;
      let bestPrev = 0;
      let bestCur = 0;
      for (let s = 0; s < keys; s++) {
        const i = (g * T + t) * T + s;
        diff += (current[i] - previous[i]) ** 2;
        norm += current[i] ** 2;
        if (previous[i] > previous[(g * T + t) * T + bestPrev]) bestPrev = s;
        if (current[i] > current[(g * T + t) * T + bestCur]) bestCur = s;
      }
      if (bestPrev !== bestCur) moved++;
    }
  }
  return { relativeChange: Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30), argmaxMoved: moved / (groups * T) };
}
