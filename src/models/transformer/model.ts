// TransformerTrainer: R replicas of the SPEC §4 stack trained in the same dispatches. One training step is a
// StepPlan recorded once:
//   tokenWindows (this step's batch from the stream on the GPU) → forward → head loss and gradient → backward
//   → gradNorm (per-replica global norm, clip scale) → optimizerStep (SGD or AdamW over the whole slab) → step += 1
// The engine's ReplayTrainer replays it; this file supplies the step, the metrics snapshot and the state layout.
// Metrics: the training loss and gradient norm of the last step, the parameter norm, the held-out loss (and
// perplexity), and per layer the attention entropy of a fixed sample and how much that attention moved since the
// last metrics point (the freezing measures of SPEC §4).
import type { FieldSpec } from '../../config/schema';
import { perReplica } from '../../config/schema';
import type { GpuContext } from '../../runtime/context';
import { readF32 } from '../../runtime/buffers';
import type { Dispatch } from '../../runtime/kernels';
import { StepPlan } from '../../runtime/plan';
import { ReplayTrainer, type SnapshotLayout, type StateShapes, type StepProgram } from '../../engine/trainer';
import type { MetricRecord, TrainerState } from '../../engine/types';
import { tunedGradNorm } from '../../kernels/gradNorm';
import { optimizerStep } from '../../kernels/optimizerStep';
import { reduceRows } from '../../kernels/reduceRows';
import { initTransformerParams } from '../../reference/transformer';
import { Random } from '../../util/random';
import { dataShapeOf, shapesOf, structureOf, transformerSchema, type TransformerRunConfig } from './config';
import { sourceOf, type BuiltData } from './data/index';
import { attentionEntropy, attentionMovement } from './metrics';
import { HEAD_BUDGET_BYTES } from './memory';
import { buildNetwork, probabilitiesDispatches, type Network, type NetworkSpec } from './network';
import { packSlab, slabLayout, unpackSlab, type SlabLayout } from './slab';

/** The Random stream of a replica's seed that draws its initial parameters (data sources use others). */
export const INIT_STREAM = 1;
/** Steps per submission at most (bounds one command buffer). */
const MAX_CHUNK_STEPS = 32;
/** The learning-rate keys a paused run may change. */
const RATE_KEYS = ['lr', 'lrFfn', 'momentum', 'beta1', 'beta2', 'weightDecay', 'clip'] as const;

type RateKey = (typeof RATE_KEYS)[number];

export class TransformerTrainer extends ReplayTrainer {
  readonly model = 'transformer' as const;
  protected program!: StepProgram;
  readonly layout: SlabLayout;
  private readonly owned: GPUBuffer[] = [];
  private readonly networks: Network[] = [];
  private slabs!: { params: GPUBuffer; grads: GPUBuffer; first: GPUBuffer; second: GPUBuffer | null };
  private rates!: Record<RateKey | 'lrPair', GPUBuffer>;
  private stepCounter!: GPUBuffer;
  private evalLoss!: GPUBuffer;
  private norms!: { grad: GPUBuffer; param: GPUBuffer };
  private trainNet!: Network;
  private sample!: { network: Network; probs: GPUBuffer[]; dispatches: Dispatch[] };
  private evaluation!: Dispatch[];
  private data!: BuiltData;
  /** ICL head: [errors, hinge sum] per replica over the held-out set (LM: the loss goes to evalLoss). */
  private evalStats: GPUBuffer | null = null;
  /** The previous metrics point's sample attention, per replica and layer (for the freezing measures). */
  private previousAttention: Float32Array[][] | null = null;
  private lastAttention: Float32Array[][] | null = null;
  /** lr and lrFfn per replica as last set (the optimizer reads them as one [2][R] pair). */
  private readonly groupRates: { lr: Float32Array; lrFfn: Float32Array };
  private readonly releasers: (() => void)[] = [];
  readonly description: string;
  /** Positions per sequence (from the data: the config's T, or N + 1 for ICL prompts). */
  readonly T: number;
  readonly head: 'lm' | 'icl';

  private constructor(
    ctx: GpuContext,
    readonly config: TransformerRunConfig,
  ) {
    super(ctx, config.replicas, config.metricsEvery);
    this.groupRates = { lr: this.perReplica('lr'), lrFfn: this.perReplica('lrFfn') };
    this.layout = slabLayout(structureOf(config), shapesOf(config));
    const data = dataShapeOf(config);
    this.description = data.description;
    this.T = data.T;
    this.head = data.head;
  }

  /** `config` must already be validated (transformerModel.createTrainer does that). */
  static async create(ctx: GpuContext, config: TransformerRunConfig): Promise<TransformerTrainer> {
    const trainer = new TransformerTrainer(ctx, config);
    await trainer.build();
    return trainer;
  }

  private acquire(floats: number, label: string): GPUBuffer {
    const b = this.ctx.pool.acquire(4 * Math.max(1, floats), `transformer ${label}`);
    this.owned.push(b);
    return b;
  }

  private upload(data: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>, label: string): GPUBuffer {
    const b = this.ctx.pool.upload(data, `transformer ${label}`);
    this.owned.push(b);
    return b;
  }

  /** A per-replica f32 value of the config. */
  private perReplica(key: string): Float32Array<ArrayBuffer> {
    return Float32Array.from({ length: this.replicas }, (_, r) => perReplica(this.config[key], r));
  }

  private async build(): Promise<void> {
    const { ctx, config: c, replicas: R, layout } = this;
    const structure = structureOf(c);
    const shapes = shapesOf(c);
    const P = layout.P;
    const init = Array.from({ length: R }, (_, r) => initTransformerParams(structure, shapes, new Random(c.seed + r, INIT_STREAM), c.init, { copyLayers: c.copyLayers }));
    const merged = Object.fromEntries(layout.tensors.map((t) => [t.name, Float64Array.from({ length: R * t.size }, (_, i) => init[Math.floor(i / t.size)][t.name][i % t.size])]));
    this.slabs = {
      params: this.upload(packSlab(layout, merged, R), 'params'),
      grads: this.upload(new Float32Array(R * P), 'grads'),
      first: this.upload(new Float32Array(R * P), c.optimizer === 'sgd' ? 'momentum buffer' : 'exp_avg'),
      second: c.optimizer === 'adamw' ? this.upload(new Float32Array(R * P), 'exp_avg_sq') : null,
    };
    this.rates = {
      lrPair: this.acquire(2 * R, 'lr pair'),
      ...(Object.fromEntries(RATE_KEYS.map((key) => [key, this.upload(this.perReplica(key), key)])) as Record<RateKey, GPUBuffer>),
    };
    this.writeLearningRatePair();
    const seeds = this.upload(Uint32Array.from({ length: R }, (_, r) => c.seed + r), 'seeds');
    this.stepCounter = this.acquire(1, 'step counter');
    this.evalLoss = this.acquire(R, 'eval loss');
    this.norms = { grad: this.acquire(R, 'gradient norm'), param: this.acquire(R, 'parameter norm') };

    this.data = await sourceOf(c).build(ctx, c, { seeds, step: this.stepCounter });
    const data = this.data;
    const T = this.T;
    const spec = (batch: number, backward: boolean): NetworkSpec => ({
      structure, shapes, layout, replicas: R, batch, T, dropout: backward ? c.dropout : 0, backward, headBudgetBytes: HEAD_BUDGET_BYTES,
    });
    this.trainNet = await buildNetwork(ctx, spec(c.batch, true), { params: this.slabs.params, grads: this.slabs.grads, seeds, step: this.stepCounter, ...data.batch });
    this.networks.push(this.trainNet);

    // The training step.
    const [clip, paramNorm, optimizer] = await Promise.all([
      tunedGradNorm(ctx, { replicas: R, size: P }),
      tunedGradNorm(ctx, { replicas: R, size: P }),
      optimizerStep(ctx.kernels, { replicas: R, size: P, ffnEnd: layout.ffnEnd }),
    ]);
    const gradScale = this.acquire(R, 'gradient scale');
    const slabs = this.slabs;
    const update = c.optimizer === 'sgd'
      ? optimizer.sgd({ param: slabs.params, grad: slabs.grads, gradScale, lr: this.rates.lrPair, momentumBuffer: slabs.first, momentum: this.rates.momentum })
      : optimizer.adamw({
        param: slabs.params, grad: slabs.grads, gradScale, lr: this.rates.lrPair, expAvg: slabs.first, expAvgSq: slabs.second!,
        beta1: this.rates.beta1, beta2: this.rates.beta2, weightDecay: this.rates.weightDecay, step: this.stepCounter,
      });
    const plan = new StepPlan(ctx.device, 'transformer step').add(
      ...data.train,
      ...this.trainNet.forwardTrain,
      ...this.trainNet.backward,
      ...clip.clipScale({ x: slabs.grads, norm: this.norms.grad, clip: this.rates.clip, scale: gradScale }, 'gradNorm clip'),
      update,
      optimizer.advanceStep(this.stepCounter),
    );

    // Evaluation: the held-out chunks through the training network without dropout. LM: the mean loss over the
    // chunks into evalLoss; ICL: sign errors and hinge sums accumulated into evalStats.
    const chunks = data.evalChunks.length;
    this.evaluation = [];
    if (structure.head === 'lm') {
      const [first, add] = await Promise.all([
        reduceRows(ctx.kernels, { rows: R, batch: 1, cols: 1, beta: 0, scale: 1 / chunks }),
        reduceRows(ctx.kernels, { rows: R, batch: 1, cols: 1, beta: 1, scale: 1 / chunks }),
      ]);
      data.evalChunks.forEach((fill, i) => this.evaluation.push(...fill, ...this.trainNet.forwardEval, (i === 0 ? first : add)({ x: this.trainNet.loss, out: this.evalLoss }, `eval loss ${i}`)));
    } else {
      this.evalStats = this.acquire(2 * R, 'eval stats');
      data.evalChunks.forEach((fill, i) => this.evaluation.push(...fill, ...this.trainNet.forwardEval, this.trainNet.iclEvaluate!(this.evalStats!, i > 0)));
    }

    // The fixed sample whose attention the metrics follow.
    const sampleSpec = spec(c.sampleSize, false);
    const sampleNet = await buildNetwork(ctx, sampleSpec, { params: this.slabs.params, seeds, step: this.stepCounter, ...data.sample.batch });
    this.networks.push(sampleNet);
    const probs = Array.from({ length: c.nLayers }, (_, l) => this.acquire(R * c.sampleSize * c.nHeads * T * T, `l${l} sample attention`));
    this.sample = {
      network: sampleNet,
      probs,
      dispatches: [...data.sample.fill, ...sampleNet.forwardEval, ...(await probabilitiesDispatches(ctx, sampleSpec, sampleNet, probs))],
    };
    const paramNormDispatches = paramNorm.norm({ x: slabs.params, norm: this.norms.param }, 'parameter norm');
    this.releasers.push(clip.release, paramNorm.release);
    this.program = {
      plan,
      maxChunkSteps: MAX_CHUNK_STEPS,
      stepCounter: this.stepCounter,
      hostInputs: data.hostInputs,
      metrics: this.snapshotLayout(paramNormDispatches),
    };
  }

  /** lr pair [2][R]: the ffn group's rates (lrFfn, or lr where lrFfn is 0), then the rest's. */
  private writeLearningRatePair(): void {
    const { lr, lrFfn } = this.groupRates;
    const pair = new Float32Array(2 * this.replicas);
    for (let r = 0; r < this.replicas; r++) {
      pair[r] = lrFfn[r] > 0 ? lrFfn[r] : lr[r];
      pair[this.replicas + r] = lr[r];
    }
    this.ctx.device.queue.writeBuffer(this.rates.lrPair, 0, pair);
  }

  /**
   * Snapshot: [train loss R][gradient norm R][parameter norm R][held-out: loss R (LM) or errors, hinge sums 2R (ICL)]
   * [sample attention per layer].
   */
  private snapshotLayout(paramNorm: Dispatch[]): SnapshotLayout {
    const R = this.replicas;
    const c = this.config;
    const perLayer = R * c.sampleSize * c.nHeads * this.T * this.T;
    return {
      bytes: 4 * (5 * R + c.nLayers * perLayer),
      initial: true,
      encode: (encoder, target) => {
        // The training loss first: the evaluation below runs the same network and overwrites it.
        encoder.copyBufferToBuffer(this.trainNet.loss, 0, target, 0, 4 * R);
        const pass = encoder.beginComputePass({ label: 'transformer metrics' });
        for (const d of [...paramNorm, ...this.evaluation, ...this.sample.dispatches]) {
          pass.setPipeline(d.pipeline);
          d.bindGroups.forEach((g, i) => pass.setBindGroup(i, g));
          pass.dispatchWorkgroups(...d.workgroups);
        }
        pass.end();
        encoder.copyBufferToBuffer(this.norms.grad, 0, target, 4 * R, 4 * R);
        encoder.copyBufferToBuffer(this.norms.param, 0, target, 8 * R, 4 * R);
        if (this.evalStats) encoder.copyBufferToBuffer(this.evalStats, 0, target, 12 * R, 8 * R);
        else encoder.copyBufferToBuffer(this.evalLoss, 0, target, 12 * R, 4 * R);
        this.sample.probs.forEach((probs, l) => encoder.copyBufferToBuffer(probs, 0, target, 20 * R + 4 * l * perLayer, 4 * perLayer));
      },
      parse: (values, step, trained) => {
        const perReplicaLayer = perLayer / R;
        const attention = Array.from({ length: R }, (_, r) =>
          Array.from({ length: c.nLayers }, (_, l) => values.slice(5 * R + l * perLayer + r * perReplicaLayer, 5 * R + l * perLayer + (r + 1) * perReplicaLayer)));
        const previous = this.previousAttention;
        this.previousAttention = attention;
        this.lastAttention = attention;
        const records = Array.from({ length: R }, (_, r) => {
          const record: MetricRecord = { step, replica: r };
          if (trained) {
            record.loss = values[r];
            record.gradNorm = values[R + r];
          }
          record.paramNorm = values[2 * R + r];
          Object.assign(record, this.heldOutMetrics(values.subarray(3 * R, 5 * R), r));
          for (let l = 0; l < c.nLayers; l++) {
            record[`entropy.l${l}`] = attentionEntropy(attention[r][l], c.sampleSize * c.nHeads, this.T, c.causal);
            if (previous) {
              const moved = attentionMovement(previous[r][l], attention[r][l], c.sampleSize * c.nHeads, this.T, c.causal);
              record[`change.l${l}`] = moved.relativeChange;
              record[`moved.l${l}`] = moved.argmaxMoved;
            }
          }
          return record;
        });
        if (c.mapEvery === 0 || step % c.mapEvery !== 0) return records;
        return { records, artifacts: { attention: this.firstSequenceMaps(attention) } };
      },
    };
  }

  /** LM: loss and perplexity; ICL: sign error and hinge loss — from the held-out block of a snapshot (2R floats). */
  private heldOutMetrics(block: Float32Array, r: number): Record<string, number> {
    if (this.head === 'lm') return { evalLoss: block[r], perplexity: Math.exp(block[r]) };
    const n = this.data.evalCount;
    return { evalError: block[2 * r] / n, evalHinge: block[2 * r + 1] / n };
  }

  /** The first sample sequence's attention per replica, layer and head ([T][T] each) with its position labels. */
  private firstSequenceMaps(attention: Float32Array[][]) {
    const { nHeads } = this.config;
    const T = this.T;
    const maps = attention.map((layers) => layers.map((probs) =>
      Array.from({ length: nHeads }, (_, h) => Array.from({ length: T }, (_, t) => Array.from(probs.subarray((h * T + t) * T, (h * T + t + 1) * T))))));
    return { labels: this.data.sampleLabels, causal: this.config.causal, maps };
  }

  /** The sample's attention at the last metrics point, [replica][layer] of [sampleSize][nHeads][T][T]. */
  get sampleAttention(): Float32Array[][] | null {
    return this.lastAttention;
  }

  /** Labels of the first sample sequence's positions (its tokens as words, for text). */
  get sampleLabels(): string[] {
    return this.data.sampleLabels;
  }

  /** Held-out loss and perplexity of the current parameters, and the sample's attention entropy per layer. */
  async evaluate(): Promise<MetricRecord[]> {
    const encoder = this.ctx.device.createCommandEncoder({ label: 'transformer evaluate' });
    const pass = encoder.beginComputePass();
    for (const d of [...this.evaluation, ...this.sample.dispatches]) {
      pass.setPipeline(d.pipeline);
      d.bindGroups.forEach((g, i) => pass.setBindGroup(i, g));
      pass.dispatchWorkgroups(...d.workgroups);
    }
    pass.end();
    this.ctx.device.queue.submit([encoder.finish()]);
    const block = new Float32Array(2 * this.replicas);
    block.set(await readF32(this.ctx.device, this.evalStats ?? this.evalLoss, (this.evalStats ? 2 : 1) * this.replicas));
    const c = this.config;
    const perReplicaLayer = c.sampleSize * c.nHeads * this.T * this.T;
    const probs = await Promise.all(this.sample.probs.map((b) => readF32(this.ctx.device, b, this.replicas * perReplicaLayer)));
    return Array.from({ length: this.replicas }, (_, r) => {
      const record: MetricRecord = { step: this.currentStep, replica: r, ...this.heldOutMetrics(block, r) };
      for (let l = 0; l < c.nLayers; l++) {
        record[`entropy.l${l}`] = attentionEntropy(probs[l].subarray(r * perReplicaLayer, (r + 1) * perReplicaLayer), c.sampleSize * c.nHeads, this.T, c.causal);
      }
      return record;
    });
  }

  /** Optimizer state names: PyTorch's (`momentum_buffer`, `exp_avg`, `exp_avg_sq`), each `<state>.<tensor>`. */
  private optimizerStates(): [string, GPUBuffer][] {
    if (this.config.optimizer === 'sgd') return [['momentum_buffer', this.slabs.first]];
    return [['exp_avg', this.slabs.first], ['exp_avg_sq', this.slabs.second!]];
  }

  protected stateShapes(): StateShapes {
    const params = Object.fromEntries(this.layout.tensors.map((t) => [t.name, t.shape]));
    const optimizer: Record<string, number[]> = {};
    for (const [state] of this.optimizerStates()) for (const t of this.layout.tensors) optimizer[`${state}.${t.name}`] = t.shape;
    return { params, optimizer };
  }

  protected async readState(): Promise<Pick<TrainerState, 'params' | 'optimizer'>> {
    const R = this.replicas;
    const read = async (buffer: GPUBuffer) => unpackSlab(this.layout, await readF32(this.ctx.device, buffer, R * this.layout.P), R);
    const optimizer: Record<string, Float32Array> = {};
    for (const [state, buffer] of this.optimizerStates()) {
      for (const [name, values] of Object.entries(await read(buffer))) optimizer[`${state}.${name}`] = values;
    }
    return { params: await read(this.slabs.params), optimizer };
  }

  protected async writeState(state: TrainerState): Promise<void> {
    const R = this.replicas;
    const queue = this.ctx.device.queue;
    queue.writeBuffer(this.slabs.params, 0, packSlab(this.layout, state.params, R));
    for (const [prefix, buffer] of this.optimizerStates()) {
      const tensors = Object.fromEntries(this.layout.tensors.map((t) => [t.name, state.optimizer[`${prefix}.${t.name}`]]));
      queue.writeBuffer(buffer, 0, packSlab(this.layout, tensors, R));
    }
    // The freezing measures compare with the previous metrics point. A restored run's is the step it was saved at
    // (every train() call ends with a metrics point), so it is recomputed from the restored parameters: a resumed
    // run then reports the change at its first point exactly as the uninterrupted run did.
    this.previousAttention = state.step > 0 ? await this.attentionAtCurrentParams() : null;
  }

  /** The fixed sample's attention at the current parameters, per replica and layer (the snapshot's layout). */
  private async attentionAtCurrentParams(): Promise<Float32Array[][]> {
    const encoder = this.ctx.device.createCommandEncoder({ label: 'transformer sample attention' });
    const pass = encoder.beginComputePass();
    for (const d of this.sample.dispatches) {
      pass.setPipeline(d.pipeline);
      d.bindGroups.forEach((g, i) => pass.setBindGroup(i, g));
      pass.dispatchWorkgroups(...d.workgroups);
    }
    pass.end();
    this.ctx.device.queue.submit([encoder.finish()]);
    const c = this.config;
    const perReplicaLayer = c.sampleSize * c.nHeads * this.T * this.T;
    const probs = await Promise.all(this.sample.probs.map((b) => readF32(this.ctx.device, b, this.replicas * perReplicaLayer)));
    return Array.from({ length: this.replicas }, (_, r) => probs.map((layer) => layer.slice(r * perReplicaLayer, (r + 1) * perReplicaLayer)));
  }

  protected learningRates(): Record<string, FieldSpec> {
    return Object.fromEntries(RATE_KEYS.map((k) => [k, transformerSchema[k]]));
  }

  protected initialLearningRates(): Record<string, number[]> {
    return Object.fromEntries(RATE_KEYS.map((k) => [k, Array.from({ length: this.replicas }, (_, r) => perReplica(this.config[k], r))]));
  }

  protected writeLearningRate(key: string, values: Float32Array<ArrayBuffer>): void {
    this.ctx.device.queue.writeBuffer(this.rates[key as RateKey], 0, values);
    if (key === 'lr' || key === 'lrFfn') {
      this.groupRates[key] = values;
      this.writeLearningRatePair();
    }
  }

  protected release(): void {
    for (const r of this.releasers) r();
    for (const n of this.networks) n.release();
    this.data?.release();
    for (const b of this.owned) this.ctx.pool.release(b);
    this.owned.length = 0;
  }
}
