// Bench entries for the foundation kernels: gemm (and gemmSplitK), sgdUpdate, sgdMomentum, softmaxRows, reduceRows,
// and counterHash (the hash every GPU draw uses, alone).
// Shapes are the models' own (SPEC.md defaults with 4 replicas: ICL d = 40, N = 20, m = 64, batch 256;
// Scan & Snap L = 128, batch 128) plus a 512^3 gemm and a 1M-element optimizer step for comparison with
// other engines and with the adapter's copy bandwidth.
import type { GpuContext } from '../../src/runtime/context';
import { gemm, gemmSplitK, gemmVariants, tunedGemm, type GemmShape, type GemmSplitKShape } from '../../src/kernels/gemm';
import { sgdUpdate } from '../../src/kernels/sgdUpdate';
import { sgdMomentum } from '../../src/kernels/sgdMomentum';
import { softmaxRows, type SoftmaxRowsShape } from '../../src/kernels/softmaxRows';
import { reduceRows, type ReduceRowsShape } from '../../src/kernels/reduceRows';
import { counterHash } from '../../src/kernels/counterHash';
import { randomBuffer } from '../support';
import type { BenchEntry, BenchEntryOptions } from '../types';

const REPLICAS = 4;
const ICL_TOKENS = 256 * 21; // batch 256 prompts x (N = 20 contexts + the query)

function gemmShapeText(s: GemmShape): string {
  const flags = [s.transA && 'transA', s.transB && 'transB', s.shareA && 'shareA', s.shareB && 'shareB'].filter(Boolean);
  return [`batch ${s.batch}, M ${s.M}, N ${s.N}, K ${s.K}`, ...flags].join(', ');
}

/**
 * A product as a model's call site forms it: in the variant its tuner picks (the adapter class's default, or with
 * --tune the fastest), so a CPU adapter's row shows its own product and not a GPU's tiles; `asGiven` runs the
 * variant fields of `s` (the variant rows).
 */
async function gemmEntry(ctx: GpuContext, name: string, s: GemmShape, asGiven = false): Promise<BenchEntry> {
  const A = randomBuffer(ctx, (s.shareA ? 1 : s.batch) * s.M * s.K, `${name} A`);
  const B = randomBuffer(ctx, (s.shareB ? 1 : s.batch) * s.K * s.N, `${name} B`);
  const C = ctx.pool.acquire(4 * s.batch * s.M * s.N, `${name} C`);
  const op = asGiven ? await gemm(ctx.kernels, s) : await tunedGemm(ctx, s);
  return { name, shape: gemmShapeText(s), dispatches: [op({ A, B, C }, name)] };
}

/** A product variant in words: 'tiles 8x8 threads, 8x8 blocks', 'no tiles 2x2 threads, 8x4 blocks, quads'. */
function variantText(v: Partial<GemmShape>): string {
  const side = v.wgSide ?? 8;
  const block = `${v.threadRows ?? 4}x${v.threadCols ?? 4} blocks`;
  return [`${v.workgroupTiles === false ? 'no tiles' : 'tiles'} ${side}x${side} threads`, block, ...(v.quads ? ['quads'] : [])].join(', ');
}

/** The same product split along K (partials + fixed-order reduction), timed as one row of two dispatches. */
async function gemmSplitKEntry(ctx: GpuContext, name: string, s: GemmSplitKShape): Promise<BenchEntry> {
  const A = randomBuffer(ctx, (s.shareA ? 1 : s.batch) * s.M * s.K, `${name} A`);
  const B = randomBuffer(ctx, (s.shareB ? 1 : s.batch) * s.K * s.N, `${name} B`);
  const C = ctx.pool.acquire(4 * s.batch * s.M * s.N, `${name} C`);
  // The partial products in the adapter class's default product variant, as the split-K call sites offer them.
  const [product] = gemmVariants(s, ctx.adapter.isSoftware, ctx.device.features.has('subgroups'));
  const op = await gemmSplitK(ctx, { ...s, ...product });
  const how = s.splits === undefined ? 'automatic' : 'given';
  return { name, shape: `${gemmShapeText(s)}, ${op.splits} splits of K ${op.kPerSplit} (${how}; ${variantText(product)})`, dispatches: op({ A, B, C }, name) };
}

async function softmaxEntries(ctx: GpuContext, name: string, s: SoftmaxRowsShape): Promise<BenchEntry[]> {
  const n = s.batch * s.rows * s.cols;
  const x = randomBuffer(ctx, n, `${name} x`, -5, 5);
  const y = ctx.pool.acquire(4 * n, `${name} y`);
  const dy = randomBuffer(ctx, n, `${name} dy`);
  const dx = ctx.pool.acquire(4 * n, `${name} dx`);
  const op = await softmaxRows(ctx.kernels, s);
  const shape = `batch ${s.batch}, rows ${s.rows}, cols ${s.cols}`;
  return [
    { name: `${name} forward`, shape, dispatches: [op.forward({ x, y }, `${name} forward`)] },
    { name: `${name} backward`, shape, dispatches: [op.backward({ y, dy, dx }, `${name} backward`)] },
  ];
}

async function reduceEntry(ctx: GpuContext, name: string, s: ReduceRowsShape): Promise<BenchEntry> {
  const x = randomBuffer(ctx, s.rows * s.batch * s.cols, `${name} x`);
  const out = ctx.pool.acquire(4 * s.rows * s.cols, `${name} out`);
  const op = await reduceRows(ctx.kernels, s);
  const lanes = `workgroup ${s.wgCols ?? 16} cols x ${s.wgBatch ?? 16} batch lanes`;
  return { name, shape: `rows ${s.rows}, batch ${s.batch}, cols ${s.cols}, ${lanes}`, dispatches: [op({ x, out }, name)] };
}

async function optimizerEntries(ctx: GpuContext, replicas: number, size: number, tag: string): Promise<BenchEntry[]> {
  const n = replicas * size;
  const param = randomBuffer(ctx, n, `sgd ${tag} param`);
  const grad = randomBuffer(ctx, n, `sgd ${tag} grad`, -1e-3, 1e-3);
  const velocity = randomBuffer(ctx, n, `sgd ${tag} velocity`, -1e-3, 1e-3);
  const lr = randomBuffer(ctx, replicas, `sgd ${tag} lr`, 0.01, 0.1);
  const momentum = randomBuffer(ctx, replicas, `sgd ${tag} momentum`, 0.8, 0.9);
  const shape = `replicas ${replicas}, size ${size}`;
  const update = await sgdUpdate(ctx.kernels, { replicas, size });
  const withMomentum = await sgdMomentum(ctx.kernels, { replicas, size });
  return [
    { name: `sgdUpdate ${tag}`, shape, dispatches: [update({ param, grad, lr }, `sgdUpdate ${tag}`)] },
    { name: `sgdMomentum ${tag}`, shape, dispatches: [withMomentum({ param, grad, velocity, lr, momentum }, `sgdMomentum ${tag}`)] },
  ];
}

/** `slots` draws for each of `count` keys: the generators' share of a step (Scan & Snap draws 5 per token). */
async function counterHashEntry(ctx: GpuContext, name: string, count: number, slots: number): Promise<BenchEntry> {
  const keys = ctx.pool.upload(Uint32Array.from({ length: count }, (_, i) => Math.imul(i, 0x2545f491) >>> 0), `${name} keys`);
  const out = ctx.pool.acquire(4 * count * slots, `${name} out`);
  const op = await counterHash(ctx.kernels, { count, slots });
  return { name, shape: `${count} keys × ${slots} draws`, dispatches: [op.draws({ keys, out }, name)] };
}

export async function benchEntries(ctx: GpuContext, { quick }: BenchEntryOptions): Promise<BenchEntry[]> {
  if (quick) {
    return [
      await gemmEntry(ctx, 'gemm 32^3', { batch: 1, M: 32, N: 32, K: 32 }),
    await gemmSplitKEntry(ctx, 'gemmSplitK quick', { batch: 2, M: 8, N: 8, K: 64, splits: 2 }),
      ...(await optimizerEntries(ctx, 2, 1000, 'quick')),
      ...(await softmaxEntries(ctx, 'softmaxRows quick', { batch: 2, rows: 8, cols: 20 })),
      await reduceEntry(ctx, 'reduceRows quick', { rows: 2, batch: 16, cols: 40, scale: 1 / 16 }),
      await counterHashEntry(ctx, 'counterHash quick', 1000, 5),
    ];
  }
  const cube = { batch: 1, M: 512, N: 512, K: 512 };
  // The products the tuner chooses among on this adapter, each on the same cube (the tuner times a model's own
  // shapes; these rows show the variants side by side, e.g. on a lent GPU).
  const variants = gemmVariants(cube, ctx.adapter.isSoftware, ctx.device.features.has('subgroups'));
  return [
    await gemmEntry(ctx, 'gemm 512^3', cube),
    ...(await Promise.all(variants.map((v, i) => gemmEntry(ctx, `gemm 512^3 variant ${i + 1} (${variantText(v)})`, { ...cube, ...v }, true)))),
    // ICL forward: W_K (and W_Q, W_V) times every token of every prompt, one matrix per replica.
    await gemmEntry(ctx, 'gemm icl W.P', { batch: REPLICAS, M: 40, N: ICL_TOKENS, K: 40 }),
    // ICL backward: a weight gradient sums over every token of the batch (K is the long axis).
    await gemmEntry(ctx, 'gemm icl dW', { batch: REPLICAS, M: 40, N: 40, K: ICL_TOKENS, transB: true }),
    // The same gradient split along K: the automatic count (16 splits of 336: 256 workgroups), and 42 splits
    // of 128 (672 workgroups) to show what a higher workgroup target would buy.
    await gemmSplitKEntry(ctx, 'gemmSplitK icl dW', { batch: REPLICAS, M: 40, N: 40, K: ICL_TOKENS, transB: true }),
    await gemmSplitKEntry(ctx, 'gemmSplitK icl dW 42 splits', { batch: REPLICAS, M: 40, N: 40, K: ICL_TOKENS, transB: true, splits: 42 }),
    // The ICL model's own weight gradients (dW_Q = d(W_Q p_q)^T p_q): K is the batch of 256 prompts.
    await gemmEntry(ctx, 'gemm icl dW_Q', { batch: REPLICAS, M: 40, N: 40, K: 256, transA: true }),
    await gemmSplitKEntry(ctx, 'gemmSplitK icl dW_Q', { batch: REPLICAS, M: 40, N: 40, K: 256, transA: true }),
    // 2 splits of 128: what a 128-deep floor on the split would give (the automatic rule gives 16 of 16).
    await gemmSplitKEntry(ctx, 'gemmSplitK icl dW_Q 2 splits', { batch: REPLICAS, M: 40, N: 40, K: 256, transA: true, splits: 2 }),
    // Scan & Snap's dY as a dense product (vn^T dLogit over the batch of 128 sequences, M = 240 rows): 256 tiles
    // already, so the automatic rule does not split it; 4 splits shows that splitting it does not pay.
    await gemmEntry(ctx, 'gemm scansnap dY', { batch: REPLICAS, M: 240, N: 240, K: 128, transA: true }),
    await gemmSplitKEntry(ctx, 'gemmSplitK scansnap dY 4 splits', { batch: REPLICAS, M: 240, N: 240, K: 128, transA: true, splits: 4 }),
    // ICL MLP: W_O (m x dV) times the batch's attention outputs.
    await gemmEntry(ctx, 'gemm icl W_O.h', { batch: REPLICAS, M: 64, N: 256, K: 40 }),
    ...(await optimizerEntries(ctx, REPLICAS, 40 * 40, 'icl W_Q')),
    ...(await optimizerEntries(ctx, REPLICAS, 2 ** 18, '1M')),
    ...(await softmaxEntries(ctx, 'softmaxRows icl', { batch: REPLICAS * 256, rows: 1, cols: 20 })),
    ...(await softmaxEntries(ctx, 'softmaxRows scansnap', { batch: REPLICAS * 128, rows: 1, cols: 127 })),
    await reduceEntry(ctx, 'reduceRows icl dW', { rows: REPLICAS, batch: 256, cols: 40 * 40, scale: 1 / 256 }),
    // Same sum without the tree (one thread per column): workgroup barriers are what SwiftShader pays most for.
    await reduceEntry(ctx, 'reduceRows icl dW no tree', { rows: REPLICAS, batch: 256, cols: 40 * 40, scale: 1 / 256, wgCols: 64, wgBatch: 1 }),
    // A batch-mean loss: few outputs, so the tree is what spreads the batch over threads.
    await reduceEntry(ctx, 'reduceRows icl loss', { rows: REPLICAS, batch: 256, cols: 1, scale: 1 / 256 }),
    // The draws of a Syn-Medium step at R = 16: 128 sequences of 128 tokens per replica, 5 draws a token.
    await counterHashEntry(ctx, 'counterHash scansnap R=16', 16 * 128 * 128, 5),
  ];
}
