// Post-training analyses of SPEC §1 (used by the presets and the tests): out-of-domain error over S1, magnitude
// vs random pruning curves, sorted neuron norms and value alignment. Test-set work runs on the GPU evaluator;
// only the small parameter matrices are read back.
import type { ResultTable } from '../../engine/types';
import { Random } from '../../util/random';
import { iclShapes } from './config';
import { outOfDomainPatterns, outOfDomainTestSet } from './data';
import { IclEvaluator } from './evaluate';
import { prunedRows, sortedRowNorms, splitNorms, valueAlignment, zeroRows } from './metrics';
import { meanRelevantPattern, type IclTrainer } from './model';

/** Random stream for the random-pruning draws (seed + replica). */
const PRUNING_STREAM = 6;

/** OOD error and hinge loss per S1 and replica (SPEC §1 construction; the same prompts for every S1). */
export async function oodSweep(trainer: IclTrainer, S1s: number[]): Promise<ResultTable> {
  const c = trainer.config;
  const R = trainer.replicas;
  const sets = Array.from({ length: R }, (_, r) => outOfDomainTestSet(c, r));
  const patterns = (S1: number) => Array.from({ length: R }, (_, r) => outOfDomainPatterns(c, r, S1));
  const evaluator = await IclEvaluator.create(trainer.ctx, c, trainer.params, sets, patterns(S1s[0]));
  const rows: number[][] = [];
  try {
    for (const S1 of S1s) {
      evaluator.setPatterns(patterns(S1));
      (await evaluator.evaluate()).forEach((t, r) => rows.push([S1, r, t.error, t.hinge, t.attention]));
    }
  } finally {
    evaluator.destroy();
  }
  return { columns: ['S1', 'replica', 'error', 'hinge', 'attention'], rows };
}

/**
 * Unseen-task error and hinge loss after zeroing round(ratio·m) rows of W_O: the smallest by norm (magnitude),
 * or random rows averaged over `draws` draws.
 */
export async function pruningCurves(trainer: IclTrainer, ratios: number[], draws = 10): Promise<ResultTable> {
  const { m, dV } = iclShapes(trainer.config);
  const R = trainer.replicas;
  const W_O = (await trainer.readParams()).W_O;
  const replicaRows = (r: number) => W_O.subarray(r * m * dV, (r + 1) * m * dV);
  const rngs = Array.from({ length: R }, (_, r) => new Random(trainer.config.seed + r, PRUNING_STREAM));
  const variants: Float32Array[] = [];
  for (const ratio of ratios) {
    variants.push(zeroRows(W_O, R, m, dV, Array.from({ length: R }, (_, r) => prunedRows(replicaRows(r), m, dV, ratio))));
    for (let k = 0; k < draws; k++) variants.push(zeroRows(W_O, R, m, dV, Array.from({ length: R }, (_, r) => prunedRows(replicaRows(r), m, dV, ratio, rngs[r]))));
  }
  const results = await (await trainer.inDomainEvaluator()).evaluateOutputWeights(variants);
  const rows: number[][] = [];
  ratios.forEach((ratio, i) => {
    const base = i * (draws + 1);
    for (let r = 0; r < R; r++) {
      const magnitude = results[base][r];
      let error = 0, hinge = 0;
      for (let k = 1; k <= draws; k++) {
        error += results[base + k][r].error / draws;
        hinge += results[base + k][r].hinge / draws;
      }
      rows.push([ratio, r, magnitude.error, magnitude.hinge, error, hinge]);
    }
  });
  return { columns: ['ratio', 'replica', 'magnitudeError', 'magnitudeHinge', 'randomError', 'randomHinge'], rows };
}

/** Sorted W_O row norms per replica, and their split into a small and a large group. */
export async function neuronNorms(trainer: IclTrainer): Promise<{ norms: ResultTable; split: ResultTable }> {
  const { m, dV } = iclShapes(trainer.config);
  const W_O = (await trainer.readParams()).W_O;
  const norms: number[][] = [];
  const split: number[][] = [];
  for (let r = 0; r < trainer.replicas; r++) {
    const sorted = sortedRowNorms(W_O.subarray(r * m * dV, (r + 1) * m * dV), m, dV);
    sorted.forEach((norm, rank) => norms.push([rank, r, norm]));
    const s = splitNorms(sorted);
    split.push([r, s.smallFraction, s.gap, s.meanRatio]);
  }
  return { norms: { columns: ['rank', 'replica', 'norm'], rows: norms }, split: { columns: ['replica', 'smallFraction', 'gap', 'meanRatio'], rows: split } };
}

/** Per neuron: the sign of a_j, and the cosines of row j of W_O W_V with the mean IDR pattern and with q. */
export async function valueAlignmentTable(trainer: IclTrainer): Promise<ResultTable> {
  const shapes = iclShapes(trainer.config);
  const { m, dV, d } = shapes;
  const params = await trainer.readParams();
  const rows: number[][] = [];
  for (let r = 0; r < trainer.replicas; r++) {
    const a = valueAlignment(
      shapes,
      params.W_O.subarray(r * m * dV, (r + 1) * m * dV),
      params.W_V.subarray(r * dV * d, (r + 1) * dV * d),
      meanRelevantPattern(trainer.patterns[r]),
    );
    for (let j = 0; j < m; j++) rows.push([j, r, j < m / 2 ? 1 : -1, a.featureCos[j], a.labelCos[j]]);
  }
  return { columns: ['neuron', 'replica', 'aSign', 'featureCos', 'labelCos'], rows };
}
