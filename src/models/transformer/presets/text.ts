// Tian et al.'s real-text experiment (Scan & Snap, the WikiText check; facebookresearch/luckmatters
// ssl/real-dataset/scan_snap) on the Brown corpus: the PyTorch word-language-model tutorial's transformer (emsize 200,
// d_hid 200, 1 head, dropout 0.3, sinusoidal positions, embeddings scaled by √d, post-LN, ReLU, causal mask,
// embedding and decoder U(−0.1, 0.1)), batch 20, bptt 35, SGD lr 10 (FFN) and 5 (the rest), no momentum,
// clipping 0.5, constant learning rate. What to watch: the lowest layer's attention entropy on a fixed validation
// batch, the freezing measures of SPEC §4, and the attention maps of a validation sentence over training.
import type { ArtifactsByStep, FigureSpec, MetricRecord, Preset, ResultTable, Trainer } from '../../../engine/types';
import { heatMapChart, lineChart, type Series } from '../../../report/svg';
import type { TransformerRunConfig } from '../config';
import { textData, type TextSettings } from '../data/text';

/** What the model keeps of the first sample sequence every mapEvery steps (TransformerTrainer.firstSequenceMaps). */
export interface AttentionArtifact {
  labels: string[];
  causal: boolean;
  /** [replica][layer][head][query t][key s]. */
  maps: number[][][][][];
}

/** At most this many maps in a figure (evenly spaced, first and last kept). */
const MAX_MAPS = 8;

function pick<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, i) => items[Math.round((i * (items.length - 1)) / (count - 1))]);
}

/** The sample sentence's attention (replica, layer, head 0) at the kept steps, one panel each, tokens on both axes. */
export function attentionMapsSvg(artifacts: ArtifactsByStep, replica: number, layer: number): string | null {
  const steps = [...artifacts.keys()].filter((s) => (artifacts.get(s)?.attention as AttentionArtifact | undefined)?.maps?.[replica]?.[layer]).sort((a, b) => a - b);
  if (steps.length === 0) return null;
  const panels = pick(steps, MAX_MAPS).map((step) => {
    const a = artifacts.get(step)!.attention as AttentionArtifact;
    const map = a.maps[replica][layer][0];
    return {
      title: `step ${step}`,
      rowLabels: a.labels, colLabels: a.labels,
      values: map.map((row, t) => row.map((v, s) => (a.causal && s > t ? NaN : v))),
      range: [0, 1] as [number, number],
      xLabel: 'key (attended) token', yLabel: 'query token',
    };
  });
  return heatMapChart(panels, Math.min(4, panels.length), `attention of a validation sentence, layer ${layer} (replica ${replica})`);
}

/** Training and validation loss per replica against the unigram entropy of the training text (the analysis table 'corpus'). */
function lossSvg(metrics: MetricRecord[], tables: Record<string, ResultTable>): string | null {
  const replicas = [...new Set(metrics.map((m) => m.replica))].sort((a, b) => a - b);
  const series: Series[] = [];
  for (const r of replicas) {
    const mine = metrics.filter((m) => m.replica === r);
    const suffix = replicas.length > 1 ? ` r${r}` : '';
    const train = mine.filter((m) => Number.isFinite(m.loss));
    const valid = mine.filter((m) => Number.isFinite(m.evalLoss));
    series.push({ name: `training${suffix}`, x: train.map((m) => m.step), y: train.map((m) => m.loss), faint: replicas.length > 1 && r > 0 });
    series.push({ name: `validation${suffix}`, x: valid.map((m) => m.step), y: valid.map((m) => m.evalLoss), dashed: true });
  }
  if (series.every((s) => s.x.length === 0)) return null;
  const corpus = tables.corpus;
  const H = corpus?.rows[0]?.[corpus.columns.indexOf('unigramEntropy')];
  if (H !== undefined) {
    const steps = metrics.map((m) => m.step);
    series.push({ name: 'unigram entropy', x: [Math.min(...steps), Math.max(...steps)], y: [H, H], color: '#7f7f7f', dashed: true });
  }
  return lineChart({ title: 'loss (nats per token)', xLabel: 'step', yLabel: 'cross-entropy', series });
}

async function analyzeText(trainer: Trainer, config: TransformerRunConfig): Promise<Record<string, ResultTable>> {
  const records = await trainer.evaluate();
  const keys = Object.keys(records[0] ?? {}).filter((k) => k !== 'step' && k !== 'replica');
  const lr = (r: number) => (Array.isArray(config.lr) ? config.lr[r] : config.lr);
  const lrFfn = (r: number) => (Array.isArray(config.lrFfn) ? config.lrFfn[r] : config.lrFfn);
  const data = textData(config as TransformerRunConfig & TextSettings);
  return {
    evaluation: { columns: ['replica', 'lr', 'lrFfn', ...keys], rows: records.map((r) => [r.replica, lr(r.replica), lrFfn(r.replica), ...keys.map((k) => r[k])]) },
    corpus: {
      columns: ['V', 'trainTokens', 'validTokens', 'unigramEntropy', 'unknownFraction'],
      rows: [[data.vocabulary.length, data.train.length, data.valid.length, data.unigramEntropy, data.unknownFraction]],
    },
  };
}

function figures(layers: number): FigureSpec[] {
  const perLayer = (prefix: string) => Array.from({ length: layers }, (_, l) => `${prefix}.l${l}`);
  return [
    { file: 'loss.svg', title: 'loss', source: 'metrics', x: 'step', y: ['loss', 'evalLoss'], render: (m, t) => lossSvg(m, t) },
    { file: 'perplexity.svg', title: 'validation perplexity', source: 'metrics', x: 'step', y: ['perplexity'], logY: true },
    { file: 'entropy.svg', title: 'attention entropy of a fixed validation batch, per layer', source: 'metrics', x: 'step', y: perLayer('entropy'), yLabel: 'nats' },
    { file: 'change.svg', title: 'freezing: relative change of the attention since the last metrics point', source: 'metrics', x: 'step', y: perLayer('change'), yLabel: '‖A_t − A_{t−k}‖ / ‖A_t‖', logY: true },
    { file: 'moved.svg', title: 'freezing: fraction of query rows whose most-attended key moved', source: 'metrics', x: 'step', y: perLayer('moved'), yLabel: 'fraction of rows' },
    ...Array.from({ length: layers }, (_, l): FigureSpec => ({
      file: `attention-l${l}.svg`, title: `attention maps, layer ${l}`, source: 'metrics', x: 'step', y: [],
      render: (_m, _t, artifacts) => attentionMapsSvg(artifacts, 0, l),
    })),
  ];
}

/** The tutorial's model and optimizer (Tian et al.'s figure_7 notebook), on the Brown corpus. */
const TUTORIAL = {
  data: 'text', corpus: 'brown', minCount: 3, split: '80/10/10', trainOrder: 'sequential',
  T: 35, batch: 20, dModel: 200, nHeads: 1, dFF: 200, nLayers: 1, norm: 'post', activation: 'relu', causal: true,
  posEncoding: 'sinusoidal', scaleEmbed: true, tie: false, dropout: 0.3, init: 'tian',
  // nn.TransformerEncoder deep-copies its layer: the paper's deeper models start with identical layers.
  copyLayers: true,
  optimizer: 'sgd', lr: 5, lrFfn: 10, momentum: 0, clip: 0.5, evalSize: 400, sampleSize: 20, mapEvery: 500,
};

const analyze = async (trainer: Trainer, _ctx: unknown, config: TransformerRunConfig) => analyzeText(trainer, config);

/** Learning-rate scales of text-lr (both groups scaled, as in the PyTorch run: 0.2, 1 and 2). */
export const TEXT_LR_SCALES = [0.2, 0.5, 1, 2];

export const textPresets: Preset<TransformerRunConfig>[] = [
  {
    name: 'text-1layer',
    model: 'transformer',
    description: "Tian et al.'s real-text check on the Brown corpus: the PyTorch tutorial's 1-layer transformer (dModel 200, 1 head, dFF 200, dropout 0.3, V ≈ 17.6 k), SGD lr 5 / FFN 10, clip 0.5, batch 20 × bptt 35; attention entropy, freezing and maps of a validation sentence",
    config: { ...TUTORIAL },
    steps: 3000,
    metricsEvery: 50,
    analyze,
    figures: figures(1),
  },
  {
    name: 'text-3layer',
    model: 'transformer',
    description: 'The same with 3 layers: does only the lowest layer sparsify?',
    config: { ...TUTORIAL, nLayers: 3 },
    steps: 3000,
    metricsEvery: 50,
    analyze,
    figures: figures(3),
  },
  {
    name: 'text-lr',
    model: 'transformer',
    description: `text-1layer with both learning rates scaled by ${TEXT_LR_SCALES.join(', ')} as replicas of one job: final attention entropy against learning rate`,
    config: { ...TUTORIAL, replicas: TEXT_LR_SCALES.length, lr: TEXT_LR_SCALES.map((s) => 5 * s), lrFfn: TEXT_LR_SCALES.map((s) => 10 * s) },
    steps: 1500,
    metricsEvery: 50,
    analyze,
    figures: [
      ...figures(1),
      { file: 'entropy-vs-lr.svg', title: 'final attention entropy (layer 0) against the learning rate of the rest (FFN: twice)', source: 'evaluation', x: 'lr', y: ['entropy.l0'], yLabel: 'nats' },
    ],
  },
  {
    name: 'text-small',
    model: 'transformer',
    description: 'A 1-layer model small enough for a CPU adapter (top 2 000 words, dModel 64, dFF 64, no dropout), the tutorial\'s batching and SGD: the tests\' and CI\'s text run',
    config: { ...TUTORIAL, maxVocab: 2000, dModel: 64, dFF: 64, dropout: 0, evalSize: 100, mapEvery: 100 },
    steps: 300,
    metricsEvery: 20,
    analyze,
    figures: figures(1),
  },
];
