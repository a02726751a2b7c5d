// IclTrainer: R replicas of the ICL model trained by SGD on the GPU. One training step is a StepPlan:
//   [generate the batch] → build prompts from the compact batch → forward → hinge → backward → SGD on
//   W_Q, W_K, W_V, W_O → [step += 1].
// Batches are compact columns, a pure function of (seed + replica, step) from a counter-based RNG
// (src/models/icl/data.ts, shaders/iclBatchGenerate.wgsl: the same bits on either side).
// batchSource 'gpu' (default): the plan generates each batch itself from a step counter on the GPU, so k steps
// are k replays of the plan in one submission with no upload at all.
// batchSource 'cpu': for a chunk of k steps the host writes k batches into an upload buffer (queue.writeBuffer,
// ordered after the chunk before, which still reads it) and each step is preceded by a copy of its batch into the
// step's input; the host generates chunk t + 1 while the GPU runs chunk t (measured: the CPU generator, not the
// GPU, bounds throughput at large R, hence the default).
// crossingEvery k > 0: after every k-th step the recorded unseen-task evaluation and iclFirstCrossing run inside
// the same submission (the engine's periodic work), so each replica's first step below crossingThreshold is
// recorded on the GPU with no readback in the loop and no replica stopping another (Li et al.: fewer iterations
// for a larger training alpha). It is part of the state (checkpoints carry it as 'firstCrossing').
// The training loop itself (chunks, submissions in flight, metrics ring, stop, state checks) is the engine's
// ReplayTrainer (src/engine/trainer.ts); this file supplies the step, the snapshot and the state layout.
import { sgdUpdate } from '../../kernels/sgdUpdate';
import { tunedIclPromptBuild } from '../../kernels/iclPromptBuild';
import { iclBatchGenerate } from '../../kernels/iclBatchGenerate';
import { iclFirstCrossing, NOT_CROSSED } from '../../kernels/iclFirstCrossing';
import { perReplica, type FieldSpec } from '../../config/schema';
import type { GpuContext } from '../../runtime/context';
import { readF32 } from '../../runtime/buffers';
import { StepPlan } from '../../runtime/plan';
import { ReplayTrainer, type SnapshotLayout, type StateShapes, type StepProgram } from '../../engine/trainer';
import type { MetricRecord, TrainerState } from '../../engine/types';
import { ICL_PARAM_NAMES, iclParamShapes, type IclParamName, type IclParams64 } from './shapes';
import { iclSchema, iclShapes, parseIclConfig, type IclConfig } from './config';
import { inDomainPatterns, inDomainTestSet, initialParams, replicaDrawWords, trainingTasks, WORDS_PER_COLUMN, writeTrainingBatch, type Patterns } from './data';
import { IclEvaluator, patternTables } from './evaluate';
import { sortedRowNorms, splitNorms, valueAlignment } from './metrics';
import { acquireTrainActivations, forwardBackward, type IclParamBuffers } from './network';

/** Upper bound on the bytes of batches uploaded per submission (the chunk of steps is cut to fit). */
const UPLOAD_BYTES = 32 * 2 ** 20;
/** batchSource 'gpu': steps per submission at most (bounds one command buffer). */
const MAX_CHUNK_STEPS = 64;

export class IclTrainer extends ReplayTrainer {
  readonly model = 'icl' as const;
  protected program!: StepProgram;
  private readonly owned: GPUBuffer[] = [];
  private learningRateBuffer!: GPUBuffer;
  params!: IclParamBuffers;
  grads!: IclParamBuffers;
  trainStats!: GPUBuffer;
  evaluator: IclEvaluator | null = null;
  readonly patterns: Patterns[];
  /** crossingEvery > 0: f32 [R] first step below crossingThreshold (NOT_CROSSED until then), and what records it. */
  private crossing: { firstStep: GPUBuffer; record: StepPlan } | null = null;

  private constructor(
    ctx: GpuContext,
    readonly config: IclConfig,
  ) {
    super(ctx, config.replicas, config.metricsEvery);
    this.patterns = Array.from({ length: config.replicas }, (_, r) => inDomainPatterns(config, r));
  }

  /** Validates `config` (schema, cross-field rules, this adapter's limits) before any GPU work. */
  static async create(ctx: GpuContext, rawConfig: Partial<IclConfig>): Promise<IclTrainer> {
    const config = parseIclConfig(rawConfig, ctx.device.limits as unknown as Record<string, number>);
    const trainer = new IclTrainer(ctx, config);
    await trainer.build();
    return trainer;
  }

  get stepBytes(): number {
    return this.replicas * this.config.batch * (this.config.N + 1) * WORDS_PER_COLUMN * 4;
  }

  /** Steps per submission: what the upload buffer holds (batchSource 'cpu'), else a bound on one command buffer. */
  get maxChunkSteps(): number {
    if (this.config.batchSource === 'gpu') return MAX_CHUNK_STEPS;
    return Math.max(1, Math.min(MAX_CHUNK_STEPS, Math.floor(UPLOAD_BYTES / this.stepBytes)));
  }

  private acquire(bytes: number, label: string): GPUBuffer {
    const buffer = this.ctx.pool.acquire(bytes, `icl ${label}`);
    this.owned.push(buffer);
    return buffer;
  }

  private async build(): Promise<void> {
    const { ctx, config: c, replicas: R } = this;
    const shapes = iclShapes(c);
    const { dX, d } = shapes;
    const sizes = iclParamShapes(shapes);
    const tensor = (name: string) =>
      Object.fromEntries(ICL_PARAM_NAMES.map((p) => [p, this.acquire(4 * R * sizes[p][0] * sizes[p][1], `${name} ${p}`)])) as IclParamBuffers;
    this.params = tensor('param');
    this.grads = tensor('grad');
    const init = Array.from({ length: R }, (_, r) => initialParams(c, r));
    this.writeParams(init);
    this.learningRateBuffer = this.acquire(4 * R, 'eta');
    this.writeLearningRate('eta', Float32Array.from({ length: R }, (_, r) => perReplica(c.eta, r)));

    const tables = patternTables(this.patterns);
    const relTable = ctx.pool.upload(tables.rel, 'icl relevant patterns');
    const irrTable = ctx.pool.upload(tables.irr, 'icl irrelevant patterns');
    this.owned.push(relTable, irrTable);
    const stepInput = this.acquire(this.stepBytes, 'step batch');
    const plan = new StepPlan(ctx.device, 'icl step');
    let advanceStep = null;
    let stepCounter: GPUBuffer | undefined;
    let hostInputs: StepProgram['hostInputs'];
    const tasks = trainingTasks(c.M1);
    const generator = c.batchSource === 'gpu' || c.crossingEvery > 0
      ? await iclBatchGenerate(ctx.kernels, { replicas: R, prompts: c.batch, N: c.N, relCount: c.M1, irrCount: c.M2, tasks: tasks.length, kappaMax: c.kappaMax })
      : null;
    if (generator) {
      // The batches read the step from here, and so does the first-crossing record (with CPU batches, only it).
      stepCounter = this.acquire(4, 'step counter');
      advanceStep = generator.advanceStep(stepCounter);
    }
    if (generator && c.batchSource === 'gpu') {
      const replicaDraws = ctx.pool.upload(replicaDrawWords(c), 'icl replica draws');
      const taskTable = ctx.pool.upload(Uint32Array.from(tasks.flat()), 'icl training tasks');
      this.owned.push(replicaDraws, taskTable);
      plan.add(generator.generate({ step: stepCounter!, replicaDraws, tasks: taskTable, columns: stepInput }));
    } else {
      hostInputs = this.cpuBatches(stepInput);
    }

    const dims = { replicas: R, prompts: c.batch, N: c.N, shapes };
    const rows = R * c.batch;
    const contexts = this.acquire(4 * rows * c.N * d, 'contexts');
    const queries = this.acquire(4 * rows * d, 'queries');
    const labels = this.acquire(4 * rows, 'labels');
    const act = acquireTrainActivations(ctx, dims);
    this.owned.push(...Object.values(act));
    this.trainStats = act.trainStats;
    const build = await tunedIclPromptBuild(ctx, { replicas: R, prompts: c.batch, N: c.N, dX, d, relCount: c.M1, irrCount: c.M2 });
    plan.add(
      build({ columns: stepInput, relPatterns: relTable, irrPatterns: irrTable, contexts, queries, labels }),
      ...(await forwardBackward(ctx, dims, this.params, this.grads, { contexts, queries, labels, columns: stepInput }, act, this.owned)),
    );
    for (const name of ICL_PARAM_NAMES) {
      const update = await sgdUpdate(ctx.kernels, { replicas: R, size: sizes[name][0] * sizes[name][1] });
      plan.add(update({ param: this.params[name], grad: this.grads[name], lr: this.learningRateBuffer }, `sgd ${name}`));
    }
    if (advanceStep) plan.add(advanceStep);

    if (c.evalTest || c.crossingEvery > 0) await this.inDomainEvaluator();
    const periodic = c.crossingEvery > 0 ? await this.recordCrossings(stepCounter!) : undefined;
    this.program = { plan, maxChunkSteps: this.maxChunkSteps, stepCounter, hostInputs, periodic, metrics: this.snapshotLayout() };
  }

  /** crossingEvery: the evaluation and the first-crossing record, run by the engine after every k-th step. */
  private async recordCrossings(stepCounter: GPUBuffer): Promise<StepProgram['periodic']> {
    const { ctx, config: c, replicas: R } = this;
    const evaluator = this.evaluator!;
    const firstStep = ctx.pool.upload(new Float32Array(R).fill(NOT_CROSSED), 'icl first crossing');
    this.owned.push(firstStep);
    const record = await iclFirstCrossing(ctx.kernels, { replicas: R, threshold: c.crossingThreshold });
    const crossing = { firstStep, record: new StepPlan(ctx.device, 'icl first crossing').add(record({ step: stepCounter, evalStats: evaluator.evalStats, firstStep })) };
    this.crossing = crossing;
    return {
      every: c.crossingEvery,
      encode: (encoder) => {
        evaluator.encode(encoder);
        crossing.record.encode(encoder);
      },
    };
  }

  /** batchSource 'cpu': each chunk's batches written into one upload buffer, copied into the step's input per step. */
  private cpuBatches(stepInput: GPUBuffer): StepProgram['hostInputs'] {
    const { config: c } = this;
    const chunkBytes = this.maxChunkSteps * this.stepBytes;
    const upload = this.acquire(chunkBytes, 'batch upload');
    const words = new Uint32Array(chunkBytes / 4);
    const floats = new Float32Array(words.buffer);
    const columnsPerReplica = c.batch * (c.N + 1);
    return (first, count) => {
      for (let s = 0; s < count; s++) {
        for (let r = 0; r < this.replicas; r++) {
          writeTrainingBatch(c, r, first + s, words, floats, (s * this.replicas + r) * columnsPerReplica);
        }
      }
      this.ctx.device.queue.writeBuffer(upload, 0, words.buffer, 0, count * this.stepBytes);
      return (encoder, s) => encoder.copyBufferToBuffer(upload, s * this.stepBytes, stepInput, 0, this.stepBytes);
    };
  }

  /** Metrics snapshot: [trainStats R×2][evalStats R×4][W_O][W_V][firstStep R, with crossingEvery]. */
  private snapshotLayout(): SnapshotLayout {
    const R = this.replicas;
    const shapes = iclShapes(this.config);
    const { m, dV, d } = shapes;
    return {
      bytes: 4 * R * (2 + 4 + m * dV + dV * d + (this.crossing ? 1 : 0)),
      initial: true,
      encode: (encoder, target) => {
        encoder.copyBufferToBuffer(this.trainStats, 0, target, 0, 8 * R);
        // With evalTest off an evaluator may still exist (built by evaluate() or an analysis); metrics skip it.
        if (this.config.evalTest && this.evaluator) {
          this.evaluator.encode(encoder);
          encoder.copyBufferToBuffer(this.evaluator.evalStats, 0, target, 8 * R, 16 * R);
        }
        encoder.copyBufferToBuffer(this.params.W_O, 0, target, 24 * R, 4 * R * m * dV);
        encoder.copyBufferToBuffer(this.params.W_V, 0, target, 24 * R + 4 * R * m * dV, 4 * R * dV * d);
        if (this.crossing) encoder.copyBufferToBuffer(this.crossing.firstStep, 0, target, 24 * R + 4 * R * (m * dV + dV * d), 4 * R);
      },
      parse: (values, step, trained) => {
        const test = this.config.evalTest && this.evaluator ? IclEvaluator.results(values, R, 2 * R) : null;
        return Array.from({ length: R }, (_, r) => {
          const record: MetricRecord = { step, replica: r };
          if (trained) {
            record.loss = values[2 * r];
            record.trainError = values[2 * r + 1];
          }
          if (test) {
            record.testError = test[r].error;
            record.testHinge = test[r].hinge;
            record.attention = test[r].attention;
          }
          const W_O = values.subarray(6 * R + r * m * dV, 6 * R + (r + 1) * m * dV);
          const W_V = values.subarray(6 * R + R * m * dV + r * dV * d, 6 * R + R * m * dV + (r + 1) * dV * d);
          const split = splitNorms(sortedRowNorms(W_O, m, dV));
          record.smallNeuronFraction = split.smallFraction;
          record.neuronNormGap = split.gap;
          const alignment = valueAlignment(shapes, W_O, W_V, meanRelevantPattern(this.patterns[r]));
          record.labelAlignPositive = alignment.labelCosPositive;
          record.labelAlignNegative = alignment.labelCosNegative;
          record.featureAlign = alignment.featureCosMean;
          if (this.crossing) record.firstStep = crossedAt(values[6 * R + R * (m * dV + dV * d) + r]);
          return record;
        });
      },
    };
  }

  private writeParams(params: IclParams64[]): void {
    const sizes = iclParamShapes(iclShapes(this.config));
    for (const name of ICL_PARAM_NAMES) {
      const size = sizes[name][0] * sizes[name][1];
      const flat = new Float32Array(this.replicas * size);
      params.forEach((p, r) => flat.set(p[name], r * size));
      this.ctx.device.queue.writeBuffer(this.params[name], 0, flat);
    }
  }

  protected learningRates(): Record<string, FieldSpec> {
    return { eta: iclSchema.eta };
  }

  protected initialLearningRates(): Record<string, number[]> {
    return { eta: Array.from({ length: this.replicas }, (_, r) => perReplica(this.config.eta, r)) };
  }

  protected writeLearningRate(_key: string, values: Float32Array<ArrayBuffer>): void {
    this.ctx.device.queue.writeBuffer(this.learningRateBuffer, 0, values);
  }

  /** The evaluator of the unseen-task test set (built on first use when evalTest is off). */
  async inDomainEvaluator(): Promise<IclEvaluator> {
    if (!this.evaluator) {
      const sets = Array.from({ length: this.replicas }, (_, r) => inDomainTestSet(this.config, r));
      this.evaluator = await IclEvaluator.create(this.ctx, this.config, this.params, sets, this.patterns);
    }
    return this.evaluator;
  }

  /** Test error, hinge loss and attention per replica; with crossingEvery, `firstStep` first (NaN: not crossed). */
  async evaluate(): Promise<MetricRecord[]> {
    const results = await (await this.inDomainEvaluator()).evaluate();
    const firstStep = this.crossing ? await readF32(this.ctx.device, this.crossing.firstStep, this.replicas) : null;
    return results.map((t, r) => ({
      step: this.currentStep, replica: r, ...(firstStep && { firstStep: crossedAt(firstStep[r]) }), testError: t.error, testHinge: t.hinge, attention: t.attention,
    }));
  }

  /** All replicas' parameters as float32 [R][rows][cols] arrays. */
  async readParams(): Promise<Record<IclParamName, Float32Array>> {
    const sizes = iclParamShapes(iclShapes(this.config));
    const out = {} as Record<IclParamName, Float32Array>;
    for (const name of ICL_PARAM_NAMES) out[name] = await readF32(this.ctx.device, this.params[name], this.replicas * sizes[name][0] * sizes[name][1]);
    return out;
  }

  /** SGD keeps no optimizer state; the first-crossing record travels with it so that a resumed sweep keeps it. */
  protected stateShapes(): StateShapes {
    const sizes = iclParamShapes(iclShapes(this.config));
    return { params: Object.fromEntries(ICL_PARAM_NAMES.map((n) => [n, [...sizes[n]]])), optimizer: this.crossing ? { firstCrossing: [1] } : {} };
  }

  protected async readState(): Promise<Pick<TrainerState, 'params' | 'optimizer'>> {
    const optimizer: Record<string, Float32Array> = {};
    if (this.crossing) optimizer.firstCrossing = await readF32(this.ctx.device, this.crossing.firstStep, this.replicas);
    return { params: await this.readParams(), optimizer };
  }

  protected async writeState(state: TrainerState): Promise<void> {
    for (const name of ICL_PARAM_NAMES) this.ctx.device.queue.writeBuffer(this.params[name], 0, new Float32Array(state.params[name]));
    if (this.crossing) this.ctx.device.queue.writeBuffer(this.crossing.firstStep, 0, new Float32Array(state.optimizer.firstCrossing));
  }

  protected release(): void {
    this.evaluator?.destroy();
    for (const b of this.owned) this.ctx.pool.release(b);
    this.owned.length = 0;
  }
}

/** A first-crossing value as a metric: the step, or NaN while the replica has not crossed. */
function crossedAt(value: number): number {
  return value >= 0 ? value : NaN;
}

/** The mean of the relevant patterns of one replica (the direction value alignment is measured against). */
export function meanRelevantPattern(p: Patterns): Float64Array {
  const mean = new Float64Array(p.dX);
  for (let j = 0; j < p.relCount; j++) for (let i = 0; i < p.dX; i++) mean[i] += p.rel[j * p.dX + i] / p.relCount;
  return mean;
}
