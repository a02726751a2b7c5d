// Post-training analyses of SPEC §1 (used by the presets and the tests): out-of-domain error over S1, magnitude
// vs random pruning curves, sorted neuron norms and value alignment. Test-set work runs on the GPU evaluator;
// only the small parameter matrices are read back.
import type { ResultTable } from '../../engine/types';
import { Random } from '../../util/random';
import { iclShapes } from './config';
import { inDomainTestSet, outOfDomainPatterns, outOfDomainTestSet } from './data';
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
export async function pruningCurves(trainer: IclTrainer, ratios: number[], draws = 10, evaluator?: IclEvaluator): Promise<ResultTable> {
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
  const results = await (evaluator ?? (await trainer.inDomainEvaluator())).evaluateOutputWeights(variants);
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

/**
 * An evaluator of unseen-task prompts with other test settings than the trainer's (the model reads prompts of any
 * length): `NTest` contexts per prompt, a share `alphaTest` of them with the query's task patterns. Each replica's
 * set is drawn from its own seed, as the trainer's test set is.
 */
export async function unseenTaskEvaluator(trainer: IclTrainer, settings: { NTest?: number; alphaTest?: number; testSize?: number }): Promise<IclEvaluator> {
  const c = { ...trainer.config, ...settings };
  const sets = Array.from({ length: trainer.replicas }, (_, r) => inDomainTestSet(c, r));
  return IclEvaluator.create(trainer.ctx, c, trainer.params, sets, trainer.patterns);
}

/**
 * Li et al.: the larger α' (the share of contexts carrying the query's relevant pattern), the shorter the context a
 * trained model needs. Unseen-task error and hinge loss for every (α', NTest), per replica.
 */
export async function contextLengthSweep(trainer: IclTrainer, alphaTests: number[], NTests: number[]): Promise<ResultTable> {
  const rows: number[][] = [];
  for (const alphaTest of alphaTests) {
    for (const NTest of NTests) {
      const evaluator = await unseenTaskEvaluator(trainer, { alphaTest, NTest });
      try {
        (await evaluator.evaluate()).forEach((t, r) => rows.push([alphaTest, NTest, r, t.error, t.hinge]));
      } finally {
        evaluator.destroy();
      }
    }
  }
  return { columns: ['alphaTest', 'NTest', 'replica', 'error', 'hinge'], rows };
}

/** Li et al.: the larger α', the larger the pruning ratio tolerated. Pruning curves (magnitude and random) per α'. */
export async function pruningByAlpha(trainer: IclTrainer, alphaTests: number[], ratios: number[], draws: number): Promise<ResultTable> {
  const rows: number[][] = [];
  for (const alphaTest of alphaTests) {
    const evaluator = await unseenTaskEvaluator(trainer, { alphaTest });
    try {
      const curves = await pruningCurves(trainer, ratios, draws, evaluator);
      for (const row of curves.rows) rows.push([alphaTest, ...row]);
    } finally {
      evaluator.destroy();
    }
  }
  return { columns: ['alphaTest', 'ratio', 'replica', 'magnitudeError', 'magnitudeHinge', 'randomError', 'randomHinge'], rows };
}

/**
 * Per α', the smallest NTest whose mean error (over replicas) is at most `target` (NaN where none is): the number the
 * context-length claim compares across α'.
 */
export function contextNeeded(sweep: ResultTable, target: number): ResultTable {
  return thresholdTable(sweep, 'NTest', 'error', (value) => value <= target, 'first', 'NTestNeeded');
}

/**
 * The context-length preset's tables (the one-layer model's and GPT-2's alike): the sweep itself, its mean error and
 * hinge per α' against NTest, and per α' the shortest context with error at most `target`.
 */
export function contextLengthTables(sweep: ResultTable, target: number): Record<string, ResultTable> {
  return {
    contextLength: sweep,
    contextErrorByAlpha: pivotByAlpha(sweep, 'NTest', 'error'),
    contextHingeByAlpha: pivotByAlpha(sweep, 'NTest', 'hinge'),
    contextNeeded: contextNeeded(sweep, target),
  };
}

/** Per α', the largest pruning ratio up to which the mean magnitude-pruned hinge loss stays at most `tolerance`. */
export function toleratedPruning(curves: ResultTable, tolerance: number): ResultTable {
  return thresholdTable(curves, 'ratio', 'magnitudeHinge', (value) => value <= tolerance, 'lastOfRun', 'ratioTolerated');
}

/** Per α': the first x (ascending) whose mean over replicas is ok ('first'), or the last x of the run of ok values from the smallest x ('lastOfRun'). */
function thresholdTable(table: ResultTable, xName: string, yName: string, ok: (v: number) => boolean, pick: 'first' | 'lastOfRun', out: string): ResultTable {
  const c = (name: string) => table.columns.indexOf(name);
  const alphas = [...new Set(table.rows.map((r) => r[c('alphaTest')]))];
  const rows = alphas.map((alpha) => {
    const mine = table.rows.filter((r) => r[c('alphaTest')] === alpha);
    const xs = [...new Set(mine.map((r) => r[c(xName)]))].sort((a, b) => a - b);
    const good = xs.map((x) => {
      const at = mine.filter((r) => r[c(xName)] === x).map((r) => r[c(yName)]);
      return ok(at.reduce((a, b) => a + b, 0) / at.length);
    });
    if (pick === 'first') {
      const i = good.indexOf(true);
      return [alpha, i >= 0 ? xs[i] : NaN];
    }
    const end = good.indexOf(false);
    const last = (end === -1 ? xs.length : end) - 1;
    return [alpha, last >= 0 ? xs[last] : NaN];
  });
  return { columns: ['alphaTest', out], rows };
}

/** A table's mean of `y` over replicas, one column per α' (the preset figures draw one line per column). */
export function pivotByAlpha(table: ResultTable, x: string, y: string, suffix = ''): ResultTable {
  const c = (name: string) => table.columns.indexOf(name);
  const alphas = [...new Set(table.rows.map((r) => r[c('alphaTest')]))];
  const xs = [...new Set(table.rows.map((r) => r[c(x)]))].sort((a, b) => a - b);
  const mean = (alpha: number, at: number) => {
    const values = table.rows.filter((r) => r[c('alphaTest')] === alpha && r[c(x)] === at).map((r) => r[c(y)]);
    return values.reduce((a, b) => a + b, 0) / values.length;
  };
  return { columns: [x, ...alphas.map((a) => `alpha'=${a}${suffix}`)], rows: xs.map((at) => [at, ...alphas.map((a) => mean(a, at))]) };
}

/** One run of the steps-against-alpha sweep: its training alpha, seed, and first step below the threshold (NaN: none). */
export interface CrossingRun {
  alpha: number;
  seed: number;
  firstStep: number;
}

/**
 * Li et al.: the larger the training alpha, the fewer iterations training needs. From each run's first step below
 * the error threshold: the runs (`firstCrossing`; firstStep NaN where a run never crossed), per alpha the mean, min
 * and max over the runs that crossed (`stepsByAlpha`), and the least-squares fit of ln(steps) against ln(alpha)
 * over the runs that crossed at a step > 0 (`stepsFit`: steps ≈ prefactor · alpha^slope, with r²).
 */
export function alphaStepsTables(runs: CrossingRun[]): Record<string, ResultTable> {
  const sorted = [...runs].sort((a, b) => a.alpha - b.alpha || a.seed - b.seed);
  const alphas = [...new Set(sorted.map((r) => r.alpha))];
  const byAlpha = alphas.map((alpha) => {
    const mine = sorted.filter((r) => r.alpha === alpha);
    const steps = mine.map((r) => r.firstStep).filter(Number.isFinite);
    const mean = steps.length ? steps.reduce((a, b) => a + b, 0) / steps.length : NaN;
    return [alpha, mean, steps.length ? Math.min(...steps) : NaN, steps.length ? Math.max(...steps) : NaN, steps.length, mine.length];
  });
  const points = sorted.filter((r) => Number.isFinite(r.firstStep) && r.firstStep > 0).map((r) => [Math.log(r.alpha), Math.log(r.firstStep)]);
  const fit = leastSquares(points);
  return {
    firstCrossing: { columns: ['alpha', 'seed', 'firstStep'], rows: sorted.map((r) => [r.alpha, r.seed, r.firstStep]) },
    stepsByAlpha: { columns: ['alpha', 'meanSteps', 'minSteps', 'maxSteps', 'crossed', 'runs'], rows: byAlpha },
    stepsFit: {
      columns: ['slope', 'prefactor', 'r2', 'runsFitted', 'runsNotCrossed'],
      rows: [[fit.slope, Math.exp(fit.intercept), fit.r2, points.length, sorted.filter((r) => !Number.isFinite(r.firstStep)).length]],
    },
  };
}

/** y = intercept + slope·x by least squares, with the share of variance explained (NaN with fewer than two distinct x). */
function leastSquares(points: number[][]): { slope: number; intercept: number; r2: number } {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const syy = points.reduce((a, p) => a + (p[1] - my) ** 2, 0);
  if (!(sxx > 0)) return { slope: NaN, intercept: NaN, r2: NaN };
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : 1 };
}
