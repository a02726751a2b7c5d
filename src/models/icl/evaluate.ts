// Evaluation of all replicas on a fixed, seeded test set, on the GPU. The test set lives on the GPU in chunks
// ([chunk][replica][prompt] layout, chunks a multiple of 64 prompts so that every chunk is a 256-byte-aligned
// window). Evaluation is split in two plans: `features` runs the attention part and W_V for every chunk and keeps
// h for the whole test set; `head` applies a W_O (the live one, or a pruned copy), the ReLU MLP and the hinge.
// Pruning curves therefore rerun only the head.
import { tunedGemm } from '../../kernels/gemm';
import { iclHingeEvaluate } from '../../kernels/iclMlpHinge';
import { tunedIclPromptBuild } from '../../kernels/iclPromptBuild';
import type { GpuContext } from '../../runtime/context';
import { readF32 } from '../../runtime/buffers';
import { StepPlan } from '../../runtime/plan';
import { evalChunk, iclShapes, type IclConfig } from './config';
import { WORDS_PER_COLUMN, type CompactPrompts, type Patterns } from './data';
import { acquireAttentionActivations, attentionForward, type IclParamBuffers } from './network';

export interface IclEvalResult {
  /** Mean hinge loss over the test set. */
  hinge: number;
  /** Sign error (F = 0 counts wrong). */
  error: number;
  /** Mean attention mass on contexts with the query's relevant pattern. */
  attention: number;
  prompts: number;
}

/** Pattern tables of all replicas as float32 [R][count][dX]. */
export function patternTables(patterns: Patterns[]): { rel: Float32Array; irr: Float32Array } {
  const { dX, relCount, irrCount } = patterns[0];
  const rel = new Float32Array(patterns.length * relCount * dX);
  const irr = new Float32Array(patterns.length * irrCount * dX);
  patterns.forEach((p, r) => {
    rel.set(p.rel, r * relCount * dX);
    irr.set(p.irr, r * irrCount * dX);
  });
  return { rel, irr };
}

export class IclEvaluator {
  private readonly owned: GPUBuffer[] = [];
  private features!: StepPlan;
  private head!: StepPlan;
  private relTable!: GPUBuffer;
  private irrTable!: GPUBuffer;
  /** W_O the head plan reads: [R][m][dV]. */
  outputWeights!: GPUBuffer;
  /** [R][4]: Σ hinge, Σ errors, Σ same-pattern mass, prompts counted. */
  evalStats!: GPUBuffer;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: IclConfig,
    readonly params: IclParamBuffers,
    readonly prompts: number,
    readonly chunk: number,
    readonly chunks: number,
  ) {}

  /** `sets[r]` and `patterns[r]` are replica r's test prompts (all with the same count and N) and pattern tables. */
  /** `chunk` (a multiple of 64) overrides the prompts per chunk, e.g. to test chunking on a small set. */
  static async create(ctx: GpuContext, config: IclConfig, params: IclParamBuffers, sets: CompactPrompts[], patterns: Patterns[], chunk?: number): Promise<IclEvaluator> {
    if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 64 || chunk % 64 !== 0)) {
      throw new RangeError(`IclEvaluator: chunk = ${chunk}; expected a positive multiple of 64 (chunks are 256-byte-aligned windows)`);
    }
    chunk ??= Math.min(evalChunk({ ...config, testSize: sets[0].prompts, NTest: sets[0].N }), 65472);
    const evaluator = new IclEvaluator(ctx, config, params, sets[0].prompts, chunk, Math.ceil(sets[0].prompts / chunk));
    await evaluator.build(sets, patterns);
    return evaluator;
  }

  private acquire(bytes: number, label: string): GPUBuffer {
    const buffer = this.ctx.pool.acquire(bytes, `icl eval ${label}`);
    this.owned.push(buffer);
    return buffer;
  }

  private async build(sets: CompactPrompts[], patterns: Patterns[]): Promise<void> {
    const { ctx, chunk, chunks } = this;
    const R = this.config.replicas;
    const N = sets[0].N;
    const shapes = iclShapes(this.config);
    const { dX, d, dV, m } = shapes;
    const columnWords = (N + 1) * WORDS_PER_COLUMN;

    const words = new Uint32Array(chunks * R * chunk * columnWords);
    sets.forEach((set, r) => {
      for (let c = 0; c < chunks; c++) {
        const first = c * chunk;
        const count = Math.min(chunk, set.prompts - first);
        words.set(set.words.subarray(first * columnWords, (first + count) * columnWords), (c * R + r) * chunk * columnWords);
      }
    });
    const columns = this.ctx.pool.upload(words, 'icl eval test set');
    this.owned.push(columns);
    const tables = patternTables(patterns);
    this.relTable = this.ctx.pool.upload(tables.rel, 'icl eval relevant patterns');
    this.irrTable = this.ctx.pool.upload(tables.irr, 'icl eval irrelevant patterns');
    this.owned.push(this.relTable, this.irrTable);

    const dims = { replicas: R, prompts: chunk, N, shapes };
    const contexts = this.acquire(4 * R * chunk * N * d, 'contexts');
    const queries = this.acquire(4 * R * chunk * d, 'queries');
    const act = acquireAttentionActivations(ctx, dims, 'icl eval');
    this.owned.push(act.queryProjection, act.keyQuery, act.attn, act.pooled);
    const rows = R * chunk;
    const labels = this.acquire(4 * chunks * rows, 'labels');
    const mass = this.acquire(4 * chunks * rows, 'same-pattern mass');
    const hidden = this.acquire(4 * chunks * rows * dV, 'h');
    const mlpInput = this.acquire(4 * chunks * rows * m, 'u');
    this.outputWeights = this.acquire(4 * R * m * dV, 'W_O');
    this.evalStats = this.acquire(16 * R, 'stats');

    const window = (buffer: GPUBuffer, c: number, floatsPerPrompt: number) => ({ buffer, offset: 4 * c * rows * floatsPerPrompt, size: 4 * rows * floatsPerPrompt });
    const build = await tunedIclPromptBuild(ctx, { replicas: R, prompts: chunk, N, dX, d, relCount: patterns[0].relCount, irrCount: patterns[0].irrCount });
    const valueProject = await tunedGemm(ctx, { batch: R, M: chunk, N: dV, K: d, transB: true });
    const outputProject = await tunedGemm(ctx, { batch: R, M: chunk, N: m, K: dV, transB: true });
    const hinge = await iclHingeEvaluate(ctx.kernels, { replicas: R, prompts: chunk, m, chunks });

    this.features = new StepPlan(ctx.device, 'icl eval features');
    this.head = new StepPlan(ctx.device, 'icl eval head');
    for (let c = 0; c < chunks; c++) {
      const chunkColumns = { buffer: columns, offset: 4 * c * rows * columnWords, size: 4 * rows * columnWords };
      this.features.add(
        build({ columns: chunkColumns, relPatterns: this.relTable, irrPatterns: this.irrTable, contexts, queries, labels: window(labels, c, 1) }),
        ...(await attentionForward(ctx, dims, this.params, { contexts, queries, columns: chunkColumns }, act, window(mass, c, 1))),
        valueProject({ A: act.pooled, B: this.params.W_V, C: window(hidden, c, dV) }, 'h = W_V pbar'),
      );
      this.head.add(outputProject({ A: window(hidden, c, dV), B: this.outputWeights, C: window(mlpInput, c, m) }, 'u = W_O h'));
    }
    this.head.add(hinge({ mlpInput, labels, samePatternMass: mass, evalStats: this.evalStats }));
  }

  /** Replaces the pattern tables (e.g. the ODR patterns of another S1); the prompts stay the same. */
  setPatterns(patterns: Patterns[]): void {
    const tables = patternTables(patterns);
    this.ctx.device.queue.writeBuffer(this.relTable, 0, tables.rel.buffer, 0, tables.rel.byteLength);
    this.ctx.device.queue.writeBuffer(this.irrTable, 0, tables.irr.buffer, 0, tables.irr.byteLength);
  }

  /** Records a whole evaluation with the live W_O into `encoder`; results land in evalStats. */
  encode(encoder: GPUCommandEncoder): void {
    this.features.encode(encoder);
    encoder.copyBufferToBuffer(this.params.W_O, 0, this.outputWeights, 0, this.outputWeights.size);
    this.head.encode(encoder);
  }

  /** Turns evalStats values into one result per replica. */
  static results(stats: Float32Array, replicas: number, offset = 0): IclEvalResult[] {
    return Array.from({ length: replicas }, (_, r) => {
      const [loss, errors, mass, count] = stats.subarray(offset + 4 * r, offset + 4 * r + 4);
      return { hinge: loss / count, error: errors / count, attention: mass / count, prompts: count };
    });
  }

  async evaluate(): Promise<IclEvalResult[]> {
    const encoder = this.ctx.device.createCommandEncoder({ label: 'icl evaluate' });
    this.encode(encoder);
    this.ctx.device.queue.submit([encoder.finish()]);
    return IclEvaluator.results(await readF32(this.ctx.device, this.evalStats, 4 * this.config.replicas), this.config.replicas);
  }

  /**
   * Evaluates the current W_Q, W_K, W_V with each of several W_O ([R][m][dV] each, e.g. pruned copies): the
   * attention part runs once.
   */
  async evaluateOutputWeights(variants: Float32Array[]): Promise<IclEvalResult[][]> {
    const { device } = this.ctx;
    const encoder = device.createCommandEncoder({ label: 'icl eval features' });
    this.features.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const out: IclEvalResult[][] = [];
    for (const W_O of variants) {
      device.queue.writeBuffer(this.outputWeights, 0, W_O.buffer, W_O.byteOffset, W_O.byteLength);
      this.head.run();
      out.push(IclEvaluator.results(await readF32(device, this.evalStats, 4 * this.config.replicas), this.config.replicas));
    }
    return out;
  }

  destroy(): void {
    for (const b of this.owned) this.ctx.pool.release(b);
    this.owned.length = 0;
  }
}
