// float64 reference of the transformer stack (SPEC §4), written plainly from the formulas: every linear layer is
// y = x Wᵀ + b over the B·T rows, attention is an explicit T × T score matrix per sequence and head, and the
// backward is the chain rule through each step, in reverse. It shares nothing with the GPU kernels or their
// per-kernel references, so agreement between the two means something. Layouts and names: docs/transformer.md.
// One call works on one replica's tensors.
import { dropoutKeep, dropoutKey, dropoutThreshold, type Random } from '../util/random';
import { gelu, geluGrad } from '../util/special';

/** LayerNorm's eps (PyTorch's default, SPEC §4). */
export const LAYER_NORM_EPS = 1e-5;
/** AdamW's eps (PyTorch's default, SPEC §4). */
export const ADAMW_EPS = 1e-8;

import {
  DROPOUT_SITE, transformerParamGroup, transformerParamShapes, zeroTransformerParams,
  type TransformerBatch, type TransformerConfig, type TransformerDropout, type TransformerParams, type TransformerShapes,
} from '../models/transformer/shapes';

export {
  DROPOUT_SITE, transformerParamGroup, transformerParamShapes, zeroTransformerParams,
  type TransformerBatch, type TransformerConfig, type TransformerDropout, type TransformerIclBatch, type TransformerLmBatch,
  type TransformerParams, type TransformerShapes,
} from '../models/transformer/shapes';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** PE[t][2i] = sin(t·10000^(−2i/dModel)), PE[t][2i+1] = cos(t·10000^(−2i/dModel)) (the PyTorch tutorial's table). */
export function sinusoidalPositions(T: number, dModel: number): Float64Array {
  const pe = new Float64Array(T * dModel);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < dModel; c++) {
      const angle = t * 10000 ** (-(2 * Math.floor(c / 2)) / dModel);
      pe[t * dModel + c] = c % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return pe;
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks over `rows` rows, each with its own backward.

/** y = x Wᵀ + b; W is out × in. */
function linear(x: Float64Array, rows: number, inDim: number, outDim: number, W: Float64Array, b: Float64Array | null): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) sum += x[r * inDim + i] * W[o * inDim + i];
      y[r * outDim + o] = sum;
    }
  }
  return y;
}

/** Backward of y = x Wᵀ + b: dW += dyᵀ x, db += Σ_rows dy (accumulated: a tied embedding gets two terms); returns dx = dy W. */
function linearBackward(
  x: Float64Array, dy: Float64Array, rows: number, inDim: number, outDim: number,
  W: Float64Array, dW: Float64Array, db: Float64Array | null,
): Float64Array {
  const dx = new Float64Array(rows * inDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      const g = dy[r * outDim + o];
      if (db) db[o] += g;
      for (let i = 0; i < inDim; i++) {
        dW[o * inDim + i] += g * x[r * inDim + i];
        dx[r * inDim + i] += g * W[o * inDim + i];
      }
    }
  }
  return dx;
}

interface LayerNormCache {
  xhat: Float64Array;
  rstd: Float64Array;
}

/** (x − mean) / √(var + eps) · g + b per row, biased variance. */
function layerNorm(x: Float64Array, rows: number, d: number, g: Float64Array, b: Float64Array): { y: Float64Array; cache: LayerNormCache } {
  const y = new Float64Array(rows * d);
  const xhat = new Float64Array(rows * d);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < d; c++) mean += x[r * d + c];
    mean /= d;
    let variance = 0;
    for (let c = 0; c < d; c++) variance += (x[r * d + c] - mean) ** 2;
    variance /= d;
    rstd[r] = 1 / Math.sqrt(variance + LAYER_NORM_EPS);
    for (let c = 0; c < d; c++) {
      xhat[r * d + c] = (x[r * d + c] - mean) * rstd[r];
      y[r * d + c] = xhat[r * d + c] * g[c] + b[c];
    }
  }
  return { y, cache: { xhat, rstd } };
}

/** dg += Σ dy·x̂, db += Σ dy; dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with dx̂ = dy·g. */
function layerNormBackward(cache: LayerNormCache, dy: Float64Array, rows: number, d: number, g: Float64Array, dg: Float64Array, db: Float64Array): Float64Array {
  const dx = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let meanDxhat = 0;
    let meanDxhatXhat = 0;
    for (let c = 0; c < d; c++) {
      const i = r * d + c;
      dg[c] += dy[i] * cache.xhat[i];
      db[c] += dy[i];
      meanDxhat += dy[i] * g[c];
      meanDxhatXhat += dy[i] * g[c] * cache.xhat[i];
    }
    meanDxhat /= d;
    meanDxhatXhat /= d;
    for (let c = 0; c < d; c++) {
      const i = r * d + c;
      dx[i] = cache.rstd[r] * (dy[i] * g[c] - meanDxhat - cache.xhat[i] * meanDxhatXhat);
    }
  }
  return dx;
}

/** Inverted-dropout multipliers (0 or 1/(1 − p)) of one site, by the element's row-major index; null when off. */
function dropoutMask(dropout: TransformerDropout | undefined, layer: number, site: number, size: number): Float64Array | null {
  if (!dropout || dropout.p === 0) return null;
  const key = dropoutKey(dropout.seed, dropout.step, layer, site);
  const threshold = dropoutThreshold(dropout.p);
  const scale = 1 / (1 - dropout.p);
  return Float64Array.from({ length: size }, (_, i) => (dropoutKeep(key, i, threshold) ? scale : 0));
}

/** A loop, not Math.max(...x): a vocabulary of tens of thousands would exceed the engine's argument limit. */
function maxOf(x: Float64Array): number {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  return max;
}

function times(x: Float64Array, mask: Float64Array | null): Float64Array {
  return mask ? x.map((v, i) => v * mask[i]) : x;
}

function plus(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

interface AttentionCache {
  input: Float64Array;
  qkv: Float64Array;
  /** [B][nHeads][T][T] softmax before dropout; 0 above the diagonal when causal. */
  probs: Float64Array;
  probsMask: Float64Array | null;
  /** Heads concatenated, [B·T][dModel]. */
  heads: Float64Array;
}

interface Dims {
  B: number;
  T: number;
  d: number;
  nHeads: number;
  causal: boolean;
}

/** MHA(x) of SPEC §4 for every sequence of the batch. */
function attention(
  dims: Dims, x: Float64Array, W_qkv: Float64Array, b_qkv: Float64Array, W_o: Float64Array, b_o: Float64Array, probsMask: Float64Array | null,
): { y: Float64Array; cache: AttentionCache } {
  const { B, T, d, nHeads, causal } = dims;
  const dHead = d / nHeads;
  const scale = 1 / Math.sqrt(dHead);
  const qkv = linear(x, B * T, d, 3 * d, W_qkv, b_qkv);
  const probs = new Float64Array(B * nHeads * T * T);
  const heads = new Float64Array(B * T * d);
  const q = (b: number, t: number, h: number, k: number) => qkv[(b * T + t) * 3 * d + h * dHead + k];
  const key = (b: number, s: number, h: number, k: number) => qkv[(b * T + s) * 3 * d + d + h * dHead + k];
  const value = (b: number, s: number, h: number, k: number) => qkv[(b * T + s) * 3 * d + 2 * d + h * dHead + k];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHeads; h++) {
      for (let t = 0; t < T; t++) {
        const keys = causal ? t + 1 : T;
        const row = ((b * nHeads + h) * T + t) * T;
        const scores = new Float64Array(keys);
        for (let s = 0; s < keys; s++) {
          let dot = 0;
          for (let k = 0; k < dHead; k++) dot += q(b, t, h, k) * key(b, s, h, k);
          scores[s] = dot * scale;
        }
        const max = maxOf(scores);
        let total = 0;
        for (let s = 0; s < keys; s++) total += Math.exp(scores[s] - max);
        for (let s = 0; s < keys; s++) probs[row + s] = Math.exp(scores[s] - max) / total;
        for (let k = 0; k < dHead; k++) {
          let sum = 0;
          for (let s = 0; s < keys; s++) sum += probs[row + s] * (probsMask ? probsMask[row + s] : 1) * value(b, s, h, k);
          heads[(b * T + t) * d + h * dHead + k] = sum;
        }
      }
    }
  }
  return { y: linear(heads, B * T, d, d, W_o, b_o), cache: { input: x, qkv, probs, probsMask, heads } };
}

function attentionBackward(dims: Dims, cache: AttentionCache, dy: Float64Array, params: TransformerParams, grads: TransformerParams, prefix: string): Float64Array {
  const { B, T, d, nHeads, causal } = dims;
  const dHead = d / nHeads;
  const scale = 1 / Math.sqrt(dHead);
  const { qkv, probs, probsMask, heads } = cache;
  const dConcat = linearBackward(heads, dy, B * T, d, d, params[`${prefix}W_o`], grads[`${prefix}W_o`], grads[`${prefix}b_o`]);
  const dQkv = new Float64Array(qkv.length);
  const at = (b: number, t: number, part: number, h: number, k: number) => (b * T + t) * 3 * d + part * d + h * dHead + k;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHeads; h++) {
      for (let t = 0; t < T; t++) {
        const keys = causal ? t + 1 : T;
        const row = ((b * nHeads + h) * T + t) * T;
        // heads[t] = Σ_s A[t][s]·m[t][s]·V[s]: gradient to the dropped-out probabilities, then to A through the mask
        const dProbs = new Float64Array(keys);
        for (let s = 0; s < keys; s++) {
          const mask = probsMask ? probsMask[row + s] : 1;
          let dot = 0;
          for (let k = 0; k < dHead; k++) {
            const g = dConcat[(b * T + t) * d + h * dHead + k];
            dot += g * qkv[at(b, s, 2, h, k)];
            dQkv[at(b, s, 2, h, k)] += probs[row + s] * mask * g;
          }
          dProbs[s] = dot * mask;
        }
        // softmax: dS[s] = A[s]·(dA[s] − Σ_s' A[s']·dA[s'])
        let weighted = 0;
        for (let s = 0; s < keys; s++) weighted += probs[row + s] * dProbs[s];
        for (let s = 0; s < keys; s++) {
          const dScore = probs[row + s] * (dProbs[s] - weighted) * scale;
          for (let k = 0; k < dHead; k++) {
            dQkv[at(b, t, 0, h, k)] += dScore * qkv[at(b, s, 1, h, k)];
            dQkv[at(b, s, 1, h, k)] += dScore * qkv[at(b, t, 0, h, k)];
          }
        }
      }
    }
  }
  return linearBackward(cache.input, dQkv, B * T, d, 3 * d, params[`${prefix}W_qkv`], grads[`${prefix}W_qkv`], grads[`${prefix}b_qkv`]);
}

interface FeedForwardCache {
  input: Float64Array;
  preActivation: Float64Array;
  hidden: Float64Array;
  hiddenMask: Float64Array | null;
}

/** FFN(x) = W_2 drop(act(W_1 x + b_1)) + b_2. */
function feedForward(
  config: TransformerConfig, rows: number, d: number, dFF: number, x: Float64Array, params: TransformerParams, prefix: string, hiddenMask: Float64Array | null,
): { y: Float64Array; cache: FeedForwardCache } {
  const preActivation = linear(x, rows, d, dFF, params[`${prefix}W_1`], params[`${prefix}b_1`]);
  const hidden = preActivation.map((v) => (config.activation === 'relu' ? Math.max(v, 0) : gelu(v)));
  const y = linear(times(hidden, hiddenMask), rows, dFF, d, params[`${prefix}W_2`], params[`${prefix}b_2`]);
  return { y, cache: { input: x, preActivation, hidden, hiddenMask } };
}

function feedForwardBackward(
  config: TransformerConfig, rows: number, d: number, dFF: number, cache: FeedForwardCache, dy: Float64Array,
  params: TransformerParams, grads: TransformerParams, prefix: string,
): Float64Array {
  const dHidden = times(
    linearBackward(times(cache.hidden, cache.hiddenMask), dy, rows, dFF, d, params[`${prefix}W_2`], grads[`${prefix}W_2`], grads[`${prefix}b_2`]),
    cache.hiddenMask,
  );
  // ReLU'(0) = 0, as PyTorch's threshold_backward
  const dPre = dHidden.map((g, i) => g * (config.activation === 'relu' ? (cache.preActivation[i] > 0 ? 1 : 0) : geluGrad(cache.preActivation[i])));
  return linearBackward(cache.input, dPre, rows, d, dFF, params[`${prefix}W_1`], grads[`${prefix}W_1`], grads[`${prefix}b_1`]);
}

interface LayerCache {
  ln1: LayerNormCache;
  ln2: LayerNormCache;
  attention: AttentionCache;
  attentionOutMask: Float64Array | null;
  feedForward: FeedForwardCache;
  ffnOutMask: Float64Array | null;
}

// ---------------------------------------------------------------------------------------------------------------
// The model.

export interface TransformerForward {
  /** Batch-mean loss. */
  loss: number;
  /** Per layer, [B][nHeads][T][T] attention probabilities before dropout (0 above the diagonal when causal). */
  attention: Float64Array[];
  /** Head 'lm': logits [B][T][V]. Head 'icl': F per prompt [B]. */
  output: Float64Array;
}

interface ForwardState extends TransformerForward {
  dims: Dims;
  layers: LayerCache[];
  embeddingMask: Float64Array | null;
  lnf: LayerNormCache | null;
  /** The stream entering the head, [B·T][dModel]. */
  final: Float64Array;
}

function checkBatch(config: TransformerConfig, shapes: TransformerShapes, batch: TransformerBatch): void {
  if (batch.head !== config.head) throw new RangeError(`batch is for head '${batch.head}' but the model's head is '${config.head}'`);
  if (config.posEncoding === 'learned' && batch.T !== shapes.T) throw new RangeError(`batch T = ${batch.T} but the learned positions pos have ${shapes.T} rows`);
  if (shapes.dModel % config.nHeads !== 0) throw new RangeError(`dModel = ${shapes.dModel} is not divisible by nHeads = ${config.nHeads}`);
}

function forwardState(config: TransformerConfig, shapes: TransformerShapes, params: TransformerParams, batch: TransformerBatch, dropout?: TransformerDropout): ForwardState {
  checkBatch(config, shapes, batch);
  if (dropout && !(dropout.p >= 0 && dropout.p < 1)) throw new RangeError(`dropout p = ${dropout.p}; expected 0 <= p < 1`);
  const { B, T } = batch;
  const { dModel: d, dFF, nLayers } = shapes;
  const rows = B * T;
  const dims: Dims = { B, T, d, nHeads: config.nHeads, causal: config.causal };

  let x: Float64Array = new Float64Array(rows * d);
  if (batch.head === 'lm') {
    const scale = config.scaleEmbed ? Math.sqrt(d) : 1;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const token = batch.tokens[b * (T + 1) + t];
        for (let c = 0; c < d; c++) x[(b * T + t) * d + c] = params.embed[token * d + c] * scale;
      }
    }
  } else {
    x = linear(batch.inputs, rows, shapes.dIn, d, params.W_in, params.b_in);
  }
  const positions = config.posEncoding === 'sinusoidal' ? sinusoidalPositions(T, d) : config.posEncoding === 'learned' ? params.pos : null;
  if (positions) for (let i = 0; i < rows * d; i++) x[i] += positions[i % (T * d)];
  const embeddingMask = dropoutMask(dropout, 0, DROPOUT_SITE.embedding, rows * d);
  x = times(x, embeddingMask);

  const layers: LayerCache[] = [];
  for (let l = 0; l < nLayers; l++) {
    const p = `layers.${l}.`;
    const probsMask = dropoutMask(dropout, l, DROPOUT_SITE.attentionProbs, B * config.nHeads * T * T);
    const attentionOutMask = dropoutMask(dropout, l, DROPOUT_SITE.attentionOut, rows * d);
    const hiddenMask = dropoutMask(dropout, l, DROPOUT_SITE.ffnHidden, rows * dFF);
    const ffnOutMask = dropoutMask(dropout, l, DROPOUT_SITE.ffnOut, rows * d);
    const selfAttention = (input: Float64Array) => attention(dims, input, params[`${p}W_qkv`], params[`${p}b_qkv`], params[`${p}W_o`], params[`${p}b_o`], probsMask);
    const ffn = (input: Float64Array) => feedForward(config, rows, d, dFF, input, params, p, hiddenMask);
    if (config.norm === 'post') {
      const a = selfAttention(x);
      const n1 = layerNorm(plus(x, times(a.y, attentionOutMask)), rows, d, params[`${p}ln1.g`], params[`${p}ln1.b`]);
      const f = ffn(n1.y);
      const n2 = layerNorm(plus(n1.y, times(f.y, ffnOutMask)), rows, d, params[`${p}ln2.g`], params[`${p}ln2.b`]);
      layers.push({ ln1: n1.cache, ln2: n2.cache, attention: a.cache, attentionOutMask, feedForward: f.cache, ffnOutMask });
      x = n2.y;
    } else {
      const n1 = layerNorm(x, rows, d, params[`${p}ln1.g`], params[`${p}ln1.b`]);
      const a = selfAttention(n1.y);
      const mid = plus(x, times(a.y, attentionOutMask));
      const n2 = layerNorm(mid, rows, d, params[`${p}ln2.g`], params[`${p}ln2.b`]);
      const f = ffn(n2.y);
      layers.push({ ln1: n1.cache, ln2: n2.cache, attention: a.cache, attentionOutMask, feedForward: f.cache, ffnOutMask });
      x = plus(mid, times(f.y, ffnOutMask));
    }
  }
  let lnf: LayerNormCache | null = null;
  if (config.norm === 'pre') {
    const n = layerNorm(x, rows, d, params['lnf.g'], params['lnf.b']);
    lnf = n.cache;
    x = n.y;
  }

  let loss = 0;
  let output: Float64Array;
  if (batch.head === 'lm') {
    const V = shapes.V;
    output = linear(x, rows, d, V, config.tie ? params.embed : params.W_dec, params.b_dec);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const logits = output.subarray((b * T + t) * V, (b * T + t + 1) * V);
        const max = maxOf(logits);
        let total = 0;
        for (let v = 0; v < V; v++) total += Math.exp(logits[v] - max);
        loss += (max + Math.log(total) - logits[batch.tokens[b * (T + 1) + t + 1]]) / rows;
      }
    }
  } else {
    output = new Float64Array(B);
    for (let b = 0; b < B; b++) {
      let F = params.b_out[0];
      for (let c = 0; c < d; c++) F += params.w_out[c] * x[(b * T + T - 1) * d + c];
      output[b] = F;
      loss += Math.max(0, 1 - batch.z[b] * F) / B;
    }
  }
  return { loss, attention: layers.map((c) => c.attention.probs), output, dims, layers, embeddingMask, lnf, final: x };
}

/**
 * Batch-mean loss (LM: cross-entropy over every sequence and position; ICL: hinge on F of the last position), the
 * attention probabilities per layer and the head's output. With `dropout` the five sites use exactly the masks
 * of docs/transformer.md for that (seed, step); without it (evaluation, `grad`) no dropout.
 */
export function transformerForward(config: TransformerConfig, shapes: TransformerShapes, params: TransformerParams, batch: TransformerBatch, dropout?: TransformerDropout): TransformerForward {
  const { loss, attention: probs, output } = forwardState(config, shapes, params, batch, dropout);
  return { loss, attention: probs, output };
}

export interface TransformerLossGrads extends TransformerForward {
  grads: TransformerParams;
}

/** The forward above and the gradient of its loss with respect to every tensor (hand-written backward). */
export function transformerLossAndGrads(config: TransformerConfig, shapes: TransformerShapes, params: TransformerParams, batch: TransformerBatch, dropout?: TransformerDropout): TransformerLossGrads {
  const state = forwardState(config, shapes, params, batch, dropout);
  const { B, T, d } = state.dims;
  const { dFF } = shapes;
  const rows = B * T;
  const grads = zeroTransformerParams(config, shapes);

  let dx: Float64Array;
  if (batch.head === 'lm') {
    const V = shapes.V;
    // d loss / d logit = (softmax − one-hot(target)) / (B·T)
    const dLogits = new Float64Array(rows * V);
    for (let r = 0; r < rows; r++) {
      const logits = state.output.subarray(r * V, (r + 1) * V);
      const max = maxOf(logits);
      let total = 0;
      for (let v = 0; v < V; v++) total += Math.exp(logits[v] - max);
      for (let v = 0; v < V; v++) dLogits[r * V + v] = Math.exp(logits[v] - max) / total / rows;
      const b = Math.floor(r / T);
      const t = r % T;
      dLogits[r * V + batch.tokens[b * (T + 1) + t + 1]] -= 1 / rows;
    }
    const decoder = config.tie ? 'embed' : 'W_dec';
    dx = linearBackward(state.final, dLogits, rows, d, V, params[decoder], grads[decoder], grads.b_dec);
  } else {
    dx = new Float64Array(rows * d);
    for (let b = 0; b < B; b++) {
      // hinge: derivative −z where 1 − zF > 0, and 0 at the kink (SPEC §1)
      if (1 - batch.z[b] * state.output[b] <= 0) continue;
      const dF = -batch.z[b] / B;
      grads.b_out[0] += dF;
      const query = (b * T + T - 1) * d;
      for (let c = 0; c < d; c++) {
        grads.w_out[c] += dF * state.final[query + c];
        dx[query + c] = dF * params.w_out[c];
      }
    }
  }
  if (state.lnf) dx = layerNormBackward(state.lnf, dx, rows, d, params['lnf.g'], grads['lnf.g'], grads['lnf.b']);

  for (let l = shapes.nLayers - 1; l >= 0; l--) {
    const p = `layers.${l}.`;
    const cache = state.layers[l];
    const attentionBack = (dy: Float64Array) => attentionBackward(state.dims, cache.attention, times(dy, cache.attentionOutMask), params, grads, p);
    const ffnBack = (dy: Float64Array) => feedForwardBackward(config, rows, d, dFF, cache.feedForward, times(dy, cache.ffnOutMask), params, grads, p);
    const ln1Back = (dy: Float64Array) => layerNormBackward(cache.ln1, dy, rows, d, params[`${p}ln1.g`], grads[`${p}ln1.g`], grads[`${p}ln1.b`]);
    const ln2Back = (dy: Float64Array) => layerNormBackward(cache.ln2, dy, rows, d, params[`${p}ln2.g`], grads[`${p}ln2.g`], grads[`${p}ln2.b`]);
    if (config.norm === 'post') {
      // x1 = LN1(x + drop(MHA(x))); out = LN2(x1 + drop(FFN(x1)))
      const dSecondSum = ln2Back(dx);
      const dMid = plus(dSecondSum, ffnBack(dSecondSum));
      const dFirstSum = ln1Back(dMid);
      dx = plus(dFirstSum, attentionBack(dFirstSum));
    } else {
      // mid = x + drop(MHA(LN1(x))); out = mid + drop(FFN(LN2(mid)))
      const dMid = plus(dx, ln2Back(ffnBack(dx)));
      dx = plus(dMid, ln1Back(attentionBack(dMid)));
    }
  }

  dx = times(dx, state.embeddingMask);
  if (config.posEncoding === 'learned') for (let i = 0; i < rows * d; i++) grads.pos[i % (T * d)] += dx[i];
  if (batch.head === 'lm') {
    const scale = config.scaleEmbed ? Math.sqrt(d) : 1;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const token = batch.tokens[b * (T + 1) + t];
        for (let c = 0; c < d; c++) grads.embed[token * d + c] += scale * dx[(b * T + t) * d + c];
      }
    }
  } else {
    linearBackward(batch.inputs, dx, rows, shapes.dIn, d, params.W_in, grads.W_in, grads.b_in);
  }
  return { loss: state.loss, attention: state.attention, output: state.output, grads };
}

// ---------------------------------------------------------------------------------------------------------------
// Training step: clipping and the optimizers, PyTorch semantics, per replica.

export type TransformerOptimizer =
  | { kind: 'sgd'; lrFfn: number; lrRest: number; momentum: number; clip: number }
  | { kind: 'adamw'; lrFfn: number; lrRest: number; beta1: number; beta2: number; weightDecay: number; clip: number };

/** SGD: `velocity`; AdamW: `m` and `v` (the first and second moments). Zero before the first step. */
export type TransformerOptimizerState = Record<string, TransformerParams>;

export function initialOptimizerState(optimizer: TransformerOptimizer, config: TransformerConfig, shapes: TransformerShapes): TransformerOptimizerState {
  const names = optimizer.kind === 'sgd' ? ['velocity'] : ['m', 'v'];
  return Object.fromEntries(names.map((n) => [n, zeroTransformerParams(config, shapes)]));
}

/** torch.nn.utils.clip_grad_norm_: the total L2 norm over all gradients, and the factor min(1, clip / (norm + 1e-6)); clip 0 is off (factor 1). */
export function gradientClipScale(grads: TransformerParams, clip: number): { norm: number; scale: number } {
  let squares = 0;
  for (const g of Object.values(grads)) for (const v of g) squares += v * v;
  const norm = Math.sqrt(squares);
  return { norm, scale: clip > 0 ? Math.min(1, clip / (norm + 1e-6)) : 1 };
}

/**
 * One optimizer step on clipped gradients g = scale·grad, `step` counting from 0. SGD (torch.optim.SGD,
 * dampening 0, no weight decay): buf = momentum·buf + g (so buf = g on the first step), p −= lr·buf.
 * AdamW (torch.optim.AdamW): p ·= 1 − lr·weightDecay; m = β1 m + (1 − β1) g; v = β2 v + (1 − β2) g²;
 * p −= lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps) with t = step + 1. lr is lrFfn for the `ffn` group, else lrRest.
 */
export function transformerOptimizerStep(optimizer: TransformerOptimizer, params: TransformerParams, grads: TransformerParams, state: TransformerOptimizerState, step: number, scale: number): { params: TransformerParams; state: TransformerOptimizerState } {
  const newParams: TransformerParams = {};
  const newState: TransformerOptimizerState = Object.fromEntries(Object.keys(state).map((k) => [k, {}]));
  for (const [name, p] of Object.entries(params)) {
    const lr = transformerParamGroup(name) === 'ffn' ? optimizer.lrFfn : optimizer.lrRest;
    const g = grads[name].map((v) => v * scale);
    if (optimizer.kind === 'sgd') {
      const velocity = state.velocity[name].map((v, i) => optimizer.momentum * v + g[i]);
      newParams[name] = p.map((v, i) => v - lr * velocity[i]);
      newState.velocity[name] = velocity;
    } else {
      const { beta1, beta2, weightDecay } = optimizer;
      const t = step + 1;
      const m = state.m[name].map((v, i) => beta1 * v + (1 - beta1) * g[i]);
      const v2 = state.v[name].map((v, i) => beta2 * v + (1 - beta2) * g[i] * g[i]);
      const stepSize = lr / (1 - beta1 ** t);
      const correction2 = Math.sqrt(1 - beta2 ** t);
      newParams[name] = p.map((v, i) => v * (1 - lr * weightDecay) - (stepSize * m[i]) / (Math.sqrt(v2[i]) / correction2 + ADAMW_EPS));
      newState.m[name] = m;
      newState.v[name] = v2;
    }
  }
  return { params: newParams, state: newState };
}

/** A whole training step of one replica: loss and gradients (with this step's dropout masks if given), clipping, the optimizer. */
export function transformerTrainingStep(
  config: TransformerConfig, shapes: TransformerShapes, params: TransformerParams, batch: TransformerBatch,
  optimizer: TransformerOptimizer, state: TransformerOptimizerState, step: number, dropout?: Omit<TransformerDropout, 'step'>,
): { loss: number; gradNorm: number; params: TransformerParams; state: TransformerOptimizerState } {
  const { loss, grads } = transformerLossAndGrads(config, shapes, params, batch, dropout && { ...dropout, step });
  const { norm, scale } = gradientClipScale(grads, optimizer.clip);
  return { loss, gradNorm: norm, ...transformerOptimizerStep(optimizer, params, grads, state, step, scale) };
}

// ---------------------------------------------------------------------------------------------------------------
// Initialisation.

/**
 * Initial parameters, drawn from `rng` tensor by tensor in transformerParamShapes order, each row-major.
 * 'pytorch' (the modules' own defaults):
 * - `embed`, `pos`: N(0, 1) (nn.Embedding);
 * - `W_qkv`: U(−a, a), a = √(6 / (dModel + 3·dModel)) (xavier_uniform_ of in_proj_weight); `b_qkv`, `b_o`: 0;
 * - every other weight `W` (out × in: W_in, W_o, W_1, W_2, W_dec, w_out as 1 × dModel) and its bias
 *   (b_in, b_1, b_2, b_dec, b_out): U(−1/√in, 1/√in) (nn.Linear's kaiming_uniform_(a = √5) and bias bound);
 * - LayerNorm g = 1, b = 0.
 * 'tian' (Tian et al.'s code, the PyTorch tutorial's init_weights): as 'pytorch' except `embed` and `W_dec`
 * U(−0.1, 0.1) and `b_dec` = 0; LM head only.
 * Every layer gets its own draws; with `copyLayers` every layer then becomes a copy of layer 0, as in
 * nn.TransformerEncoder, which deep-copies the one layer it is given (the other tensors are the same either way).
 */
export function initTransformerParams(
  config: TransformerConfig, shapes: TransformerShapes, rng: Random, preset: 'pytorch' | 'tian' = 'pytorch', options: { copyLayers?: boolean } = {},
): TransformerParams {
  if (preset === 'tian' && config.head !== 'lm') throw new RangeError("init preset 'tian' sets embed and the decoder: it needs head 'lm'");
  const { dModel: d, dIn, dFF } = shapes;
  const fanIn: Record<string, number> = { W_in: dIn, b_in: dIn, W_o: d, W_1: d, b_1: d, W_2: dFF, b_2: dFF, W_dec: d, b_dec: d, w_out: d, b_out: d };
  const uniform = (bound: number) => () => rng.range(-bound, bound);
  const out: TransformerParams = {};
  for (const [name, shape] of Object.entries(transformerParamShapes(config, shapes))) {
    const base = name.replace(/^layers\.\d+\./, '');
    let draw: () => number;
    if (preset === 'tian' && (base === 'embed' || base === 'W_dec')) draw = uniform(0.1);
    else if (preset === 'tian' && base === 'b_dec') draw = () => 0;
    else if (base === 'embed' || base === 'pos') draw = () => rng.normal();
    else if (base === 'W_qkv') draw = uniform(Math.sqrt(6 / (4 * d)));
    else if (base === 'b_qkv' || base === 'b_o' || base.endsWith('.b')) draw = () => 0;
    else if (base.endsWith('.g')) draw = () => 1;
    else draw = uniform(1 / Math.sqrt(fanIn[base]));
    out[name] = Float64Array.from({ length: sizeOf(shape) }, draw);
  }
  if (options.copyLayers) {
    for (const name of Object.keys(out)) {
      const m = /^layers\.(\d+)\.(.+)$/.exec(name);
      if (m && m[1] !== '0') out[name] = Float64Array.from(out[`layers.0.${m[2]}`]);
    }
  }
  return out;
}
