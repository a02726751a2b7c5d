// ICL training throughput (prompts per second, end to end) at the SPEC default shapes for R = 1 and a large R,
// with batches generated on the GPU (default) and on the CPU (generation, upload, GPU step); the step's kernels
// timed one by one (fractions of the adapter's limits); a row per ICL kernel (its dispatches in the R = 1 step),
// and the step's eleven products and four SGD updates as one row each; one evaluation of the test set on the wall
// clock (what a metric point adds); the CPU batch generator alone, and the float64 reference's SGD step for
// comparison. Call sites run the variants the context's tuner gives them: in the bench, the adapter class's defaults.
import type { GpuContext } from '../../src/runtime/context';
import { IclTrainer } from '../../src/models/icl/model';
import { parseIclConfig, iclShapes } from '../../src/models/icl/config';
import { densePrompts, inDomainPatterns, initialParams, trainingBatch, writeTrainingBatch } from '../../src/models/icl/data';
import { iclSgdStepReference } from '../../src/reference/icl';
import { stepKernelRow } from '../stepKernels';
import type { BenchEntry, BenchEntryOptions } from '../types';

function createTrainer(ctx: GpuContext, config: Record<string, unknown>): Promise<IclTrainer> {
  return IclTrainer.create(ctx, { evalTest: false, metricsEvery: 0, ...config });
}

function trainingName(replicas: number, batchSource: string): string {
  return `icl train step R=${replicas}, batches on the ${batchSource.toUpperCase()}`;
}

function trainingEntry(trainer: IclTrainer, stepsPerRun: number): BenchEntry {
  const c = trainer.config;
  const prompts = c.replicas * c.batch;
  return {
    name: trainingName(c.replicas, c.batchSource),
    shape: `replicas ${c.replicas}, batch ${c.batch}, N ${c.N}, d ${c.dX + c.dY}, m ${c.m}; host work: ${stepsPerRun} steps`,
    dispatches: trainer.stepDispatches,
    hostWork: { unit: 'prompts', amount: stepsPerRun * prompts, run: async () => void (await trainer.train(stepsPerRun, { metricsEvery: 0, metricsAtEnd: false })) },
  };
}

export async function benchEntries(ctx: GpuContext, { quick, wants }: BenchEntryOptions): Promise<BenchEntry[]> {
  const small = quick ? { dX: 8, dY: 2, N: 4, m: 8, batch: 16, M1: 3, M2: 4 } : {};
  const largeR = quick ? 2 : ctx.adapter.isSoftware ? 16 : 256;
  const steps = quick ? 2 : ctx.adapter.isSoftware ? 3 : 20;
  const config = parseIclConfig(small);
  const shapes = iclShapes(config);
  const referencePrompts = quick ? 4 : 32;
  const referenceConfig = { ...config, batch: referencePrompts };
  const patterns = inDomainPatterns(config, 0);
  let params = initialParams(config, 0);
  let step = 0;
  const generated = new Uint32Array(config.batch * (config.N + 1) * 4);
  const generatedFloats = new Float32Array(generated.buffer);
  const tag = `${quick ? 'quick' : 'SPEC defaults'} R=1`;
  const kernelShape = `replicas 1, batch ${config.batch}, N ${config.N}, d ${shapes.d}, m ${shapes.m}: its dispatches in the training step`;
  const kernelRows: [string, string][] = [
    [`iclBatchGenerate ${tag}`, kernelShape],
    [`iclPromptBuild ${tag}`, kernelShape],
    [`iclAttentionForward ${tag}`, kernelShape],
    [`iclMlpHinge hingeTrain ${tag}`, kernelShape],
    [`iclAttentionBackward ${tag}`, kernelShape],
    [`gemm icl step ${tag}`, `${kernelShape}: 11 products (7 activations, 4 weight gradients)`],
    [`sgdUpdate icl step ${tag}`, `${kernelShape}: W_Q, W_K, W_V, W_O`],
  ];
  // Trainers are built only for rows the run times.
  const training = async (replicas: number, batchSource: 'gpu' | 'cpu'): Promise<BenchEntry[]> =>
    wants(trainingName(replicas, batchSource)) ? [trainingEntry(await createTrainer(ctx, { ...small, replicas, batchSource }), steps)] : [];
  const single = wants(trainingName(1, 'gpu')) || kernelRows.some(([name]) => wants(name)) ? await createTrainer(ctx, { ...small, replicas: 1 }) : null;
  // One step first, so that the kernel rows read a real batch and activations whichever rows the filter keeps.
  if (single) await single.train(1, { metricsEvery: 0 });
  return [
    ...(single ? [trainingEntry(single, steps)] : []),
    ...(await training(largeR, 'gpu')),
    ...(await training(1, 'cpu')),
    ...(await training(largeR, 'cpu')),
    ...(single ? kernelRows.map(([name, shape]) => stepKernelRow(single.stepDispatches, name, shape)) : []),
    ...(wants(`icl evaluation ${tag}`) ? [await evaluationEntry(ctx, small, tag)] : []),
    {
      name: 'icl batch generation (CPU, compact)',
      shape: `64 batches of ${config.batch}, N ${config.N}: what batchSource 'cpu' generates per replica and step`,
      dispatches: [],
      // 64 batches per timed call: the runner's queue wait after each call would dominate a single batch.
      hostWork: {
        unit: 'prompts',
        amount: 64 * config.batch,
        run: () => {
          for (let k = 0; k < 64; k++) writeTrainingBatch(config, 0, step++, generated, generatedFloats);
        },
      },
    },
    {
      name: 'icl reference SGD step (CPU float64)',
      shape: `batch ${referencePrompts}, N ${config.N}, d ${shapes.d}, m ${shapes.m}`,
      dispatches: [],
      hostWork: {
        unit: 'prompts',
        amount: referencePrompts,
        run: () => {
          const batch = densePrompts(referenceConfig, trainingBatch(referenceConfig, 0, step++), patterns);
          params = iclSgdStepReference(shapes, params, batch, 10).params;
        },
      },
    },
  ];
}

/** One evaluation of the fixed test set (SPEC default 5000 prompts) as a metric point runs it: one submission, one readback. */
async function evaluationEntry(ctx: GpuContext, small: Record<string, unknown>, tag: string): Promise<BenchEntry> {
  const trainer = await createTrainer(ctx, { ...small, replicas: 1, evalTest: true, ...(Object.keys(small).length > 0 && { testSize: 200 }) });
  const evaluator = trainer.evaluator!;
  return {
    name: `icl evaluation ${tag}`,
    shape: `${evaluator.prompts} test prompts in ${evaluator.chunks} chunk(s) of ${evaluator.chunk}: prompts, attention, W_V, W_O, hinge sums`,
    dispatches: [],
    hostWork: { unit: 'prompts', amount: evaluator.prompts, run: async () => void (await evaluator.evaluate()) },
  };
}
