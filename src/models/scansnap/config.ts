// Config schema of the Scan & Snap model (SPEC §2). Learning rates and momentum are per replica, so a sweep of
// runs with the same shapes is one trainer; replica r draws its data and initial parameters from seed + r.
import { perReplica, type ConfigError, type Schema } from '../../config/schema';
import { tokenLayout } from './data';

export interface ScanSnapConfig extends Record<string, unknown> {
  numCommon: number;
  numQuery: number;
  nextPerQuery: number;
  distinctPerNext: number;
  L: number;
  batch: number;
  etaY: number | number[];
  etaZ: number | number[];
  /** etaY / etaZ per replica; where > 0 it sets etaY (so a grid over etaZ and the ratio is a plain product). */
  etaYRatio?: number | number[];
  momentum: number | number[];
  init: 'zero' | 'uniform';
  steps: number;
  seed: number;
  replicas: number;
  metricsEvery: number;
  trackNext: number;
  /** Parsed configs always have it; configs written as literals (presets) may leave it to the default 'gpu'. */
  batchSource?: 'gpu' | 'cpu';
}

export const scansnapSchema: Schema = {
  numCommon: { type: 'int', default: 10, min: 0, description: 'common tokens (weight 1 in every P(l|n))', group: 'data' },
  numQuery: { type: 'int', default: 2, min: 1, description: 'query tokens', group: 'data' },
  nextPerQuery: { type: 'int', default: 1, min: 1, description: 'next tokens per query (K = numQuery · nextPerQuery)', group: 'data' },
  distinctPerNext: { type: 'int', default: 10, min: 1, description: 'distinct tokens of each next token, weights linspace(0.1, 1)', group: 'data' },
  L: { type: 'int', default: 128, min: 2, description: 'sequence length: L − 1 context tokens plus the query', group: 'data' },
  batch: { type: 'int', default: 128, min: 1, description: 'sequences per step and replica', group: 'training' },
  etaY: { type: 'number', default: 1, min: 0, minExclusive: true, perReplica: true, description: 'learning rate of Y', group: 'training', alsoCalled: ['lr', 'eta', 'learningRate', 'learning_rate'] },
  etaZ: { type: 'number', default: 1, min: 0, minExclusive: true, perReplica: true, description: 'learning rate of Z', group: 'training', alsoCalled: ['lr', 'eta', 'learningRate', 'learning_rate'] },
  etaYRatio: {
    type: 'number', default: 0, min: 0, perReplica: true, group: 'training',
    description: 'etaY / etaZ: where > 0, etaY = etaYRatio · etaZ (replacing etaY); 0: etaY as given',
  },
  momentum: { type: 'number', default: 0.9, min: 0, max: 1, perReplica: true, description: 'SGD momentum (PyTorch semantics)', group: 'training' },
  init: { type: 'enum', default: 'uniform', options: ['zero', 'uniform'], description: "'zero': Y = Z = 0; 'uniform': U(−1/√M, 1/√M)", group: 'training' },
  steps: { type: 'int', default: 100, min: 0, description: 'training steps', group: 'training' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 31 - 1, description: 'seed of replica 0; replica r uses seed + r', group: 'training' },
  replicas: { type: 'int', default: 1, min: 1, description: 'independent runs in the same dispatches', group: 'training' },
  metricsEvery: { type: 'int', default: 10, min: 0, description: 'record metrics every this many steps (0: at the end only)', group: 'metrics' },
  trackNext: { type: 'int', default: 1, min: 0, description: 'record c_{l|n} and Z[ψ(n)][l] for the allowed tokens of the first trackNext next tokens', group: 'metrics' },
  batchSource: {
    type: 'enum', default: 'gpu', options: ['gpu', 'cpu'], group: 'training',
    description: 'where training sequences are generated (the same ids either way): on the GPU, or on the CPU and uploaded',
  },
};

/** Replica r's learning rate of Y: etaYRatio · etaZ where the ratio is given (> 0), else etaY. */
export function etaYOf(c: Pick<ScanSnapConfig, 'etaY' | 'etaZ' | 'etaYRatio'>, r: number): number {
  const ratio = c.etaYRatio === undefined ? 0 : perReplica(c.etaYRatio, r);
  return ratio > 0 ? ratio * perReplica(c.etaZ, r) : perReplica(c.etaY, r);
}

export function checkScanSnapConfig(c: ScanSnapConfig, limits: Record<string, number> = {}): ConfigError[] {
  const errors: ConfigError[] = [];
  const { M, K } = tokenLayout(c);
  if (c.trackNext > K) {
    errors.push({ key: 'trackNext', value: c.trackNext, message: `trackNext = ${c.trackNext} is not allowed: there are only K = numQuery · nextPerQuery = ${K} next tokens` });
  }
  if (K > 65535) {
    errors.push({ key: 'nextPerQuery', value: c.nextPerQuery, message: `numQuery · nextPerQuery = ${K} next tokens; the sequence generator draws n from 16 bits, so at most 65535 are allowed` });
  }
  if (c.seed + c.replicas - 1 > 2 ** 31 - 1) {
    errors.push({ key: 'seed', value: c.seed, message: `seed = ${c.seed} with replicas = ${c.replicas}: replica seeds seed + r must stay <= ${2 ** 31 - 1}` });
  }
  const bindLimit = limits.maxStorageBufferBindingSize ?? 2 ** 27;
  const biggest = Math.max(4 * c.replicas * c.batch * (M + 3), 4 * c.replicas * M * (M + 3), 4 * c.replicas * c.batch * (c.L + 1));
  if (biggest > bindLimit) {
    errors.push({ key: 'replicas', value: c.replicas, message: `replicas = ${c.replicas} needs buffers of ${biggest} bytes (M = ${M}, batch = ${c.batch}); this adapter binds at most ${bindLimit}: use fewer replicas` });
  }
  return errors;
}
