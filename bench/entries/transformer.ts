// Transformer training throughput (SPEC §4), end to end in tokens per second, with the step's kernels timed one by
// one: the Tian et al. tutorial size (dModel 200, 1 head, dFF 200, T 35, batch 20, V 10 000, post-LN, SGD) and a
// GPT-2-small block (dModel 768, 12 heads, dFF 3072, T 1024, pre-LN, GELU, AdamW; one layer and a V = 50 257
// head), shrunk on a CPU adapter as each row's shape says; the token-window kernel that feeds them; and the real
// text presets (Brown corpus, sequential batches, dropout 0.3 where the preset has it): text-small, and text-1layer
// at the tutorial's size with the corpus' V = 17 637 (not on a CPU adapter); and icl-gpt2, GPT-2 on the ICL prompts.
import type { GpuContext } from '../../src/runtime/context';
import type { Trainer } from '../../src/engine/types';
import { transformerModel, parseTransformerConfig } from '../../src/models/transformer/index';
import { dataShapeOf } from '../../src/models/transformer/config';
import { prepareData } from '../../src/models/transformer/data/index';
import { findPreset } from '../../src/models/registry';
import { stepKernelRow } from '../stepKernels';
import type { BenchEntry, BenchEntryOptions } from '../types';

async function trainer(ctx: GpuContext, raw: Record<string, unknown>): Promise<Trainer & { stepDispatches: never[] }> {
  await prepareData(raw); // a text corpus is read before the config check (fetched here, in the page)
  // The smallest held-out set and sample, whatever the preset says: the timed runs take no metrics record
  // (metricsAtEnd false), and these keep the trainer's evaluation buffers small (1000 prompts for icl-gpt2).
  return (await transformerModel.createTrainer(ctx, parseTransformerConfig({ ...raw, metricsEvery: 0, evalSize: 1, sampleSize: 1 }))) as never;
}

function describe(c: Record<string, unknown>): string {
  return ['replicas', 'batch', 'T', 'V', 'dModel', 'nHeads', 'dFF', 'nLayers', 'norm', 'optimizer'].map((k) => `${k} ${c[k]}`).join(', ');
}

export async function benchEntries(ctx: GpuContext, { quick, wants }: BenchEntryOptions): Promise<BenchEntry[]> {
  const software = ctx.adapter.isSoftware;
  const steps = quick ? 1 : software ? 2 : 20;
  const tian = quick
    ? { V: 64, T: 8, batch: 4, dModel: 16, nHeads: 1, dFF: 16 }
    : { V: 10_000, T: 35, batch: 20, dModel: 200, nHeads: 1, dFF: 200 };
  const gpt2 = quick
    ? { V: 128, T: 16, batch: 1, dModel: 24, nHeads: 2, dFF: 48 }
    : software
      ? { V: 50_257, T: 64, batch: 1, dModel: 768, nHeads: 12, dFF: 3072 } // T 1024 takes minutes a step here
      : { V: 50_257, T: 1024, batch: 2, dModel: 768, nHeads: 12, dFF: 3072 };
  const text = (name: string) => ({ ...findPreset(name)!.config, mapEvery: 0, ...(quick ? { maxVocab: 64, T: 8, batch: 4, dModel: 16, dFF: 16 } : {}) });
  const configs: Record<string, Record<string, unknown>> = {
    'text-small': text('text-small'),
    // On a CPU adapter the tutorial-size text row (V 17 637: a minute a step, and many to tune) is left out; 'tian'
    // below is the same model at V 10 000.
    ...(software && !quick ? {} : { 'text-1layer': text('text-1layer') }),
    // Li et al.'s GPT-2 on the ICL prompts (presets/icl.ts): T = N + 1 real-input positions, hinge readout.
    'icl-gpt2': { ...findPreset('icl-gpt2')!.config, ...(quick ? { dModel: 16, dFF: 16, batch: 4, evalSize: 8 } : {}) },
    tian: { ...tian, nLayers: 1, norm: 'post', activation: 'relu', optimizer: 'sgd', lr: 5, lrFfn: 10, clip: 0.5, init: 'tian', scaleEmbed: true, replicas: 1 },
    gpt2: { ...gpt2, nLayers: 1, norm: 'pre', activation: 'gelu', optimizer: 'adamw', lr: 3e-4, posEncoding: 'learned', replicas: 1 },
  };
  const entries: BenchEntry[] = [];
  for (const [name, raw] of Object.entries(configs)) {
    const windowsRow = `tokenWindows ${quick ? 'quick' : 'tian'} R=1`;
    // A model is built (and tuned) only for rows the run times: the tutorial-size ones take minutes here.
    if (!wants(`transformer train step ${name}`) && !(name === 'tian' && wants(windowsRow))) continue;
    const t = await trainer(ctx, raw);
    await t.train(1, { metricsEvery: 0 }); // one real step: the kernel rows then run on real data
    const c = { replicas: 1, ...raw } as Record<string, number | string>;
    // Text takes V from its corpus' vocabulary; a tutorial-size step takes seconds on a CPU adapter. ICL prompts
    // have no vocabulary, and their length from the data.
    if (name.startsWith('text')) c.V = `${transformerModel.paramShapes(parseTransformerConfig(raw)).embed[0]} (Brown)`;
    if (raw.data === 'icl') Object.assign(c, { V: '– (real inputs)', T: dataShapeOf(parseTransformerConfig(raw)).T });
    entries.push({
      name: `transformer train step ${name}`,
      shape: `${describe(c)}; host work: ${steps} steps${software && name === 'gpt2' && !quick ? ' (T shrunk from 1024 on this CPU adapter)' : ''}`,
      dispatches: t.stepDispatches,
      hostWork: { unit: 'tokens', amount: steps * (c.replicas as number) * (c.batch as number) * (c.T as number), steps, run: async () => void (await t.train(steps, { metricsEvery: 0, metricsAtEnd: false })) },
    });
    if (name === 'tian') entries.push(stepKernelRow(t.stepDispatches, windowsRow, `batch ${c.batch}, T ${c.T}, random windows of the training stream`));
  }
  return entries;
}
