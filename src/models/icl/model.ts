// IclTrainer: R replicas of the ICL model trained by SGD on the GPU. One training step is a StepPlan:
//   [generate the batch] → build prompts from the compact batch → forward → hinge → backward → SGD on
//   W_Q, W_K, W_V, W_O → [step += 1].
// Batches are compact columns, a pure function of (seed + replica, step) from a counter-based RNG
// (src/models/icl/data.ts, shaders/iclBatchGenerate.wgsl: the same bits on either side).
// batchSource 'gpu' (default): the plan generates each batch itself from a step counter on the GPU, so k steps
// are k replays of the plan in one submission with no upload at all.
// batchSource 'cpu': for a chunk of k steps the host fills one of two upload buffers with k batches and submits
// k copies of the step, each preceded by a copy of its batch into the step's input; while the GPU runs that
// chunk the host generates the next one into the other upload buffer (measured: the CPU generator, not the GPU,
// bounds throughput at large R, hence the default).
// Either way the host waits only for the chunk before last (bounded queue) and for metrics, which leave through
// a MetricsRing.
import { sgdUpdate } from '../../kernels/sgdUpdate';
import { iclPromptBuild } from '../../kernels/iclPromptBuild';
import { iclBatchGenerate } from '../../kernels/iclBatchGenerate';
import { perReplica } from '../../config/schema';
import type { GpuContext } from '../../runtime/context';
import { readF32 } from '../../runtime/buffers';
import { MetricsRing, StepPlan } from '../../runtime/plan';
import { ICL_PARAM_NAMES, iclParamShapes, type IclParamName, type IclParams64 } from '../../reference/icl';
import type { MetricRecord, Trainer, TrainerState, TrainOptions } from '../../experiments/types';
import { iclShapes, parseIclConfig, type IclConfig } from './config';
import { inDomainPatterns, inDomainTestSet, initialParams, replicaDrawWords, trainingTasks, WORDS_PER_COLUMN, writeTrainingBatch, type Patterns } from './data';
import { IclEvaluator, patternTables } from './evaluate';
import { sortedRowNorms, splitNorms, valueAlignment } from './metrics';
import { acquireTrainActivations, forwardBackward, type IclParamBuffers } from './network';

/** Upper bound on the bytes of batches uploaded per submission (the chunk of steps is cut to fit). */
const UPLOAD_BYTES = 32 * 2 ** 20;

export class IclTrainer implements Trainer {
  readonly model = 'icl' as const;
  readonly replicas: number;
  private currentStep = 0;
  private readonly owned: GPUBuffer[] = [];
  private plan!: StepPlan;
  private uploads!: [GPUBuffer, GPUBuffer];
  private uploadWords!: Uint32Array;
  private uploadFloats!: Float32Array;
  private nextUpload = 0;
  private stepInput!: GPUBuffer;
  /** batchSource 'gpu': the step the next replay of the plan generates its batch for. */
  private stepCounter: GPUBuffer | null = null;
  private learningRates!: GPUBuffer;
  private snapshot!: GPUBuffer;
  private ring!: MetricsRing;
  params!: IclParamBuffers;
  grads!: IclParamBuffers;
  trainStats!: GPUBuffer;
  evaluator: IclEvaluator | null = null;
  readonly patterns: Patterns[];

  private constructor(
    readonly ctx: GpuContext,
    readonly config: IclConfig,
  ) {
    this.replicas = config.replicas;
    this.patterns = Array.from({ length: config.replicas }, (_, r) => inDomainPatterns(config, r));
  }

  /** Validates `config` (schema, cross-field rules, this adapter's limits) before any GPU work. */
  static async create(ctx: GpuContext, rawConfig: Partial<IclConfig>): Promise<IclTrainer> {
    const config = parseIclConfig(rawConfig, ctx.device.limits as unknown as Record<string, number>);
    const trainer = new IclTrainer(ctx, config);
    await trainer.build();
    return trainer;
  }

  /** The dispatches of one training step (for the bench's per-kernel timings). */
  get stepDispatches() {
    return this.plan.dispatches;
  }

  get step(): number {
    return this.currentStep;
  }

  get stepBytes(): number {
    return this.replicas * this.config.batch * (this.config.N + 1) * WORDS_PER_COLUMN * 4;
  }

  /** Steps per submission: what the upload buffers hold (batchSource 'cpu'), else a bound on one command buffer. */
  get maxChunkSteps(): number {
    if (this.config.batchSource === 'gpu') return 64;
    return Math.max(1, Math.min(64, Math.floor(UPLOAD_BYTES / this.stepBytes)));
  }

  private acquire(bytes: number, label: string): GPUBuffer {
    const buffer = this.ctx.pool.acquire(bytes, `icl ${label}`);
    this.owned.push(buffer);
    return buffer;
  }

  private async build(): Promise<void> {
    const { ctx, config: c, replicas: R } = this;
    const shapes = iclShapes(c);
    const { dX, d, dV, m } = shapes;
    const sizes = iclParamShapes(shapes);
    const tensor = (name: string) =>
      Object.fromEntries(ICL_PARAM_NAMES.map((p) => [p, this.acquire(4 * R * sizes[p][0] * sizes[p][1], `${name} ${p}`)])) as IclParamBuffers;
    this.params = tensor('param');
    this.grads = tensor('grad');
    const init = Array.from({ length: R }, (_, r) => initialParams(c, r));
    this.writeParams(init);
    this.learningRates = this.acquire(4 * R, 'eta');
    this.setLearningRates({ eta: Array.from({ length: R }, (_, r) => perReplica(c.eta, r)) });

    const tables = patternTables(this.patterns);
    const relTable = ctx.pool.upload(tables.rel, 'icl relevant patterns');
    const irrTable = ctx.pool.upload(tables.irr, 'icl irrelevant patterns');
    this.owned.push(relTable, irrTable);
    this.stepInput = this.acquire(this.stepBytes, 'step batch');
    this.plan = new StepPlan(ctx.device, 'icl step');
    let advanceStep = null;
    if (c.batchSource === 'gpu') {
      const tasks = trainingTasks(c.M1);
      const generator = await iclBatchGenerate(ctx.kernels, { replicas: R, prompts: c.batch, N: c.N, relCount: c.M1, irrCount: c.M2, tasks: tasks.length, kappaMax: c.kappaMax });
      this.stepCounter = this.acquire(4, 'step counter');
      const replicaDraws = ctx.pool.upload(replicaDrawWords(c), 'icl replica draws');
      const taskTable = ctx.pool.upload(Uint32Array.from(tasks.flat()), 'icl training tasks');
      this.owned.push(replicaDraws, taskTable);
      this.plan.add(generator.generate({ step: this.stepCounter, replicaDraws, tasks: taskTable, columns: this.stepInput }));
      advanceStep = generator.advanceStep(this.stepCounter);
    } else {
      const chunkBytes = this.maxChunkSteps * this.stepBytes;
      this.uploads = [this.acquire(chunkBytes, 'batch upload A'), this.acquire(chunkBytes, 'batch upload B')];
      const host = new ArrayBuffer(chunkBytes);
      this.uploadWords = new Uint32Array(host);
      this.uploadFloats = new Float32Array(host);
    }

    const dims = { replicas: R, prompts: c.batch, N: c.N, shapes };
    const rows = R * c.batch;
    const contexts = this.acquire(4 * rows * c.N * d, 'contexts');
    const queries = this.acquire(4 * rows * d, 'queries');
    const labels = this.acquire(4 * rows, 'labels');
    const act = acquireTrainActivations(ctx, dims);
    this.owned.push(...Object.values(act));
    this.trainStats = act.trainStats;
    const build = await iclPromptBuild(ctx.kernels, { replicas: R, prompts: c.batch, N: c.N, dX, d, relCount: c.M1, irrCount: c.M2 });
    this.plan.add(
      build({ columns: this.stepInput, relPatterns: relTable, irrPatterns: irrTable, contexts, queries, labels }),
      ...(await forwardBackward(ctx, dims, this.params, this.grads, { contexts, queries, labels, columns: this.stepInput }, act, this.owned)),
    );
    for (const name of ICL_PARAM_NAMES) {
      const update = await sgdUpdate(ctx.kernels, { replicas: R, size: sizes[name][0] * sizes[name][1] });
      this.plan.add(update({ param: this.params[name], grad: this.grads[name], lr: this.learningRates }, `sgd ${name}`));
    }
    if (advanceStep) this.plan.add(advanceStep);

    if (c.evalTest) {
      const sets = Array.from({ length: R }, (_, r) => inDomainTestSet(c, r));
      this.evaluator = await IclEvaluator.create(ctx, c, this.params, sets, this.patterns);
    }
    // Metrics snapshot: [trainStats R×2][evalStats R×4][W_O][W_V], copied into the ring at metric points.
    this.snapshot = this.acquire(4 * R * (2 + 4 + m * dV + dV * d), 'metrics snapshot');
    this.ring = new MetricsRing(ctx.device, this.snapshot.size, 4);
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

  setLearningRates(rates: Record<string, number[]>): void {
    for (const key of Object.keys(rates)) {
      if (key !== 'eta') throw new RangeError(`icl: learning rate '${key}' is unknown; the ICL model has one learning rate, 'eta'`);
    }
    const eta = rates.eta;
    if (!eta) return;
    if (eta.length !== this.replicas || eta.some((v) => !Number.isFinite(v) || v <= 0)) {
      throw new RangeError(`icl: eta = ${JSON.stringify(eta)}; expected ${this.replicas} finite numbers > 0 (one per replica)`);
    }
    this.ctx.device.queue.writeBuffer(this.learningRates, 0, new Float32Array(eta));
  }

  /** Fills the next upload buffer with the batches of steps first..first+count−1 and queues its upload. */
  private uploadBatches(first: number, count: number): GPUBuffer {
    const { config: c } = this;
    const columnsPerReplica = c.batch * (c.N + 1);
    for (let s = 0; s < count; s++) {
      for (let r = 0; r < this.replicas; r++) {
        writeTrainingBatch(c, r, first + s, this.uploadWords, this.uploadFloats, (s * this.replicas + r) * columnsPerReplica);
      }
    }
    const target = this.uploads[this.nextUpload];
    this.nextUpload ^= 1;
    this.ctx.device.queue.writeBuffer(target, 0, this.uploadWords.buffer, 0, count * this.stepBytes);
    return target;
  }

  async train(steps: number, options: TrainOptions = {}): Promise<MetricRecord[]> {
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`icl: train(steps = ${steps}); steps must be an integer >= 0`);
    const every = options.metricsEvery ?? this.config.metricsEvery;
    const records: MetricRecord[] = [];
    const pending: Promise<void>[] = [];
    const deliver = (step: number, withTrainStats: boolean) => async (values: Float32Array) => {
      const batch = this.parseSnapshot(values, step, withTrainStats);
      records.push(...batch);
      options.onMetrics?.(batch);
    };
    if (this.currentStep === 0 && every > 0 && steps > 0) pending.push((await this.captureMetrics(null, deliver(0, false))).delivered);

    const end = this.currentStep + steps;
    let previousDone: Promise<unknown> = Promise.resolve();
    if (this.stepCounter) this.ctx.device.queue.writeBuffer(this.stepCounter, 0, new Uint32Array([this.currentStep]));
    while (this.currentStep < end) {
      const nextMetric = every > 0 ? (Math.floor(this.currentStep / every) + 1) * every : end;
      const chunkEnd = Math.min(end, nextMetric, this.currentStep + this.maxChunkSteps);
      const count = chunkEnd - this.currentStep;
      const upload = this.stepCounter ? null : this.uploadBatches(this.currentStep, count);
      const encoder = this.ctx.device.createCommandEncoder({ label: 'icl train' });
      for (let s = 0; s < count; s++) {
        if (upload) encoder.copyBufferToBuffer(upload, s * this.stepBytes, this.stepInput, 0, this.stepBytes);
        this.plan.encode(encoder);
      }
      this.currentStep = chunkEnd;
      const atMetric = chunkEnd === end || (every > 0 && chunkEnd % every === 0);
      if (atMetric) pending.push((await this.captureMetrics(encoder, deliver(chunkEnd, true))).delivered);
      else this.ctx.device.queue.submit([encoder.finish()]);
      options.onProgress?.(chunkEnd);
      // At most two chunks in flight: generating chunk t+1 overlaps the GPU's work on chunk t.
      await previousDone;
      previousDone = this.ctx.device.queue.onSubmittedWorkDone();
      if (options.control?.stop) break;
    }
    await Promise.all(pending);
    return records;
  }

  /** Records evaluation and the snapshot copy into `encoder` (or a new one), submits, and maps asynchronously. */
  private async captureMetrics(
    given: GPUCommandEncoder | null,
    deliver: (values: Float32Array) => Promise<void>,
  ): Promise<{ delivered: Promise<void> }> {
    const slot = await this.ring.reserve();
    const encoder = given ?? this.ctx.device.createCommandEncoder({ label: 'icl metrics' });
    const R = this.replicas;
    const { m, dV, d } = iclShapes(this.config);
    encoder.copyBufferToBuffer(this.trainStats, 0, this.snapshot, 0, 8 * R);
    // With evalTest off an evaluator may still exist (built by evaluate() or an analysis); metrics skip it.
    if (this.config.evalTest && this.evaluator) {
      this.evaluator.encode(encoder);
      encoder.copyBufferToBuffer(this.evaluator.evalStats, 0, this.snapshot, 8 * R, 16 * R);
    }
    encoder.copyBufferToBuffer(this.params.W_O, 0, this.snapshot, 24 * R, 4 * R * m * dV);
    encoder.copyBufferToBuffer(this.params.W_V, 0, this.snapshot, 24 * R + 4 * R * m * dV, 4 * R * dV * d);
    this.ring.record(encoder, slot, this.snapshot);
    this.ctx.device.queue.submit([encoder.finish()]);
    return { delivered: this.ring.collect(slot).then(deliver) };
  }

  /** Metric records of one snapshot: training batch loss/error, test metrics, and the mechanism metrics. */
  private parseSnapshot(values: Float32Array, step: number, withTrainStats: boolean): MetricRecord[] {
    const R = this.replicas;
    const shapes = iclShapes(this.config);
    const { m, dV, d } = shapes;
    const test = this.config.evalTest && this.evaluator ? IclEvaluator.results(values, R, 2 * R) : null;
    return Array.from({ length: R }, (_, r) => {
      const record: MetricRecord = { step, replica: r };
      if (withTrainStats) {
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
      return record;
    });
  }

  /** The evaluator of the unseen-task test set (built on first use when evalTest is off). */
  async inDomainEvaluator(): Promise<IclEvaluator> {
    if (!this.evaluator) {
      const sets = Array.from({ length: this.replicas }, (_, r) => inDomainTestSet(this.config, r));
      this.evaluator = await IclEvaluator.create(this.ctx, this.config, this.params, sets, this.patterns);
    }
    return this.evaluator;
  }

  async evaluate(): Promise<MetricRecord[]> {
    const results = await (await this.inDomainEvaluator()).evaluate();
    return results.map((t, r) => ({ step: this.currentStep, replica: r, testError: t.error, testHinge: t.hinge, attention: t.attention }));
  }

  /** All replicas' parameters as float32 [R][rows][cols] arrays. */
  async readParams(): Promise<Record<IclParamName, Float32Array>> {
    const sizes = iclParamShapes(iclShapes(this.config));
    const out = {} as Record<IclParamName, Float32Array>;
    for (const name of ICL_PARAM_NAMES) out[name] = await readF32(this.ctx.device, this.params[name], this.replicas * sizes[name][0] * sizes[name][1]);
    return out;
  }

  async getState(): Promise<TrainerState> {
    const sizes = iclParamShapes(iclShapes(this.config));
    return {
      model: 'icl',
      step: this.currentStep,
      replicas: this.replicas,
      shapes: Object.fromEntries(ICL_PARAM_NAMES.map((n) => [n, [...sizes[n]]])),
      params: await this.readParams(),
      optimizer: {},
    };
  }

  async setState(state: TrainerState): Promise<void> {
    const sizes = iclParamShapes(iclShapes(this.config));
    if (state.model !== 'icl') throw new TypeError(`icl: setState got a '${state.model}' state`);
    if (state.replicas !== this.replicas) throw new RangeError(`icl: setState has ${state.replicas} replicas; this trainer has ${this.replicas}`);
    if (!Number.isInteger(state.step) || state.step < 0) throw new RangeError(`icl: setState step = ${state.step}; expected an integer >= 0`);
    for (const name of ICL_PARAM_NAMES) {
      const want = this.replicas * sizes[name][0] * sizes[name][1];
      const got = state.params[name];
      if (!got || got.length !== want) {
        throw new RangeError(`icl: setState params.${name} has ${got?.length ?? 'no'} values; expected ${want} (replicas × ${sizes[name].join(' × ')})`);
      }
      this.ctx.device.queue.writeBuffer(this.params[name], 0, Float32Array.from(got));
    }
    this.currentStep = state.step;
  }

  destroy(): void {
    this.evaluator?.destroy();
    for (const b of this.owned) this.ctx.pool.release(b);
    this.owned.length = 0;
    this.ring.destroy();
  }
}

/** The mean of the relevant patterns of one replica (the direction value alignment is measured against). */
export function meanRelevantPattern(p: Patterns): Float64Array {
  const mean = new Float64Array(p.dX);
  for (let j = 0; j < p.relCount; j++) for (let i = 0; i < p.dX; i++) mean[i] += p.rel[j * p.dX + i] / p.relCount;
  return mean;
}
