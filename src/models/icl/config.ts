// ICL config: the schema (SPEC §1 defaults), the cross-field rules, and the resolved shapes.
import { parseConfig, type ConfigError, type Schema } from '../../config/schema';
import type { IclShapes } from './shapes';

export interface IclConfig extends Record<string, unknown> {
  dX: number;
  dY: number;
  N: number;
  dA: number;
  dV: number;
  m: number;
  eta: number | number[];
  batch: number;
  steps: number;
  delta: number;
  initNoise: number;
  sigmaO: number;
  M1: number;
  M2: number;
  kappaMax: number;
  alpha: number | number[];
  alphaTest: number;
  NTest: number;
  testSize: number;
  patterns: 'basis' | 'random';
  seed: number;
  replicas: number;
  S1: number;
  metricsEvery: number;
  evalTest: boolean;
  batchSource: 'gpu' | 'cpu';
  crossingEvery: number;
  crossingThreshold: number;
}

export const iclSchema: Schema = {
  dX: { type: 'int', default: 32, min: 1, max: 4096, description: 'feature dimension', group: 'shapes' },
  dY: { type: 'int', default: 8, min: 1, max: 4096, description: 'label-embedding dimension (q = its first basis vector)', group: 'shapes' },
  N: { type: 'int', default: 20, min: 1, max: 4096, description: 'context examples in a training prompt', group: 'shapes' },
  dA: { type: 'int', default: 0, min: 0, max: 4096, description: 'rows of W_Q and W_K; 0 means d = dX + dY', group: 'shapes' },
  dV: { type: 'int', default: 0, min: 0, max: 4096, description: 'rows of W_V and columns of W_O; 0 means d = dX + dY', group: 'shapes' },
  m: { type: 'int', default: 64, min: 1, max: 65536, description: 'MLP neurons (rows of W_O)', group: 'shapes' },
  eta: { type: 'number', default: 10, min: 0, minExclusive: true, perReplica: true, description: 'SGD learning rate (all four matrices)', group: 'training', alsoCalled: ['lr', 'learningRate', 'learning_rate'] },
  batch: { type: 'int', default: 256, min: 1, max: 65535, description: 'prompts per SGD step', group: 'training' },
  steps: { type: 'int', default: 1000, min: 0, description: 'training steps', group: 'training' },
  delta: { type: 'number', default: 0.5, description: 'W_Q, W_K, W_V start at delta times the rectangular identity', group: 'init' },
  initNoise: { type: 'number', default: 0, min: 0, description: 'std of Gaussian noise added to W_Q, W_K, W_V at init', group: 'init' },
  sigmaO: { type: 'number', default: 0.01, min: 0, description: 'std of the i.i.d. Gaussian entries of W_O at init', group: 'init' },
  M1: { type: 'int', default: 6, min: 3, description: 'in-domain-relevant (IDR) patterns', group: 'data' },
  M2: { type: 'int', default: 24, min: 1, description: 'in-domain-irrelevant (IDI) patterns', group: 'data' },
  kappaMax: { type: 'number', default: 0.5, min: 0, description: 'kappa ~ U[-kappaMax, kappaMax] scales the IDI pattern', group: 'data' },
  alpha: { type: 'number', default: 0.8, min: 0, max: 1, perReplica: true, description: 'fraction of training contexts from the task pair', group: 'data' },
  alphaTest: { type: 'number', default: 0.8, min: 0, max: 1, description: "alpha' of test prompts", group: 'data' },
  NTest: { type: 'int', default: 20, min: 1, max: 4096, description: 'context examples in a test prompt', group: 'data' },
  testSize: { type: 'int', default: 5000, min: 1, description: 'prompts in each fixed, seeded test set', group: 'data' },
  patterns: { type: 'enum', default: 'basis', options: ['basis', 'random'], description: 'IDR/IDI patterns: basis vectors or a seeded random orthonormal set', group: 'data' },
  seed: { type: 'int', default: 1, min: 0, max: 2 ** 31 - 1, description: 'replica r uses seed + r for init, patterns and data', group: 'training' },
  replicas: { type: 'int', default: 1, min: 1, max: 65535, description: 'independent runs in the same dispatches', group: 'training' },
  S1: { type: 'number', default: 1.3, min: 0, minExclusive: true, description: 'coefficient sum of the out-of-domain relevant patterns', group: 'evaluation' },
  metricsEvery: { type: 'int', default: 10, min: 0, description: 'record metrics every this many steps (0: only at the end)', group: 'evaluation' },
  batchSource: {
    type: 'enum', default: 'gpu', options: ['gpu', 'cpu'], group: 'training',
    description: 'where training batches are generated (the same bits either way): on the GPU, or on the CPU and uploaded',
  },
  evalTest: { type: 'boolean', default: true, description: 'evaluate the unseen-task test set at every metrics point', group: 'evaluation' },
  crossingEvery: {
    type: 'int', default: 0, min: 0, group: 'evaluation',
    description: 'evaluate the unseen-task test set every this many steps on the GPU and record per replica the first step whose error is below crossingThreshold (metric firstStep; 0: off)',
  },
  crossingThreshold: { type: 'number', default: 0.05, min: 0, minExclusive: true, max: 1, description: 'the unseen-task error a replica must fall below to count as crossed (crossingEvery)', group: 'evaluation' },
};

/** The shapes of a config, with dA = dV = d when given as 0. */
export function iclShapes(c: IclConfig): IclShapes {
  const d = c.dX + c.dY;
  return { dX: c.dX, dY: c.dY, d, dA: c.dA || d, dV: c.dV || d, m: c.m };
}

/** Prompts per evaluation chunk: a multiple of 64 so every chunk's buffer window is 256-byte aligned. */
export function evalChunk(c: IclConfig, scratchBytes = 64 * 2 ** 20): number {
  const { d } = iclShapes(c);
  const perPrompt = c.replicas * (c.NTest + 1) * d * 4;
  const fit = Math.max(64, Math.floor(scratchBytes / perPrompt / 64) * 64);
  return Math.min(fit, Math.ceil(c.testSize / 64) * 64);
}

/** The largest storage binding a run needs, in bytes (checked against the adapter's limit). */
export function largestBinding(c: IclConfig): { bytes: number; what: string } {
  const { d, m } = iclShapes(c);
  const R = c.replicas;
  const chunk = evalChunk(c);
  const testPrompts = Math.ceil(c.testSize / chunk) * chunk;
  const candidates = [
    { bytes: R * c.batch * c.N * d * 4, what: `training contexts (replicas × batch × N × d floats)` },
    { bytes: R * chunk * (c.NTest + 1) * d * 4, what: `evaluation contexts (replicas × chunk × NTest × d floats)` },
    { bytes: R * testPrompts * (c.NTest + 1) * 16, what: `test set (replicas × testSize × (NTest + 1) columns × 16 bytes)` },
    { bytes: R * testPrompts * m * 4, what: `test-set MLP inputs (replicas × testSize × m floats)` },
  ];
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

export function checkIclConfig(c: IclConfig, limits?: Record<string, number>): ConfigError[] {
  const errors: ConfigError[] = [];
  if (c.M1 + c.M2 > c.dX) {
    errors.push({ key: 'M1', value: c.M1, message: `M1 + M2 = ${c.M1} + ${c.M2} = ${c.M1 + c.M2} must be <= dX = ${c.dX} (the patterns are orthonormal in R^dX)` });
  }
  const maxBinding = limits?.maxStorageBufferBindingSize;
  if (maxBinding !== undefined) {
    const need = largestBinding(c);
    if (need.bytes > maxBinding) {
      errors.push({
        key: 'replicas', value: c.replicas,
        message: `the ${need.what} needs ${need.bytes} bytes but this adapter binds at most ${maxBinding}: lower replicas, batch, N or testSize`,
      });
    }
  }
  return errors;
}

/** Validates a raw config (schema, then cross-field rules), filling defaults; throws ConfigValidationError. */
export function parseIclConfig(raw: unknown, limits?: Record<string, number>): IclConfig {
  return parseConfig<IclConfig>(iclSchema, raw, (c) => checkIclConfig(c, limits));
}
