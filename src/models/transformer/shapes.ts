// The transformer's names and shapes (SPEC §4, docs/transformer.md): its structural settings, every tensor and
// its shape, the learning-rate groups, the dropout sites, the batches. Pure data, no GPU: the trainer, the
// exchange format and the float64 reference all use it.

export interface TransformerConfig {
  nHeads: number;
  /** 'post': PyTorch's default layer; 'pre': norm_first (GPT-2), with a final LayerNorm `lnf`. */
  norm: 'post' | 'pre';
  /** 'gelu' is exact (erf). */
  activation: 'relu' | 'gelu';
  causal: boolean;
  posEncoding: 'none' | 'sinusoidal' | 'learned';
  /** Multiply token embeddings by √dModel (the PyTorch tutorial). Token inputs only. */
  scaleEmbed: boolean;
  /** LM logits use `embed` as the decoder weight. */
  tie: boolean;
  /** 'lm': token inputs (`embed`), next-token cross-entropy. 'icl': real inputs (`W_in`, `b_in`), hinge on the last position. */
  head: 'lm' | 'icl';
}

export interface TransformerShapes {
  /** Vocabulary (head 'lm'); 0 with real inputs. */
  V: number;
  /** Real input size (head 'icl'); 0 with token inputs. */
  dIn: number;
  dModel: number;
  dFF: number;
  nLayers: number;
  /** Rows of `pos` with learned positions (every batch must then have this T); 0 otherwise (the batch sets T). */
  T: number;
}

/** One replica's tensors by SPEC §4 name, row-major, weights out × in (PyTorch's storage). */
export type TransformerParams = Record<string, Float64Array>;

/** LM batch: tokens[b][0..T−1] are the inputs, tokens[b][1..T] the targets. */
export interface TransformerLmBatch {
  head: 'lm';
  B: number;
  T: number;
  /** [B][T + 1] */
  tokens: Int32Array;
}

/** ICL batch: the rows of each prompt's P (SPEC §1, §3) are the inputs u_0..u_{T−1}, the query last (T = N + 1). */
export interface TransformerIclBatch {
  head: 'icl';
  B: number;
  T: number;
  /** [B][T][dIn] */
  inputs: Float64Array;
  /** [B], each ±1 */
  z: Float64Array;
}

export type TransformerBatch = TransformerLmBatch | TransformerIclBatch;

/** Inverted dropout with the counter-based masks of docs/transformer.md; `seed` is the replica's (config seed + r). */
export interface TransformerDropout {
  p: number;
  seed: number;
  step: number;
}

/** Dropout sites, docs/transformer.md "Randomness". */
export const DROPOUT_SITE = { embedding: 0, attentionProbs: 1, attentionOut: 2, ffnHidden: 3, ffnOut: 4 } as const;

const LAYER_TENSORS = ['W_qkv', 'b_qkv', 'W_o', 'b_o', 'ln1.g', 'ln1.b', 'W_1', 'b_1', 'W_2', 'b_2', 'ln2.g', 'ln2.b'] as const;
const FFN_TENSORS = new Set(['W_1', 'b_1', 'W_2', 'b_2']);

/** Every tensor of the model with its shape, in a fixed order (inputs, positions, layers, final norm, head). */
export function transformerParamShapes(config: TransformerConfig, shapes: TransformerShapes): Record<string, number[]> {
  const { V, dIn, dModel: d, dFF, nLayers, T } = shapes;
  const out: Record<string, number[]> = {};
  if (config.head === 'lm') out.embed = [V, d];
  else {
    out.W_in = [d, dIn];
    out.b_in = [d];
  }
  if (config.posEncoding === 'learned') out.pos = [T, d];
  const layerShapes: Record<(typeof LAYER_TENSORS)[number], number[]> = {
    W_qkv: [3 * d, d], b_qkv: [3 * d], W_o: [d, d], b_o: [d], 'ln1.g': [d], 'ln1.b': [d],
    W_1: [dFF, d], b_1: [dFF], W_2: [d, dFF], b_2: [d], 'ln2.g': [d], 'ln2.b': [d],
  };
  for (let l = 0; l < nLayers; l++) for (const name of LAYER_TENSORS) out[`layers.${l}.${name}`] = layerShapes[name];
  if (config.norm === 'pre') {
    out['lnf.g'] = [d];
    out['lnf.b'] = [d];
  }
  if (config.head === 'lm') {
    if (!config.tie) out.W_dec = [V, d];
    out.b_dec = [V];
  } else {
    out.w_out = [d];
    out.b_out = [1];
  }
  return out;
}

/** The learning-rate group of a tensor: `ffn` is every layer's W_1, b_1, W_2, b_2; `rest` the others. */
export function transformerParamGroup(name: string): 'ffn' | 'rest' {
  const match = /^layers\.\d+\.(.+)$/.exec(name);
  return match && FFN_TENSORS.has(match[1]) ? 'ffn' : 'rest';
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function zeroTransformerParams(config: TransformerConfig, shapes: TransformerShapes): TransformerParams {
  return Object.fromEntries(Object.entries(transformerParamShapes(config, shapes)).map(([name, shape]) => [name, new Float64Array(sizeOf(shape))]));
}
