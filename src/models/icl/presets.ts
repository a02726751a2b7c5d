// Named ICL experiments (SPEC §1, Li et al. 2024) for the CLI and the app. Each trains the SPEC defaults unless
// it says otherwise, records metrics over training, and its analyze() builds the post-training tables.
import type { Preset, ResultTable, Trainer } from '../../engine/types';
import type { IclConfig } from './config';
import { IclTrainer } from './model';
import { neuronNorms, oodSweep, pruningCurves, valueAlignmentTable } from './analysis';

export const OOD_S1 = [0.5, 0.7, 0.9, 1.1, 1.3];
export const PRUNING_RATIOS = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const PRUNING_DRAWS = 10;

function icl(trainer: Trainer): IclTrainer {
  if (!(trainer instanceof IclTrainer)) throw new TypeError(`an ICL preset's analysis needs an ICL trainer, got '${trainer.model}'`);
  return trainer;
}

async function finalEvaluation(trainer: Trainer): Promise<ResultTable> {
  const records = await trainer.evaluate();
  return { columns: ['replica', 'testError', 'testHinge', 'attention'], rows: records.map((r) => [r.replica, r.testError, r.testHinge, r.attention]) };
}

export const iclPresets: Preset<IclConfig>[] = [
  {
    name: 'icl-indomain',
    model: 'icl',
    description: 'Training loss and unseen-task test error (with hinge loss) over training at the SPEC defaults.',
    config: {},
    steps: 300,
    metricsEvery: 10,
    analyze: async (trainer) => ({ evaluation: await finalEvaluation(trainer) }),
    figures: [
      { file: 'loss.svg', title: 'training batch hinge loss', source: 'metrics', x: 'step', y: ['loss'], logY: true },
      { file: 'test-error.svg', title: 'unseen-task test error and hinge loss', source: 'metrics', x: 'step', y: ['testError', 'testHinge'], logY: true },
    ],
  },
  {
    name: 'icl-ood',
    model: 'icl',
    description: 'Out-of-domain error and hinge loss for S1 in {0.5, 0.7, 0.9, 1.1, 1.3} after 1000 steps (SPEC §1 construction).',
    config: {},
    steps: 1000,
    metricsEvery: 50,
    check: (c) =>
      c.M1 >= 4 ? [] : [{ key: 'M1', value: c.M1, message: `M1 = ${c.M1} is not allowed for icl-ood: out-of-domain tasks need M1 >= 4 (M1' = floor(M1/2) >= 2 ODR patterns)` }],
    analyze: async (trainer) => ({ ood: await oodSweep(icl(trainer), OOD_S1), evaluation: await finalEvaluation(trainer) }),
    figures: [
      { file: 'ood-error.svg', title: 'out-of-domain error and hinge loss vs S1', source: 'ood', x: 'S1', y: ['error', 'hinge'], logY: true },
      { file: 'test-error.svg', title: 'unseen-task test error over training', source: 'metrics', x: 'step', y: ['testError', 'testHinge'], logY: true },
    ],
  },
  {
    name: 'icl-pruning',
    model: 'icl',
    description: 'Unseen-task error and hinge loss after pruning W_O rows by magnitude vs at random (mean of 10 draws).',
    config: {},
    steps: 1000,
    metricsEvery: 50,
    analyze: async (trainer) => {
      const norms = await neuronNorms(icl(trainer));
      return { pruning: await pruningCurves(icl(trainer), PRUNING_RATIOS, PRUNING_DRAWS), norms: norms.norms, normSplit: norms.split };
    },
    figures: [
      { file: 'pruning-error.svg', title: 'test error vs pruning ratio', source: 'pruning', x: 'ratio', y: ['magnitudeError', 'randomError'] },
      { file: 'pruning-hinge.svg', title: 'test hinge loss vs pruning ratio', source: 'pruning', x: 'ratio', y: ['magnitudeHinge', 'randomHinge'], logY: true },
      { file: 'neuron-norms.svg', title: 'sorted W_O row norms', source: 'norms', x: 'rank', y: ['norm'], logY: true },
    ],
  },
  {
    name: 'icl-mechanism',
    model: 'icl',
    description: 'Attention concentration on same-pattern contexts, neuron-norm split and value alignment over training.',
    config: {},
    steps: 300,
    metricsEvery: 5,
    analyze: async (trainer) => {
      const norms = await neuronNorms(icl(trainer));
      return { norms: norms.norms, normSplit: norms.split, valueAlignment: await valueAlignmentTable(icl(trainer)) };
    },
    figures: [
      { file: 'attention.svg', title: 'attention on same-pattern contexts', source: 'metrics', x: 'step', y: ['attention'] },
      { file: 'neuron-split.svg', title: 'W_O row norms: widest gap and small-group fraction', source: 'metrics', x: 'step', y: ['neuronNormGap', 'smallNeuronFraction'] },
      { file: 'value-alignment.svg', title: 'label part of W_O W_V rows vs q (positive / negative a)', source: 'metrics', x: 'step', y: ['labelAlignPositive', 'labelAlignNegative'] },
      { file: 'neuron-norms.svg', title: 'sorted W_O row norms after training', source: 'norms', x: 'rank', y: ['norm'], logY: true },
    ],
  },
];
