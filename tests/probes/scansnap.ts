// In-page probes for the Scan & Snap model: GPU loss and gradients, short training runs, state round trips.
import { getContext, assertNoDeviceErrors, type GpuContext } from '../../src/runtime/context';
import { poison, readU32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { scansnapBatchGenerate, slotCountBytes } from '../../src/kernels/scansnapBatchGenerate';
import { replicaSeedWords, SequenceSampler, type ScanSnapDataSettings } from '../../src/models/scansnap/data';
import { scansnapLossAndGradsGpu, ScanSnapTrainer, type GpuLossGradsArgs } from '../../src/models/scansnap/model';
import { scansnapModel, type ScanSnapConfig } from '../../src/models/scansnap/index';
import type { MetricRecord, ParamsJson, TrainerState } from '../../src/engine/types';
import { scansnapPresets } from '../../src/models/scansnap/presets';

export async function lossAndGrads(args: GpuLossGradsArgs) {
  const ctx = await getContext();
  const out = await scansnapLossAndGradsGpu(ctx, args);
  assertNoDeviceErrors(ctx);
  return out;
}

export async function lossAndGradsJson(args: { params: ParamsJson; batch: unknown }) {
  const ctx = await getContext();
  const out = await scansnapModel.lossAndGrads(ctx, args.params, args.batch);
  assertNoDeviceErrors(ctx);
  return out;
}

/** The generator's inputs for replicas' seeds from `seed`, the step counter at `step`, and a token buffer. */
function generatorBuffers(ctx: GpuContext, sampler: SequenceSampler, replicas: number, batch: number, seed: number, step: number) {
  return {
    step: ctx.pool.upload(Uint32Array.of(step), 'test step counter'),
    replicaSeeds: ctx.pool.upload(replicaSeedWords(seed, replicas), 'test replica seeds'),
    thresholds: ctx.pool.upload(sampler.thresholds, 'test thresholds'),
    tokens: ctx.pool.acquire(4 * replicas * batch * (sampler.settings.L + 1), 'test tokens'),
  };
}

/**
 * scansnapBatchGenerate alone: the step counter set to `firstStep`, then `steps` replays of [generate,
 * advanceStep], the tokens poisoned before each; returns each step's ids [R][batch][L + 1].
 */
export async function generateSequences(args: {
  settings: ScanSnapDataSettings; replicas: number; batch: number; seed: number; firstStep: number; steps: number; variant?: { threadPerSequence: boolean; wg: number };
}) {
  const ctx = await getContext();
  const { settings, replicas, batch } = args;
  const sampler = new SequenceSampler(settings);
  const generator = await scansnapBatchGenerate(ctx.kernels, { replicas, batch, L: settings.L, nextPerQuery: settings.nextPerQuery, layout: sampler.layout, thresholdValues: sampler.thresholds, ...args.variant });
  const count = replicas * batch * (settings.L + 1);
  const buffers = generatorBuffers(ctx, sampler, replicas, batch, args.seed, args.firstStep);
  const plan = new StepPlan(ctx.device, 'test scansnapBatchGenerate').add(generator.generate(buffers), generator.advanceStep(buffers.step));
  const out: Uint32Array[] = [];
  for (let s = 0; s < args.steps; s++) {
    poison(ctx.device, buffers.tokens);
    plan.run();
    out.push(await readU32(ctx.device, buffers.tokens, count));
  }
  for (const b of Object.values(buffers)) ctx.pool.release(b);
  assertNoDeviceErrors(ctx);
  return out;
}

/**
 * scansnapBatchGenerate's generateCounts at step `step`: the tokens (poisoned before, so that the context ids it
 * leaves alone read 0x7fc00000) and the slot counts, [R][batch][8] words.
 */
export async function generateSlotCounts(args: { settings: ScanSnapDataSettings; replicas: number; batch: number; seed: number; step: number }) {
  const ctx = await getContext();
  const { settings, replicas, batch } = args;
  const sampler = new SequenceSampler(settings);
  const generator = await scansnapBatchGenerate(ctx.kernels, {
    replicas, batch, L: settings.L, nextPerQuery: settings.nextPerQuery, layout: sampler.layout, thresholdValues: sampler.thresholds, countSlots: true, wg: 4,
  });
  const count = replicas * batch * (settings.L + 1);
  const buffers = { ...generatorBuffers(ctx, sampler, replicas, batch, args.seed, args.step), slotCounts: ctx.pool.acquire(slotCountBytes(replicas, batch), 'test slot counts') };
  poison(ctx.device, buffers.tokens);
  poison(ctx.device, buffers.slotCounts);
  new StepPlan(ctx.device, 'test generateCounts').add(generator.generate(buffers)).run();
  const out = { tokens: await readU32(ctx.device, buffers.tokens, count), slotCounts: await readU32(ctx.device, buffers.slotCounts, 8 * replicas * batch) };
  for (const b of Object.values(buffers)) ctx.pool.release(b);
  assertNoDeviceErrors(ctx);
  return out;
}

/** Trains `steps` (optionally in two halves through getState/setState on a fresh trainer) and returns the state. */
export async function train(args: { config: Partial<ScanSnapConfig>; steps: number; resumeAt?: number; metricsEvery?: number }) {
  const ctx = await getContext();
  let trainer = await scansnapModel.createTrainer(ctx, args.config as ScanSnapConfig);
  const records: MetricRecord[] = [];
  const opts = { metricsEvery: args.metricsEvery };
  if (args.resumeAt !== undefined) {
    records.push(...(await trainer.train(args.resumeAt, opts)));
    const state = await trainer.getState();
    trainer.destroy();
    trainer = await scansnapModel.createTrainer(ctx, args.config as ScanSnapConfig);
    await trainer.setState(state);
    records.push(...(await trainer.train(args.steps - args.resumeAt, opts)));
  } else {
    records.push(...(await trainer.train(args.steps, opts)));
  }
  const state: TrainerState = await trainer.getState();
  const evaluation = await trainer.evaluate();
  const dispatchLabels = (trainer as ScanSnapTrainer).stepDispatches.map((d) => d.label);
  trainer.destroy();
  assertNoDeviceErrors(ctx);
  return { state, records, evaluation, dispatchLabels };
}

/** The error message createTrainer gives for a config (or '' if it accepts it). */
export async function configError(args: { config: Record<string, unknown> }): Promise<string> {
  const ctx = await getContext();
  try {
    const t = await scansnapModel.createTrainer(ctx, args.config as ScanSnapConfig);
    t.destroy();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Trains a preset for its steps (or `steps`) with its metrics interval and returns the records and its analysis tables. */
export async function runPreset(args: { name: string; steps?: number }) {
  const ctx = await getContext();
  const preset = scansnapPresets.find((p) => p.name === args.name);
  if (!preset) throw new Error(`no scansnap preset '${args.name}'`);
  const config = (await import('../../src/models/scansnap/index')).parseScanSnapConfig(preset.config);
  const trainer = await scansnapModel.createTrainer(ctx, config);
  const records = await trainer.train(args.steps ?? preset.steps, { metricsEvery: preset.metricsEvery });
  const tables = preset.analyze ? await preset.analyze(trainer, ctx, config) : {};
  trainer.destroy();
  assertNoDeviceErrors(ctx);
  return { records, tables };
}

/** setState with momentum in a non-query row of Z (which this trainer never trains): returns the error message. */
export async function setStateOutsideQueryRows(args: { config: Partial<ScanSnapConfig>; row: number }): Promise<string> {
  const ctx = await getContext();
  const trainer = await scansnapModel.createTrainer(ctx, args.config as ScanSnapConfig);
  const state = await trainer.getState();
  const M = state.shapes.Z[0];
  state.optimizer.Z[args.row * M] = 1;
  try {
    await trainer.setState(state);
    return '';
  } catch (e) {
    return (e as Error).message;
  } finally {
    trainer.destroy();
  }
}
