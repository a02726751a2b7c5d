// Bench entries for the transformer stack's heads, clipping and optimizers: vocabCrossEntropy (the chunked LM
// head, whole training list and its own kernels alone), hingeReadout (ICL head), gradNorm and optimizerStep on
// whole parameter slabs. Shapes: Tian et al.'s WikiText head (B 20, T 35, dModel 200, V 10 000) and a GPT-2
// vocabulary (V 50 000, dModel 768, B 8, T 1024, logits budget 256 MiB); on a software adapter the rows (B·T), and
// for V 50 000 dModel too, are shrunk so that a run stays within minutes (the shape column says what ran). Slabs: one GPT-2 block (7.09 M floats)
// and the Tian model (3 post-LN layers, dFF 2048, embed and untied decoder: 6.96 M floats).
import type { GpuContext } from '../../src/runtime/context';
import { vocabCrossEntropyHead, type VocabHeadShape } from '../../src/kernels/vocabCrossEntropy';
import { hingeReadout, type HingeReadoutShape } from '../../src/kernels/hingeReadout';
import { gradNorm } from '../../src/kernels/gradNorm';
import { optimizerStep } from '../../src/kernels/optimizerStep';
import { Random } from '../../src/util/random';
import { randomBuffer } from '../support';
import type { BenchEntry, BenchEntryOptions } from '../types';

const up64 = (n: number) => Math.ceil(n / 64) * 64;

/** Floats of a slab holding these tensors, each starting at a multiple of 64 (docs/transformer.md). */
function slabFloats(sizes: number[]): number {
  return sizes.reduce((sum, n) => sum + up64(n), 0);
}

/** One encoder layer's tensors (ffn group first, as in the slab). */
function layerSizes(d: number, dFF: number): { ffn: number[]; rest: number[] } {
  return { ffn: [dFF * d, dFF, d * dFF, d], rest: [3 * d * d, 3 * d, d * d, d, d, d, d, d] };
}

function slabShape(name: string, layers: number, d: number, dFF: number, extraRest: number[]) {
  const layer = layerSizes(d, dFF);
  const ffnEnd = layers * slabFloats(layer.ffn);
  const size = ffnEnd + layers * slabFloats(layer.rest) + slabFloats(extraRest);
  return { name, size, ffnEnd };
}

/** The LM head as a row: the given dispatches over one replica's head, sized for the adapter. */
async function vocabEntries(ctx: GpuContext, tag: string, s: Omit<VocabHeadShape, 'slabSize' | 'decoderOffset' | 'biasOffset'>): Promise<BenchEntry[]> {
  const decoderOffset = 0;
  const biasOffset = up64(s.V * s.dModel);
  const slabSize = biasOffset + up64(s.V);
  const shape: VocabHeadShape = { ...s, slabSize, decoderOffset, biasOffset };
  const rows = s.replicas * s.batch * s.T;
  const rng = new Random(s.V + rows);
  const tokens = ctx.pool.upload(Uint32Array.from({ length: s.replicas * s.batch * (s.T + 1) }, () => rng.int(s.V)), `${tag} tokens`);
  const x = randomBuffer(ctx, rows * s.dModel, `${tag} x`);
  const params = randomBuffer(ctx, s.replicas * slabSize, `${tag} params`, -0.1, 0.1);
  const grads = ctx.pool.acquire(4 * s.replicas * slabSize, `${tag} grads`);
  const dx = ctx.pool.acquire(4 * rows * s.dModel, `${tag} dx`);
  const rowLoss = ctx.pool.acquire(4 * rows, `${tag} row loss`);
  const loss = ctx.pool.acquire(4 * s.replicas, `${tag} loss`);
  const head = await vocabCrossEntropyHead(ctx, shape);
  const chunkText = `${head.chunks.length} chunk${head.chunks.length > 1 ? 's' : ''} of ${head.vocabChunk}`;
  const text = `replicas ${s.replicas}, B ${s.batch}, T ${s.T}, dModel ${s.dModel}, V ${s.V}, ${chunkText}`;
  const training = head.training({ x, tokens, params, rowLoss, loss, grads, dx }, `vocabCrossEntropy ${tag}`);
  const ownLabels = /chunkForward|finish|chunkBackward/;
  return [
    { name: `vocabCrossEntropy ${tag} training`, shape: `${text}; gemms included`, dispatches: training },
    { name: `vocabCrossEntropy ${tag} own kernels`, shape: `${text}; chunkForward, finish, chunkBackward only`, dispatches: training.filter((d) => ownLabels.test(d.label)) },
  ];
}

async function hingeEntries(ctx: GpuContext, s: HingeReadoutShape, evaluatePrompts: number): Promise<BenchEntry[]> {
  const prompts = s.replicas * s.batch;
  const x = randomBuffer(ctx, prompts * s.T * s.dModel, 'hinge x');
  const rng = new Random(prompts);
  const z = ctx.pool.upload(Float32Array.from({ length: prompts }, () => (rng.uniform() < 0.5 ? -1 : 1)), 'hinge z');
  const params = randomBuffer(ctx, s.replicas * s.slabSize, 'hinge params', -0.1, 0.1);
  const grads = ctx.pool.acquire(4 * s.replicas * s.slabSize, 'hinge grads');
  const F = ctx.pool.acquire(4 * prompts, 'hinge F');
  const dF = ctx.pool.acquire(4 * prompts, 'hinge dF');
  const dx = ctx.pool.acquire(4 * prompts * s.T * s.dModel, 'hinge dx');
  const loss = ctx.pool.acquire(4 * s.replicas, 'hinge loss');
  const train = await hingeReadout(ctx.kernels, s);
  const testShape = { ...s, batch: evaluatePrompts };
  const testPrompts = s.replicas * evaluatePrompts;
  const testX = randomBuffer(ctx, testPrompts * s.T * s.dModel, 'hinge test x');
  const testZ = ctx.pool.upload(Float32Array.from({ length: testPrompts }, () => (rng.uniform() < 0.5 ? -1 : 1)), 'hinge test z');
  const testF = ctx.pool.acquire(4 * testPrompts, 'hinge test F');
  const evalStats = ctx.pool.acquire(8 * s.replicas, 'hinge eval stats');
  const test = await hingeReadout(ctx.kernels, testShape);
  const text = (b: number) => `replicas ${s.replicas}, B ${b}, T ${s.T}, dModel ${s.dModel}`;
  return [
    { name: 'hingeReadout icl train', shape: `${text(s.batch)}: forward, inputGrad, paramGrads`, dispatches: train.train({ x, z, params, F, dF, dx, grads, loss }, 'hingeReadout icl') },
    { name: 'hingeReadout icl evaluate', shape: text(evaluatePrompts), dispatches: [test.evaluate({ x: testX, z: testZ, params, F: testF, evalStats }, { label: 'hingeReadout icl evaluate' })] },
  ];
}

/**
 * `variant`: gradNorm with 16-thread workgroups as well (a barrier tree of 4 levels instead of 8): on SwiftShader,
 * where workgroup barriers are what costs, that was 17x faster than the default 256 on the GPT-2 block.
 */
async function slabEntries(ctx: GpuContext, slab: { name: string; size: number; ffnEnd: number }, replicas: number, variant = false): Promise<BenchEntry[]> {
  const n = replicas * slab.size;
  const tag = slab.name;
  const param = randomBuffer(ctx, n, `${tag} param`, -0.1, 0.1);
  const grad = randomBuffer(ctx, n, `${tag} grad`, -1e-3, 1e-3);
  const first = randomBuffer(ctx, n, `${tag} momentum / exp_avg`, -1e-3, 1e-3);
  const second = randomBuffer(ctx, n, `${tag} exp_avg_sq`, 0, 1e-6);
  const perReplica = (label: string, value: number) => ctx.pool.upload(new Float32Array(replicas).fill(value), `${tag} ${label}`);
  const lr = ctx.pool.upload(Float32Array.from({ length: 2 * replicas }, (_, i) => (i < replicas ? 10 : 5) * 1e-3), `${tag} lr`);
  const clip = perReplica('clip', 0.5);
  const norm = ctx.pool.acquire(4 * replicas, `${tag} norm`);
  const gradScale = ctx.pool.acquire(4 * replicas, `${tag} grad scale`);
  const step = ctx.pool.upload(new Uint32Array([0]), `${tag} step`);
  const clipper = await gradNorm(ctx, { replicas, size: slab.size });
  const op = await optimizerStep(ctx.kernels, { replicas, size: slab.size, ffnEnd: slab.ffnEnd });
  const text = `replicas ${replicas}, P ${slab.size} (ffn group ${slab.ffnEnd})`;
  const narrow = variant ? await gradNorm(ctx, { replicas, size: slab.size, wg: 16 }) : null;
  return [
    { name: `gradNorm ${tag}`, shape: `${text}, ${clipper.blocks} blocks of ${clipper.block}, clip scale`, dispatches: clipper.clipScale({ x: grad, norm, clip, scale: gradScale }, `gradNorm ${tag}`) },
    ...(narrow ? [{
      name: `gradNorm ${tag} wg 16`,
      shape: `${text}, ${narrow.blocks} blocks of ${narrow.block}, 16 threads per workgroup, clip scale`,
      dispatches: narrow.clipScale({ x: grad, norm, clip, scale: gradScale }, `gradNorm ${tag} wg 16`),
    }] : []),
    {
      name: `optimizerStep sgd ${tag}`,
      shape: `${text}, momentum 0.9`,
      dispatches: [op.sgd({ param, grad, gradScale, lr, momentumBuffer: first, momentum: perReplica('momentum', 0.9) }, `optimizerStep sgd ${tag}`)],
    },
    {
      name: `optimizerStep adamw ${tag}`,
      shape: text,
      dispatches: [op.adamw({
        param, grad, gradScale, lr, expAvg: first, expAvgSq: second,
        beta1: perReplica('beta1', 0.9), beta2: perReplica('beta2', 0.999), weightDecay: perReplica('weight decay', 0.01), step,
      }, `optimizerStep adamw ${tag}`)],
    },
  ];
}

export async function benchEntries(ctx: GpuContext, { quick }: BenchEntryOptions): Promise<BenchEntry[]> {
  if (quick) {
    return [
      ...(await vocabEntries(ctx, 'quick', { replicas: 1, batch: 2, T: 3, dModel: 8, V: 200, budgetBytes: 4 * 6 * 64 })),
      ...(await hingeEntries(ctx, { replicas: 2, batch: 8, T: 3, dModel: 8, slabSize: 128, wOutOffset: 0, bOutOffset: 64 }, 16)),
      ...(await slabEntries(ctx, slabShape('quick', 1, 8, 16, [64]), 2)),
    ];
  }
  const software = ctx.adapter.isSoftware;
  return [
    // Tian et al.'s WikiText head (one chunk fits any budget here); on SwiftShader 16 rows instead of 700.
    ...(await vocabEntries(ctx, 'tian', { replicas: 1, batch: software ? 1 : 20, T: software ? 16 : 35, dModel: 200, V: 10_000, budgetBytes: 256 << 20 })),
    // A GPT-2 vocabulary: 8192 rows need 7 chunks in 256 MiB; on SwiftShader 8 rows of dModel 64 (gemm's 32-row
    // tiles make fewer rows no cheaper), the budget forcing 4 chunks.
    ...(await vocabEntries(ctx, '50k', software
      ? { replicas: 1, batch: 1, T: 8, dModel: 64, V: 50_000, budgetBytes: 4 * 8 * 12_800 }
      : { replicas: 1, batch: 8, T: 1024, dModel: 768, V: 50_000, budgetBytes: 256 << 20 })),
    // GPT-2 on ICL prompts (SPEC §4): N = 20 contexts + the query, batch 256, 4 replicas; a 1000-prompt test batch.
    ...(await hingeEntries(ctx, { replicas: 4, batch: 256, T: 21, dModel: 128, slabSize: 256, wOutOffset: 0, bOutOffset: 128 }, 1000)),
    ...(await slabEntries(ctx, slabShape('gpt2 block', 1, 768, 3072, []), 1, true)),
    ...(await slabEntries(ctx, slabShape('tian slab', 3, 200, 2048, [10_000 * 200, 10_000 * 200, 10_000]), 1)),
  ];
}
