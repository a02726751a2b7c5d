// float64 reference for the Scan & Snap model (SPEC §2), written plainly from the formulas with dense vectors
// and the textbook chain rule, independently of the GPU kernels' sparse and merged evaluation order.
// Layouts: Y and Z are M × M row-major; a batch is compact ids, (L − 1 context, query, next) per sequence.

export interface ScanSnapLossGrads {
  loss: number;
  dY: Float64Array;
  dZ: Float64Array;
}

/** Forward of one sequence: attention b over the context, v, vn, logits, softmax p. */
export function scansnapForwardReference(M: number, Y: ArrayLike<number>, Z: ArrayLike<number>, context: ArrayLike<number>, query: number) {
  const T = context.length;
  const s = new Float64Array(T);
  for (let t = 0; t < T; t++) s[t] = Z[query * M + context[t]];
  const sMax = Math.max(...s);
  const e = s.map((x) => Math.exp(x - sMax));
  const eSum = e.reduce((a, b) => a + b, 0);
  const b = e.map((x) => x / eSum);
  const v = new Float64Array(M);
  for (let t = 0; t < T; t++) v[context[t]] += b[t];
  const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  const vn = v.map((x) => x / norm);
  const logit = new Float64Array(M);
  for (let l = 0; l < M; l++) for (let k = 0; k < M; k++) logit[l] += Y[k * M + l] * vn[k];
  const lMax = Math.max(...logit);
  const ex = logit.map((x) => Math.exp(x - lMax));
  const exSum = ex.reduce((a, x) => a + x, 0);
  const p = ex.map((x) => x / exSum);
  return { b, v, norm, vn, logit, p, logSumExp: lMax + Math.log(exSum) };
}

/** Batch-mean cross-entropy loss and its gradients with respect to Y and Z. */
export function scansnapLossAndGradsReference(
  M: number,
  Y: ArrayLike<number>,
  Z: ArrayLike<number>,
  ids: ArrayLike<number>,
  batch: number,
  L: number,
): ScanSnapLossGrads {
  const stride = L + 1;
  const dY = new Float64Array(M * M);
  const dZ = new Float64Array(M * M);
  let loss = 0;
  for (let q = 0; q < batch; q++) {
    const base = q * stride;
    const context = Array.from({ length: L - 1 }, (_, t) => ids[base + t]);
    const query = ids[base + L - 1];
    const next = ids[base + L];
    const f = scansnapForwardReference(M, Y, Z, context, query);
    loss += (f.logSumExp - f.logit[next]) / batch;
    const dLogit = f.p.map((x, l) => (x - (l === next ? 1 : 0)) / batch);
    // logit = Yᵀ vn
    for (let k = 0; k < M; k++) for (let l = 0; l < M; l++) dY[k * M + l] += f.vn[k] * dLogit[l];
    const dVn = new Float64Array(M);
    for (let k = 0; k < M; k++) for (let l = 0; l < M; l++) dVn[k] += Y[k * M + l] * dLogit[l];
    // vn = v / ‖v‖: Jacobian (I − vn vnᵀ) / ‖v‖
    const vnDotDVn = f.vn.reduce((a, x, k) => a + x * dVn[k], 0);
    const dV = dVn.map((x, k) => (x - f.vn[k] * vnDotDVn) / f.norm);
    // v = Σ_t b_t e_{x_t}; b = softmax(s); s_t = Z[query][x_t]
    const dB = context.map((x) => dV[x]);
    const bDotDB = f.b.reduce((a, x, t) => a + x * dB[t], 0);
    for (let t = 0; t < context.length; t++) dZ[query * M + context[t]] += f.b[t] * (dB[t] - bDotDB);
  }
  return { loss, dY, dZ };
}

/**
 * Central finite differences of `loss` at `params` for the listed indices: (f(p + h e_i) − f(p − h e_i)) / 2h.
 * A gradient check compares these with an analytic gradient at the same indices.
 */
export function centralDifferences(loss: (params: Float64Array) => number, params: ArrayLike<number>, indices: number[], h = 1e-5): Float64Array {
  const p = Float64Array.from(params);
  return Float64Array.from(indices, (i) => {
    const keep = p[i];
    p[i] = keep + h;
    const up = loss(p);
    p[i] = keep - h;
    const down = loss(p);
    p[i] = keep;
    return (up - down) / (2 * h);
  });
}
