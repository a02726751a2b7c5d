// Evaluation of a trained transformer (ICL head) on prompt sets other than its held-out set: out-of-domain prompts
// for several S1, unseen-task prompts of other context lengths N and alpha'. A network of T = N + 1 positions is
// built over a snapshot of the trainer's parameters (any T when positions are 'none' or 'sinusoidal'; learned
// positions exist for the trained T only), the prompts are expanded on the GPU chunk by chunk, and the hinge
// readout accumulates sign errors and hinge sums per replica in a fixed order.
import type { GpuContext } from '../../runtime/context';
import { readF32 } from '../../runtime/buffers';
import { StepPlan } from '../../runtime/plan';
import type { CompactPrompts, Patterns } from '../icl/data';
import { shapesOf, structureOf } from './config';
import { iclDataConfig, promptChunks } from './data/icl';
import { HEAD_BUDGET_BYTES } from './memory';
import type { TransformerTrainer } from './model';
import { buildNetwork, type Network } from './network';
import { packSlab } from './slab';

/** Prompts per replica evaluated in one forward (a chunk): bounds the activations of large test sets. */
const EVAL_CHUNK = 256;

export class TransformerIclEvaluator {
  private readonly owned: GPUBuffer[] = [];
  private network: Network | null = null;
  private plan!: StepPlan;
  private stats!: GPUBuffer;
  private patternSetter!: (patterns: Patterns[]) => void;

  private constructor(
    readonly ctx: GpuContext,
    readonly replicas: number,
    readonly prompts: number,
  ) {}

  /** `sets[r]`, `patterns[r]`: replica r's prompts (the same count and N for every replica) and pattern tables. */
  static async create(trainer: TransformerTrainer, sets: CompactPrompts[], patterns: Patterns[]): Promise<TransformerIclEvaluator> {
    const c = trainer.config;
    const T = sets[0].N + 1;
    if (c.posEncoding === 'learned' && T !== trainer.T) {
      throw new RangeError(`transformer ICL evaluation: prompts of N = ${sets[0].N} need T = ${T} positions, but learned positions exist for T = ${trainer.T} only (use posEncoding 'none' or 'sinusoidal')`);
    }
    const evaluator = new TransformerIclEvaluator(trainer.ctx, trainer.replicas, sets[0].prompts);
    await evaluator.build(trainer, sets, patterns);
    return evaluator;
  }

  private async build(trainer: TransformerTrainer, sets: CompactPrompts[], patterns: Patterns[]): Promise<void> {
    const { ctx, replicas: R } = this;
    const c = trainer.config;
    const T = sets[0].N + 1;
    const ic = iclDataConfig(c);
    const d = ic.dX + ic.dY;
    const chunk = Math.min(EVAL_CHUNK, this.prompts);
    const upload = (data: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>, label: string) => {
      const b = ctx.pool.upload(data, `transformer icl eval ${label}`);
      this.owned.push(b);
      return b;
    };
    const state = await trainer.getState();
    const params = upload(packSlab(trainer.layout, state.params, R), 'params');
    const io = {
      params,
      seeds: upload(Uint32Array.from({ length: R }, (_, r) => c.seed + r), 'seeds'),
      step: upload(new Uint32Array([state.step]), 'step'),
      inputs: upload(new Float32Array(R * chunk * T * d), 'inputs'),
      z: upload(new Float32Array(R * chunk), 'z'),
    };
    this.stats = upload(new Float32Array(2 * R), 'stats');
    const network = await buildNetwork(ctx, {
      structure: structureOf(c), shapes: shapesOf(c), layout: trainer.layout, replicas: R, batch: chunk, T, dropout: 0, backward: false, headBudgetBytes: HEAD_BUDGET_BYTES,
    }, io);
    this.network = network;
    const chunks = await promptChunks(ctx, ic, sets, patterns, chunk, io, this.owned);
    this.patternSetter = chunks.setPatterns;
    this.plan = new StepPlan(ctx.device, 'transformer icl evaluation');
    chunks.fills.forEach((fill, i) => this.plan.add(fill, ...network.forwardEval, network.iclEvaluate!(this.stats, i > 0)));
  }

  /** Replaces the pattern tables (e.g. the ODR patterns of another S1); the prompts stay the same. */
  setPatterns(patterns: Patterns[]): void {
    this.patternSetter(patterns);
  }

  /** Sign error and mean hinge loss per replica over the set. */
  async evaluate(): Promise<{ error: number; hinge: number }[]> {
    this.plan.run();
    const stats = await readF32(this.ctx.device, this.stats, 2 * this.replicas);
    return Array.from({ length: this.replicas }, (_, r) => ({ error: stats[2 * r] / this.prompts, hinge: stats[2 * r + 1] / this.prompts }));
  }

  destroy(): void {
    this.network?.release();
    for (const b of this.owned) this.ctx.pool.release(b);
    this.owned.length = 0;
  }
}
