// Transformer presets. `transformer-repeat`: a tiny language model (V 16, T 16) learning a deterministic
// repeating sequence, several learning rates as replicas of one job: the stack's end-to-end check.
import type { FigureSpec, Preset, ResultTable, Trainer } from '../../../engine/types';
import type { TransformerRunConfig } from '../config';

async function finalEvaluation(trainer: Trainer): Promise<ResultTable> {
  const records = await trainer.evaluate();
  const keys = Object.keys(records[0] ?? {}).filter((k) => k !== 'step' && k !== 'replica');
  return { columns: ['replica', ...keys], rows: records.map((r) => [r.replica, ...keys.map((k) => r[k])]) };
}

const lossFigures: FigureSpec[] = [
  { file: 'loss.svg', title: 'training loss (per replica)', source: 'metrics', x: 'step', y: ['loss'], logY: true },
  { file: 'eval-loss.svg', title: 'held-out loss', source: 'metrics', x: 'step', y: ['evalLoss'], logY: true },
  { file: 'entropy.svg', title: 'attention entropy of the fixed sample, layer 0 and 1', source: 'metrics', x: 'step', y: ['entropy.l0', 'entropy.l1'], yLabel: 'nats' },
  { file: 'grad-norm.svg', title: 'global gradient norm', source: 'metrics', x: 'step', y: ['gradNorm'], logY: true },
];

export const repeatPresets: Preset<TransformerRunConfig>[] = [
  {
    name: 'transformer-repeat',
    model: 'transformer',
    description: 'A tiny language model (V 16, T 16, 2 layers, dModel 32) learns a repeating permutation of its 16 tokens; 4 replicas at AdamW lr 1e-3, 3e-3, 1e-2, 3e-2',
    config: {
      data: 'repeat', V: 16, T: 16, dModel: 32, nHeads: 2, dFF: 64, nLayers: 2, optimizer: 'adamw', lr: [1e-3, 3e-3, 1e-2, 3e-2],
      weightDecay: 0, replicas: 4, batch: 16, evalSize: 16, sampleSize: 1,
    },
    steps: 200,
    metricsEvery: 10,
    analyze: async (trainer) => ({ evaluation: await finalEvaluation(trainer) }),
    figures: lossFigures,
  },
];
