// Scan & Snap on the GPU: buffers for R replicas, the step plan (reads like SPEC §2: attention, logits and
// cross-entropy, backward through attention, gradients of Y and Z, two momentum updates), and the Trainer.
// batchSource 'gpu' (default): the plan generates each step's sequences itself (scansnapBatchGenerate) from a
// step counter on the GPU, so up to MAX_CHUNK_STEPS steps go in one submission and the host only records.
// batchSource 'cpu': the same ids from SequenceSampler, generated on the host while the GPU runs step t − 1 and
// written with queue.writeBuffer before step t's submission (the queue orders the write after step t − 1's reads).
// Training's batches are drawn from the token layout, so where the shapes allow the step runs on slot lists
// (ScanSnapSlots in src/kernels/scansnapLayout.ts: the generator counts each sequence's allowed tokens, and the
// logits, dY and dZ are summed by next token); arbitrary ids (lossAndGrads, `onelayer grad`) take the general lists.
// The training loop is the engine's ReplayTrainer (src/engine/trainer.ts); this file supplies the step, the
// metrics snapshot and the state layout.
import type { GpuContext } from '../../runtime/context';
import { poison, readF32 } from '../../runtime/buffers';
import type { Dispatch } from '../../runtime/kernels';
import { StepPlan } from '../../runtime/plan';
import { scansnapAttention } from '../../kernels/scansnapAttention';
import { paddedRow, scanSnapSizes, slotsUnsupported, zBytes, type ScanSnapRows, type ScanSnapShape, type ScanSnapSlots } from '../../kernels/scansnapLayout';
import { defaultCrossEntropySlotVariant, scansnapCrossEntropy, scansnapCrossEntropySlots } from '../../kernels/scansnapCrossEntropy';
import { scansnapAttentionBackward, scansnapAttentionBackwardFromPartials } from '../../kernels/scansnapAttentionBackward';
import { defaultGradYSlotVariant, gradYScratchBytes, gradYSlotLayout, scansnapGradY, scansnapGradYSlots, scansnapListByNext } from '../../kernels/scansnapGradY';
import { gradZScratchBytes, scansnapGradZ, scansnapGradZSlots } from '../../kernels/scansnapGradZ';
import { tunedSgdMomentum } from '../../kernels/sgdMomentum';
import { scansnapBatchGenerate, slotCountBytes, tunedScansnapBatchGenerate } from '../../kernels/scansnapBatchGenerate';
import { perReplica, type FieldSpec } from '../../config/schema';
import { ReplayTrainer, type SnapshotLayout, type StateShapes, type StepProgram } from '../../engine/trainer';
import type { MetricRecord, TrainerState } from '../../engine/types';
import { etaYOf, scansnapSchema, type ScanSnapConfig } from './config';
import { initialParams, replicaSeedWords, SequenceSampler, sequenceStride, tokenSlots, type TokenLayout } from './data';
import { attentionMetrics } from './metrics';

/** Per-step work buffers of the forward and backward pass (everything except parameters and optimizer). */
export interface ScanSnapWorkBuffers {
  tokens: GPUBuffer;
  /**
   * uniqueIds, uniqueCount, vnDense and memberVn serve the general lists only: a slot list's ids and count are
   * implied by its slots, and slot lists need no dense vn or per-row member lists.
   */
  uniqueIds?: GPUBuffer;
  uniqueVn: GPUBuffer;
  uniqueCount?: GPUBuffer;
  vnDense?: GPUBuffer;
  dLogit: GPUBuffer;
  loss: GPUBuffer;
  queryRowGrad: GPUBuffer;
  dY: GPUBuffer;
  dZ: GPUBuffer;
  memberSeq: GPUBuffer;
  memberVn?: GPUBuffer;
  memberCount: GPUBuffer;
  rowMembers: GPUBuffer;
  rowMemberCount: GPUBuffer;
  /** Slot lists only: attention backward's products from the dY pass (scansnapGradYSlots). */
  dvnPartial?: GPUBuffer;
}

/** `rows`: the rows of Z held on the GPU and given gradient (see scansnapAttention); `slots`: slot lists. */
export function acquireWorkBuffers(ctx: GpuContext, shape: ScanSnapShape, rows: ScanSnapRows, slots?: ScanSnapSlots): ScanSnapWorkBuffers {
  const size = scanSnapSizes(shape);
  const scratch = gradYScratchBytes(shape);
  const rowScratch = gradZScratchBytes(shape, rows);
  const a = (bytes: number, label: string) => ctx.pool.acquire(bytes, `scansnap ${label}`);
  return {
    tokens: a(size.tokens, 'tokens'),
    uniqueIds: slots ? undefined : a(size.uniqueList, 'uniqueIds'),
    uniqueVn: a(size.uniqueList, 'uniqueVn'),
    uniqueCount: slots ? undefined : a(size.uniqueCount, 'uniqueCount'),
    vnDense: slots ? undefined : a(size.perSequenceRow, 'vnDense'),
    dLogit: a(size.perSequenceRow, 'dLogit'),
    loss: a(size.loss, 'loss'),
    queryRowGrad: a(size.perSequenceRow, 'queryRowGrad'),
    dY: a(size.params, 'dY'),
    dZ: a(zBytes(shape, rows), 'dZ'),
    memberSeq: a(scratch.memberList, 'memberSeq'),
    memberVn: slots ? undefined : a(scratch.memberList, 'memberVn'),
    memberCount: a(scratch.memberCount, 'memberCount'),
    rowMembers: a(rowScratch.rowMembers, 'rowMembers'),
    rowMemberCount: a(rowScratch.rowMemberCount, 'rowMemberCount'),
    dvnPartial: slots ? a(gradYSlotLayout(shape, slots, defaultGradYSlotVariant(ctx.device, ctx.adapter.isSoftware)).partialBytes, 'dvnPartial') : undefined,
  };
}

/** How the step reads its batch (see lossAndGradsDispatches). */
export interface BatchLists {
  /** Distinct context tokens a sequence has at most (work counts for the bench; default L − 1). */
  distinctPerSequence?: number;
  /** The batch is drawn from this token layout: slot lists (scansnapLayout.ts) for every kernel of the step. */
  slots?: ScanSnapSlots;
  /** With slots: the generator's slot counts (its generateCounts entry), read instead of the context ids. */
  slotCounts?: GPUBuffer;
}

/**
 * Loss and gradients of Y and Z for the batch in `work.tokens`, as dispatches in SPEC §2 order. With `slots` the
 * batch must be drawn from that token layout (training's batches are), and every kernel works on slot lists: the
 * same logits, dY and dZ for the same lists, summed by next token instead of by scanning vnDense.
 */
export async function lossAndGradsDispatches(
  ctx: GpuContext,
  shape: ScanSnapShape,
  params: { Y: GPUBuffer; Z: GPUBuffer },
  work: ScanSnapWorkBuffers,
  rows: ScanSnapRows,
  { distinctPerSequence = shape.L - 1, slots, slotCounts }: BatchLists = {},
): Promise<Dispatch[]> {
  const k = ctx.kernels;
  const { Y, Z } = params;
  const w = work;
  const attention = await scansnapAttention(k, shape, rows, slots, slotCounts !== undefined);
  const forward = attention({ tokens: w.tokens, Z, uniqueIds: w.uniqueIds, uniqueVn: w.uniqueVn, uniqueCount: w.uniqueCount, vnDense: w.vnDense, slotCounts });
  if (slots) {
    if (!w.dvnPartial) throw new Error('scansnap: slot lists need the dvnPartial work buffer (acquireWorkBuffers with slots)');
    const gradYVariant = defaultGradYSlotVariant(ctx.device, ctx.adapter.isSoftware);
    const [listByNext, gradY, crossEntropy, attentionBackward, gradZ] = await Promise.all([
      scansnapListByNext(k, shape, slots),
      scansnapGradYSlots(k, shape, slots, gradYVariant),
      scansnapCrossEntropySlots(k, shape, slots, defaultCrossEntropySlotVariant(ctx.device, ctx.adapter.isSoftware, shape.M)),
      scansnapAttentionBackwardFromPartials(k, shape, slots, gradYSlotLayout(shape, slots, gradYVariant).columnThreads),
      scansnapGradZSlots(k, shape, rows, slots),
    ]);
    // The sequences of each next token are listed once and read by the logits, dY and dZ; the dY pass also leaves
    // attention backward its products.
    const members = { memberSeq: w.memberSeq, memberCount: w.memberCount };
    return [
      forward,
      listByNext({ tokens: w.tokens, ...members }),
      ...crossEntropy({ tokens: w.tokens, Y, uniqueVn: w.uniqueVn, dLogit: w.dLogit, loss: w.loss, ...members }),
      gradY({ uniqueVn: w.uniqueVn, dLogit: w.dLogit, Y, dY: w.dY, dvnPartial: w.dvnPartial, ...members }),
      attentionBackward({ uniqueVn: w.uniqueVn, dvnPartial: w.dvnPartial, queryRowGrad: w.queryRowGrad }),
      ...gradZ({ tokens: w.tokens, queryRowGrad: w.queryRowGrad, dZ: w.dZ, rowMembers: w.rowMembers, rowMemberCount: w.rowMemberCount, ...members }),
    ];
  }
  if (!w.uniqueIds || !w.uniqueCount || !w.vnDense || !w.memberVn) {
    throw new Error('scansnap: general lists need the uniqueIds, uniqueCount, vnDense and memberVn work buffers (acquireWorkBuffers without slots)');
  }
  const lists = { uniqueIds: w.uniqueIds, uniqueVn: w.uniqueVn, uniqueCount: w.uniqueCount };
  const [crossEntropy, attentionBackward, gradY, gradZ] = await Promise.all([
    scansnapCrossEntropy(k, shape, distinctPerSequence),
    scansnapAttentionBackward(k, shape, distinctPerSequence),
    scansnapGradY(k, shape, distinctPerSequence),
    scansnapGradZ(k, shape, rows),
  ]);
  return [
    forward,
    crossEntropy({ tokens: w.tokens, Y, ...lists, dLogit: w.dLogit, loss: w.loss }),
    attentionBackward({ Y, dLogit: w.dLogit, ...lists, queryRowGrad: w.queryRowGrad }),
    ...gradY({ vnDense: w.vnDense, dLogit: w.dLogit, dY: w.dY, memberSeq: w.memberSeq, memberVn: w.memberVn, memberCount: w.memberCount }),
    ...gradZ({ tokens: w.tokens, queryRowGrad: w.queryRowGrad, dZ: w.dZ, rowMembers: w.rowMembers, rowMemberCount: w.rowMemberCount }),
  ];
}

/** Rows rowBase .. rowBase + rows − 1 of every replica's M × M matrix: [R][M][M] → [R][rows][M]. */
export function selectRows(full: ArrayLike<number>, M: number, r: ScanSnapRows): Float32Array {
  const replicas = full.length / (M * M);
  const out = new Float32Array(replicas * r.rows * M);
  for (let q = 0; q < replicas; q++) {
    for (let i = 0; i < r.rows * M; i++) out[q * r.rows * M + i] = full[q * M * M + r.rowBase * M + i];
  }
  return out;
}

/** `full` with rows rowBase .. rowBase + rows − 1 of every replica replaced by `part` ([R][rows][M]). */
export function withRows(full: ArrayLike<number>, part: Float32Array, M: number, r: ScanSnapRows): Float32Array {
  const out = Float32Array.from(full);
  const replicas = out.length / (M * M);
  for (let q = 0; q < replicas; q++) out.set(part.subarray(q * r.rows * M, (q + 1) * r.rows * M), q * M * M + r.rowBase * M);
  return out;
}

/** [R][M][M] → [R][M][P] with zero padding columns (the GPU layout of Y, Z and their optimizer state). */
export function padRows(dense: ArrayLike<number>, M: number): Float32Array<ArrayBuffer> {
  const P = paddedRow(M);
  const rows = dense.length / M;
  const out = new Float32Array(rows * P);
  for (let i = 0; i < rows; i++) for (let j = 0; j < M; j++) out[i * P + j] = dense[i * M + j];
  return out;
}

/** [R][M][P] → [R][M][M]. */
export function unpadRows(padded: Float32Array, M: number): Float32Array {
  const P = paddedRow(M);
  const rows = padded.length / P;
  const out = new Float32Array(rows * M);
  for (let i = 0; i < rows; i++) out.set(padded.subarray(i * P, i * P + M), i * M);
  return out;
}

export interface GpuLossGradsArgs {
  replicas: number;
  M: number;
  batch: number;
  L: number;
  /** [R][M][M] each. */
  Y: Float32Array;
  Z: Float32Array;
  /** [R][batch][L + 1] ids (context, query, next). */
  ids: Uint32Array<ArrayBuffer>;
}

/** Per-replica batch-mean loss and gradients on the GPU (outputs poisoned with NaN before the kernels run). */
export async function scansnapLossAndGradsGpu(ctx: GpuContext, a: GpuLossGradsArgs): Promise<{ loss: Float64Array; dY: Float32Array; dZ: Float32Array }> {
  const shape = { replicas: a.replicas, batch: a.batch, L: a.L, M: a.M };
  const rows = { rowBase: 0, rows: a.M };
  const work = acquireWorkBuffers(ctx, shape, rows);
  const Y = ctx.pool.upload(padRows(a.Y, a.M), 'scansnap Y');
  const Z = ctx.pool.upload(padRows(a.Z, a.M), 'scansnap Z');
  ctx.device.queue.writeBuffer(work.tokens, 0, a.ids);
  for (const b of [work.uniqueIds!, work.uniqueVn, work.uniqueCount!, work.vnDense!, work.dLogit, work.loss, work.queryRowGrad, work.dY, work.dZ]) {
    poison(ctx.device, b);
  }
  const dispatches = await lossAndGradsDispatches(ctx, shape, { Y, Z }, work, rows);
  new StepPlan(ctx.device, 'scansnap loss and gradients').add(...dispatches).run();
  const perSequence = await readF32(ctx.device, work.loss, a.replicas * a.batch);
  const P = paddedRow(a.M);
  const dY = unpadRows(await readF32(ctx.device, work.dY, a.replicas * a.M * P), a.M);
  const dZ = unpadRows(await readF32(ctx.device, work.dZ, a.replicas * a.M * P), a.M);
  for (const b of [Y, Z, ...Object.values(work)]) if (b) ctx.pool.release(b);
  const loss = new Float64Array(a.replicas);
  perSequence.forEach((v, i) => (loss[Math.floor(i / a.batch)] += v / a.batch));
  return { loss, dY, dZ };
}

function perReplicaArray(value: number | number[], replicas: number): Float32Array {
  return Float32Array.from({ length: replicas }, (_, r) => perReplica(value, r));
}

/** batchSource 'gpu': steps per submission at most (bounds one command buffer). */
const MAX_CHUNK_STEPS = 64;

/** batchSource 'gpu': the generator's inputs; `stepCounter` holds the step the next replay generates for. */
interface GpuBatchSource {
  stepCounter: GPUBuffer;
  replicaSeeds: GPUBuffer;
  thresholds: GPUBuffer;
  /** With slot lists: the generator's slot counts, [R][batch][8] words. */
  slotCounts?: GPUBuffer;
}

export class ScanSnapTrainer extends ReplayTrainer {
  readonly model = 'scansnap' as const;
  readonly layout: TokenLayout;
  protected readonly program: StepProgram;
  private hostTokens: Uint32Array<ArrayBuffer> | null = null;
  private lastLoss: Float64Array | null = null;
  /**
   * Z of every replica on the host, [R][M][M]. Only the query rows can get gradient, so only they live on the
   * GPU (and are updated); the other rows keep these values, and getState merges the two.
   */
  private frozenZ: Float32Array;

  private constructor(
    ctx: GpuContext,
    readonly config: ScanSnapConfig,
    readonly shape: ScanSnapShape,
    private readonly params: { Y: GPUBuffer; Z: GPUBuffer },
    private readonly velocity: { Y: GPUBuffer; Z: GPUBuffer },
    private readonly rates: { etaY: GPUBuffer; etaZ: GPUBuffer; momentum: GPUBuffer },
    private readonly work: ScanSnapWorkBuffers,
    plan: StepPlan,
    private readonly sampler: SequenceSampler,
    private readonly rows: ScanSnapRows,
    initialZ: Float32Array,
    private readonly gpuBatches: GpuBatchSource | null,
  ) {
    super(ctx, config.replicas, config.metricsEvery);
    this.frozenZ = initialZ;
    this.layout = sampler.layout;
    this.program = {
      plan,
      // With host-made sequences every step is its own submission: the host makes step t + 1 while the GPU runs t.
      maxChunkSteps: gpuBatches ? MAX_CHUNK_STEPS : 1,
      stepCounter: gpuBatches?.stepCounter,
      hostInputs: gpuBatches ? undefined : (first) => void ctx.device.queue.writeBuffer(work.tokens, 0, this.sequences(first)),
      metrics: this.snapshotLayout(),
    };
  }

  /** `config` must already be validated (scansnapModel.createTrainer does that). */
  static async create(ctx: GpuContext, config: ScanSnapConfig): Promise<ScanSnapTrainer> {
    const sampler = new SequenceSampler(config);
    const layout = sampler.layout;
    const M = layout.M;
    const R = config.replicas;
    const shape: ScanSnapShape = { replicas: R, batch: config.batch, L: config.L, M };
    const { device, pool } = ctx;
    const P = paddedRow(M);
    const rows = { rowBase: layout.queryBase, rows: config.numQuery };
    const params = { Y: pool.acquire(4 * R * M * P, 'scansnap Y'), Z: pool.acquire(zBytes(shape, rows), 'scansnap Z') };
    const velocity = {
      Y: pool.upload(new Float32Array(R * M * P), 'scansnap velocity Y'),
      Z: pool.upload(new Float32Array(R * rows.rows * P), 'scansnap velocity Z'),
    };
    const rates = {
      etaY: pool.upload(Float32Array.from({ length: R }, (_, r) => etaYOf(config, r)), 'scansnap etaY'),
      etaZ: pool.upload(perReplicaArray(config.etaZ, R), 'scansnap etaZ'),
      momentum: pool.upload(perReplicaArray(config.momentum, R), 'scansnap momentum'),
    };
    const distinctPerSequence = config.numCommon + config.distinctPerNext;
    // The sampler's and the generator's batches are drawn from the layout: slot lists where the shapes allow.
    const slots = tokenSlots(config);
    const useSlots = slotsUnsupported(shape, slots) === null;
    const work = acquireWorkBuffers(ctx, shape, rows, useSlots ? slots : undefined);
    const gpuBatches: GpuBatchSource | null = config.batchSource === 'cpu' ? null : {
      stepCounter: pool.upload(new Uint32Array(1), 'scansnap step counter'),
      replicaSeeds: pool.upload(replicaSeedWords(config.seed, R), 'scansnap replica seeds'),
      thresholds: pool.upload(sampler.thresholds, 'scansnap token thresholds'),
      slotCounts: useSlots ? pool.acquire(slotCountBytes(R, config.batch), 'scansnap slot counts') : undefined,
    };
    // The step's pipelines build (in the GPU process) while the host draws the initial parameters.
    const planned = (async () => {
      const [momentumY, momentumZ] = await Promise.all([
        tunedSgdMomentum(ctx, { replicas: R, size: M * P }),
        tunedSgdMomentum(ctx, { replicas: R, size: rows.rows * P }),
      ]);
      const plan = new StepPlan(device, 'scansnap step');
      let advanceStep: Dispatch | null = null;
      const slotCounts = gpuBatches?.slotCounts;
      if (gpuBatches) {
        const generatorShape = { replicas: R, batch: config.batch, L: config.L, nextPerQuery: config.nextPerQuery, layout, thresholdValues: sampler.thresholds };
        // With slot lists the generator counts the slots itself (a thread per sequence) and attention never reads
        // the context ids; otherwise the tuner picks how to write them.
        const generator = useSlots
          ? await scansnapBatchGenerate(ctx.kernels, { ...generatorShape, countSlots: true, wg: 16 })
          : await tunedScansnapBatchGenerate(ctx, generatorShape);
        plan.add(generator.generate({ step: gpuBatches.stepCounter, replicaSeeds: gpuBatches.replicaSeeds, thresholds: gpuBatches.thresholds, tokens: work.tokens, slotCounts }));
        advanceStep = generator.advanceStep(gpuBatches.stepCounter);
      }
      plan
        .add(...(await lossAndGradsDispatches(ctx, shape, params, work, rows, { distinctPerSequence, slots: useSlots ? slots : undefined, slotCounts })))
        .add(
          momentumY({ param: params.Y, grad: work.dY, velocity: velocity.Y, lr: rates.etaY, momentum: rates.momentum }, 'sgdMomentum Y'),
          momentumZ({ param: params.Z, grad: work.dZ, velocity: velocity.Z, lr: rates.etaZ, momentum: rates.momentum }, 'sgdMomentum Z'),
        );
      if (advanceStep) plan.add(advanceStep);
      return plan;
    })();
    const init = initialParams(config, M);
    device.queue.writeBuffer(params.Y, 0, padRows(init.Y, M));
    device.queue.writeBuffer(params.Z, 0, padRows(selectRows(init.Z, M, rows), M));
    const plan = await planned;
    return new ScanSnapTrainer(ctx, config, shape, params, velocity, rates, work, plan, sampler, rows, init.Z, gpuBatches);
  }

  /** The batch of step `step` for every replica, [R][batch][L + 1] (a pure function of seed, replica, step). */
  sequences(step: number, out?: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
    if (!out) out = this.hostTokens ??= new Uint32Array(this.replicas * this.config.batch * sequenceStride(this.config.L));
    return this.sampler.step(out, this.replicas, this.config.batch, this.config.seed, step);
  }

  /** Metrics snapshot: per-sequence losses [R][batch] of the step just taken, then Z's query rows [R][numQuery][P]. */
  private snapshotLayout(): SnapshotLayout {
    const { batch, numQuery, trackNext } = this.config;
    const R = this.replicas;
    const P = paddedRow(this.layout.M);
    return {
      bytes: 4 * R * (batch + numQuery * P),
      initial: false,
      encode: (encoder, target) => {
        encoder.copyBufferToBuffer(this.work.loss, 0, target, 0, 4 * R * batch);
        encoder.copyBufferToBuffer(this.params.Z, 0, target, 4 * R * batch, zBytes(this.shape, this.rows));
      },
      parse: (values, step) => {
        const loss = new Float64Array(R);
        for (let i = 0; i < R * batch; i++) loss[Math.floor(i / batch)] += values[i] / batch;
        this.lastLoss = loss;
        const rows = R * batch;
        return Array.from({ length: R }, (_, r) => ({
          step,
          replica: r,
          loss: loss[r],
          ...attentionMetrics(this.layout, values.subarray(rows + r * numQuery * P, rows + (r + 1) * numQuery * P), trackNext, P),
        }));
      },
    };
  }

  /** Attention metrics of the current Z for every replica, with the loss of the last step that recorded one. */
  async evaluate(): Promise<MetricRecord[]> {
    const M = this.layout.M;
    const perReplica = this.rows.rows * M;
    const Z = await this.readQueryRows(this.params.Z);
    return Array.from({ length: this.replicas }, (_, r) => {
      const rows = Z.subarray(r * perReplica, (r + 1) * perReplica);
      const record: MetricRecord = { step: this.currentStep, replica: r, ...attentionMetrics(this.layout, rows, this.config.trackNext) };
      if (this.lastLoss) record.loss = this.lastLoss[r];
      return record;
    });
  }

  /** Z's query rows (or their momentum) from the GPU, [R][numQuery][M]. */
  private async readQueryRows(buffer: GPUBuffer): Promise<Float32Array> {
    return unpadRows(await readF32(this.ctx.device, buffer, zBytes(this.shape, this.rows) / 4), this.layout.M);
  }

  protected stateShapes(): StateShapes {
    const M = this.layout.M;
    return { params: { Y: [M, M], Z: [M, M] }, optimizer: { Y: [M, M], Z: [M, M] } };
  }

  protected async readState(): Promise<Pick<TrainerState, 'params' | 'optimizer'>> {
    const M = this.layout.M;
    const Y = unpadRows(await readF32(this.ctx.device, this.params.Y, this.replicas * M * paddedRow(M)), M);
    const velocityY = unpadRows(await readF32(this.ctx.device, this.velocity.Y, this.replicas * M * paddedRow(M)), M);
    return {
      params: { Y, Z: withRows(this.frozenZ, await this.readQueryRows(this.params.Z), M, this.rows) },
      optimizer: {
        Y: velocityY,
        Z: withRows(new Float32Array(this.replicas * M * M), await this.readQueryRows(this.velocity.Z), M, this.rows),
      },
    };
  }

  protected async writeState(state: TrainerState): Promise<void> {
    const M = this.layout.M;
    const velocityZ = state.optimizer.Z;
    const rowOf = (i: number) => Math.floor((i % (M * M)) / M);
    const isQueryRow = (row: number) => row >= this.rows.rowBase && row < this.rows.rowBase + this.rows.rows;
    const outside = velocityZ.findIndex((v, i) => v !== 0 && !isQueryRow(rowOf(i)));
    if (outside >= 0) {
      throw new Error(`scansnap: setState: optimizer.Z has momentum in row ${rowOf(outside)}, which is no query token's: only the query rows of Z are trained`);
    }
    const queue = this.ctx.device.queue;
    queue.writeBuffer(this.params.Y, 0, padRows(state.params.Y, M));
    queue.writeBuffer(this.velocity.Y, 0, padRows(state.optimizer.Y, M));
    queue.writeBuffer(this.params.Z, 0, padRows(selectRows(state.params.Z, M, this.rows), M));
    queue.writeBuffer(this.velocity.Z, 0, padRows(selectRows(velocityZ, M, this.rows), M));
    this.frozenZ = Float32Array.from(state.params.Z);
  }

  protected learningRates(): Record<string, FieldSpec> {
    return { etaY: scansnapSchema.etaY, etaZ: scansnapSchema.etaZ, momentum: scansnapSchema.momentum };
  }

  protected initialLearningRates(): Record<string, number[]> {
    const c = this.config;
    const each = (f: (r: number) => number) => Array.from({ length: this.replicas }, (_, r) => f(r));
    return { etaY: each((r) => etaYOf(c, r)), etaZ: each((r) => perReplica(c.etaZ, r)), momentum: each((r) => perReplica(c.momentum, r)) };
  }

  protected writeLearningRate(key: string, values: Float32Array<ArrayBuffer>): void {
    this.ctx.device.queue.writeBuffer(this.rates[key as keyof typeof this.rates], 0, values);
  }

  protected release(): void {
    const all = [
      this.params.Y, this.params.Z, this.velocity.Y, this.velocity.Z, ...Object.values(this.rates), ...Object.values(this.work).filter((b): b is GPUBuffer => b !== undefined),
      ...(this.gpuBatches ? Object.values(this.gpuBatches).filter((b): b is GPUBuffer => b !== undefined) : []),
    ];
    for (const b of all) this.ctx.pool.release(b);
  }
}
