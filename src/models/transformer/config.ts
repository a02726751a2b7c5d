// Config of the transformer stack (SPEC §4): every structural choice, the optimizer (SGD with momentum or AdamW,
// learning rates per group `ffn` / `rest` and per replica, gradient clipping per replica), the init, and the
// data the model trains on. Checked before any GPU work, including the memory it needs against the adapter.
import { parseConfig, type ConfigError, type Schema } from '../../config/schema';
import { dataSources, sourceOf, type DataShape } from './data/index';
import type { TransformerConfig, TransformerShapes } from './shapes';

export interface TransformerRunConfig extends Record<string, unknown> {
  /** A data source of src/models/transformer/data/ (its own keys are in this config too). */
  data: string;
  V: number;
  T: number;
  dModel: number;
  nHeads: number;
  dFF: number;
  nLayers: number;
  norm: 'post' | 'pre';
  activation: 'relu' | 'gelu';
  causal: boolean;
  posEncoding: 'none' | 'sinusoidal' | 'learned';
  scaleEmbed: boolean;
  tie: boolean;
  dropout: number;
  optimizer: 'sgd' | 'adamw';
  lr: number | number[];
  lrFfn: number | number[];
  momentum: number | number[];
  beta1: number | number[];
  beta2: number | number[];
  weightDecay: number | number[];
  clip: number | number[];
  init: 'pytorch' | 'tian';
  copyLayers: boolean;
  batch: number;
  steps: number;
  seed: number;
  replicas: number;
  metricsEvery: number;
  evalSize: number;
  sampleSize: number;
  mapEvery: number;
  period: number;
}

export const transformerSchema: Schema = {
  data: {
    type: 'enum', default: 'repeat', options: Object.keys(dataSources), group: 'data',
    description: `what the model trains on (src/models/transformer/data/): ${Object.keys(dataSources).join(', ')}`,
  },
  V: { type: 'int', default: 16, min: 1, max: 2 ** 24, description: 'vocabulary size', group: 'data' },
  T: { type: 'int', default: 16, min: 1, max: 4096, description: 'positions per sequence (a training window holds T + 1 tokens)', group: 'data' },
  dModel: { type: 'int', default: 32, min: 1, max: 8192, description: 'width of the residual stream', group: 'model' },
  nHeads: { type: 'int', default: 2, min: 1, description: 'attention heads (dModel must be divisible by nHeads; dHead = dModel / nHeads)', group: 'model' },
  dFF: { type: 'int', default: 64, min: 1, max: 65536, description: 'hidden width of the feed-forward block', group: 'model' },
  nLayers: { type: 'int', default: 2, min: 0, max: 96, description: 'transformer layers', group: 'model' },
  norm: { type: 'enum', default: 'post', options: ['post', 'pre'], description: "'post': LayerNorm after each residual add (PyTorch's default); 'pre': before each block, plus a final LayerNorm (GPT-2)", group: 'model' },
  activation: { type: 'enum', default: 'relu', options: ['relu', 'gelu'], description: 'FFN activation (gelu exact, with erf)', group: 'model' },
  causal: { type: 'boolean', default: true, description: 'position t attends to positions <= t only', group: 'model' },
  posEncoding: { type: 'enum', default: 'sinusoidal', options: ['none', 'sinusoidal', 'learned'], description: 'positions added to the inputs: none, the PyTorch tutorial\'s sinusoidal table, or a learned T × dModel tensor', group: 'model' },
  scaleEmbed: { type: 'boolean', default: false, description: 'multiply token embeddings by √dModel (the PyTorch tutorial)', group: 'model' },
  tie: { type: 'boolean', default: false, description: 'the decoder uses the embedding matrix (plus its own bias)', group: 'model' },
  dropout: { type: 'number', default: 0, min: 0, max: 0.95, description: 'dropout probability at every site (embedding output, attention probabilities, both block outputs, FFN hidden); off in evaluation', group: 'model' },
  optimizer: { type: 'enum', default: 'adamw', options: ['sgd', 'adamw'], description: "'sgd' (with momentum, PyTorch semantics) or 'adamw' (PyTorch's, eps 1e-8)", group: 'training' },
  lr: { type: 'number', default: 1e-3, min: 0, minExclusive: true, perReplica: true, description: "learning rate of the 'rest' group (everything but the FFN weights and biases)", group: 'training', alsoCalled: ['eta', 'learningRate', 'learning_rate'] },
  lrFfn: { type: 'number', default: 0, min: 0, perReplica: true, description: "learning rate of the 'ffn' group (every layer's W_1, b_1, W_2, b_2); 0: the same as lr", group: 'training' },
  momentum: { type: 'number', default: 0, min: 0, max: 1, perReplica: true, description: "SGD momentum ('sgd' only)", group: 'training' },
  beta1: { type: 'number', default: 0.9, min: 0, max: 1, minExclusive: false, perReplica: true, description: "AdamW β1 ('adamw' only)", group: 'training' },
  beta2: { type: 'number', default: 0.999, min: 0, max: 1, perReplica: true, description: "AdamW β2 ('adamw' only)", group: 'training' },
  weightDecay: { type: 'number', default: 0.01, min: 0, perReplica: true, description: "AdamW decoupled weight decay ('adamw' only), on every tensor as torch.optim.AdamW", group: 'training' },
  clip: { type: 'number', default: 0, min: 0, perReplica: true, description: 'clip the global gradient norm of each replica to this (clip_grad_norm_); 0: no clipping', group: 'training' },
  init: { type: 'enum', default: 'pytorch', options: ['pytorch', 'tian'], description: "'pytorch': the modules' own init; 'tian': as the PyTorch tutorial (embedding and decoder U(−0.1, 0.1), decoder bias 0)", group: 'training' },
  copyLayers: { type: 'boolean', default: false, description: 'every layer starts as a copy of layer 0 (nn.TransformerEncoder deep-copies its layer; Tian et al.\'s code); false: each layer drawn', group: 'training' },
  batch: { type: 'int', default: 16, min: 1, description: 'sequences per step and replica', group: 'training' },
  steps: { type: 'int', default: 300, min: 0, description: 'training steps', group: 'training' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 31 - 1, description: 'seed of replica 0; replica r uses seed + r (init, data order, dropout)', group: 'training' },
  replicas: { type: 'int', default: 1, min: 1, description: 'independent runs in the same dispatches', group: 'training' },
  metricsEvery: { type: 'int', default: 10, min: 0, description: 'record metrics every this many steps (0: at the end only)', group: 'metrics' },
  evalSize: { type: 'int', default: 32, min: 1, description: 'held-out sequences of the evaluation (validation loss)', group: 'metrics' },
  sampleSize: { type: 'int', default: 2, min: 1, description: 'sequences of the fixed sample whose attention the metrics measure (entropy, maps, freezing)', group: 'metrics' },
  mapEvery: { type: 'int', default: 0, min: 0, description: 'keep the attention maps of the first sample sequence every this many steps (a multiple of metricsEvery; 0: none): artifacts/ in a run folder, figures', group: 'metrics' },
  ...Object.assign({}, ...Object.values(dataSources).map((source) => source.schema)),
};

/** What the data implies (head, V or dIn, T), from its source. */
export function dataShapeOf(c: TransformerRunConfig): DataShape {
  return sourceOf(c).shape(c);
}

/** The structural part (what the exchange format's "config" holds). */
export function structureOf(c: TransformerRunConfig): TransformerConfig {
  const head = dataShapeOf(c).head;
  return { nHeads: c.nHeads, norm: c.norm, activation: c.activation, causal: c.causal, posEncoding: c.posEncoding, scaleEmbed: head === 'lm' && c.scaleEmbed, tie: head === 'lm' && c.tie, head };
}

export function shapesOf(c: TransformerRunConfig): TransformerShapes {
  const data = dataShapeOf(c);
  return { V: data.V, dIn: data.dIn, dModel: c.dModel, dFF: c.dFF, nLayers: c.nLayers, T: c.posEncoding === 'learned' ? data.T : 0 };
}

export function checkTransformerConfig(c: TransformerRunConfig): ConfigError[] {
  const errors: ConfigError[] = [];
  if (c.dModel % c.nHeads !== 0) {
    errors.push({ key: 'nHeads', value: c.nHeads, message: `dModel = ${c.dModel} is not divisible by nHeads = ${c.nHeads}: every head has dModel / nHeads columns` });
  }
  if (c.seed + c.replicas - 1 > 2 ** 31 - 1) {
    errors.push({ key: 'seed', value: c.seed, message: `seed = ${c.seed} with replicas = ${c.replicas}: replica seeds seed + r must stay <= ${2 ** 31 - 1}` });
  }
  if (c.mapEvery > 0 && (c.metricsEvery === 0 || c.mapEvery % c.metricsEvery !== 0)) {
    errors.push({ key: 'mapEvery', value: c.mapEvery, message: `mapEvery = ${c.mapEvery} is not allowed: maps are taken at metrics points, so it must be a multiple of metricsEvery = ${c.metricsEvery}` });
  }
  const source = dataSources[c.data];
  if (source?.check) errors.push(...source.check(c));
  return errors;
}

export function parseTransformerConfig(raw: unknown, extra?: (c: TransformerRunConfig) => ConfigError[]): TransformerRunConfig {
  return parseConfig<TransformerRunConfig>(transformerSchema, raw, (c) => [...checkTransformerConfig(c), ...(extra?.(c) ?? [])]);
}
