// Bench entries for the transformer's layer kernels: tokenEmbedding, positionalEncoding, layerNorm, dropout and
// gemm's bias / activation epilogues, at two sizes: Tian et al.'s WikiText model (the PyTorch tutorial's
// TransformerModel: R 1, B 20, T 35, dModel 200, dFF 200, V 10 000) and a GPT-2-small block (dModel 768,
// dFF 3072, T 1024, B 2, V 50 257). On a software adapter the GPT-2 rows use T 64, B 1 (the gemms alone
// would take minutes a run on SwiftShader); the shapes say so.
import type { GpuContext } from '../../src/runtime/context';
import { tokenEmbedding, tokenEmbeddingScratchBytes } from '../../src/kernels/tokenEmbedding';
import { positionalEncoding, sinusoidalTable } from '../../src/kernels/positionalEncoding';
import { layerNorm, layerNormPartialsBytes, type LayerNormShape } from '../../src/kernels/layerNorm';
import { dropout } from '../../src/kernels/dropout';
import { gemm, gemmActivationGrad, gemmBias, type GemmActivation } from '../../src/kernels/gemm';
import { Random } from '../../src/util/random';
import { randomBuffer } from '../support';
import type { BenchEntry, BenchEntryOptions } from '../types';

interface Size {
  tag: string;
  replicas: number;
  batch: number;
  T: number;
  dModel: number;
  dFF: number;
  vocab: number;
  /** Said in every row's shape (e.g. that the size was shrunk for a software adapter). */
  note?: string;
}

function sizeText(z: Size): string {
  return `${z.note ? `${z.note}: ` : ''}R ${z.replicas}, B ${z.batch}, T ${z.T}, dModel ${z.dModel}`;
}

async function embeddingEntries(ctx: GpuContext, z: Size): Promise<BenchEntry[]> {
  // SwiftShader pays about 10 µs per workgroup: the variant strides 16 row groups over the whole vocabulary.
  const fewGroups = { backwardRowGroups: 16 };
  const shape = { replicas: z.replicas, batch: z.batch, T: z.T, dModel: z.dModel, vocab: z.vocab, scaleEmbed: true };
  const rng = new Random(z.vocab);
  const tokens = ctx.pool.upload(Uint32Array.from({ length: z.replicas * z.batch * (z.T + 1) }, () => rng.int(z.vocab)), `${z.tag} tokens`);
  const n = z.replicas * z.batch * z.T * z.dModel;
  const embed = randomBuffer(ctx, z.replicas * z.vocab * z.dModel, `${z.tag} embed`);
  const x = ctx.pool.acquire(4 * n, `${z.tag} x`);
  const dx = randomBuffer(ctx, n, `${z.tag} dx`);
  const dEmbed = ctx.pool.acquire(4 * z.replicas * z.vocab * z.dModel, `${z.tag} dEmbed`);
  const scratch = tokenEmbeddingScratchBytes(shape);
  const sortedPairs = ctx.pool.acquire(scratch.sortedPairs, `${z.tag} sortedPairs`);
  const segmentStarts = ctx.pool.acquire(scratch.segmentStarts, `${z.tag} segmentStarts`);
  const op = await tokenEmbedding(ctx.kernels, shape);
  const strided = await tokenEmbedding(ctx.kernels, { ...shape, ...fewGroups });
  const text = `${sizeText(z)}, V ${z.vocab}`;
  return [
    { name: `tokenEmbedding forward ${z.tag}`, shape: text, dispatches: [op.forward({ tokens, embed, x }, `tokenEmbedding forward ${z.tag}`)] },
    {
      name: `tokenEmbedding backward ${z.tag}`,
      shape: `${text}: sort + segments + sum (every row of dEmbed written)`,
      dispatches: op.backward({ tokens, dx, sortedPairs, segmentStarts, dEmbed }, `tokenEmbedding backward ${z.tag}`),
    },
    {
      name: `tokenEmbedding backward ${z.tag} (16 row groups)`,
      shape: `${text}: the sum's workgroups stride over the vocabulary`,
      dispatches: strided.backward({ tokens, dx, sortedPairs, segmentStarts, dEmbed }, `tokenEmbedding backward ${z.tag} (16 row groups)`),
    },
  ];
}

async function positionalEntries(ctx: GpuContext, z: Size): Promise<BenchEntry[]> {
  const n = z.replicas * z.batch * z.T * z.dModel;
  const x = randomBuffer(ctx, n, `${z.tag} pe x`);
  const table = ctx.pool.upload(sinusoidalTable(z.T, z.dModel), `${z.tag} sinusoidal`);
  const pos = randomBuffer(ctx, z.replicas * z.T * z.dModel, `${z.tag} pos`);
  const dpos = ctx.pool.acquire(4 * z.replicas * z.T * z.dModel, `${z.tag} dpos`);
  const sinusoidal = await positionalEncoding(ctx.kernels, { replicas: z.replicas, batch: z.batch, T: z.T, dModel: z.dModel });
  const learnedShape = { replicas: z.replicas, batch: z.batch, T: z.T, dModel: z.dModel, peStride: z.T * z.dModel };
  const learned = await positionalEncoding(ctx.kernels, learnedShape);
  // reduceRows without its tree (a thread per column): what SwiftShader prefers.
  const noTree = await positionalEncoding(ctx.kernels, { ...learnedShape, backwardWgBatch: 1, backwardWgCols: 64 });
  return [
    { name: `positionalEncoding add ${z.tag}`, shape: `${sizeText(z)}, sinusoidal table`, dispatches: [sinusoidal.add({ x, pe: table }, `positionalEncoding add ${z.tag}`)] },
    { name: `positionalEncoding backward ${z.tag}`, shape: `${sizeText(z)}, learned pos`, dispatches: [learned.backward({ dx: x, dpos }, `positionalEncoding backward ${z.tag}`)] },
    {
      name: `positionalEncoding backward ${z.tag} (no tree)`,
      shape: `${sizeText(z)}, learned pos, a thread per column`,
      dispatches: [noTree.backward({ dx: x, dpos }, `positionalEncoding backward ${z.tag} (no tree)`)],
    },
  ];
}

async function layerNormEntries(ctx: GpuContext, z: Size, variant: Partial<LayerNormShape>, variantText: string): Promise<BenchEntry[]> {
  const shape: LayerNormShape = { replicas: z.replicas, rows: z.batch * z.T, dModel: z.dModel, ...variant };
  const rows = z.replicas * shape.rows;
  const n = rows * z.dModel;
  const label = `${z.tag} layerNorm${variantText}`;
  const x = randomBuffer(ctx, n, `${label} x`);
  const g = randomBuffer(ctx, z.replicas * z.dModel, `${label} g`, 0.5, 1.5);
  const b = randomBuffer(ctx, z.replicas * z.dModel, `${label} b`);
  const y = ctx.pool.acquire(4 * n, `${label} y`);
  const mean = ctx.pool.acquire(4 * rows, `${label} mean`);
  const rstd = ctx.pool.acquire(4 * rows, `${label} rstd`);
  const dy = randomBuffer(ctx, n, `${label} dy`);
  const dx = ctx.pool.acquire(4 * n, `${label} dx`);
  const partials = ctx.pool.acquire(layerNormPartialsBytes(shape), `${label} partials`);
  const dg = ctx.pool.acquire(4 * z.replicas * z.dModel, `${label} dg`);
  const db = ctx.pool.acquire(4 * z.replicas * z.dModel, `${label} db`);
  const op = await layerNorm(ctx.kernels, shape);
  const forward = op.forward({ x, g, b, y, mean, rstd }, `layerNorm forward ${z.tag}${variantText}`);
  const threads = shape.rowThreads ?? 32;
  const text = `${sizeText(z)}, ${threads} thread${threads === 1 ? '' : 's'} a row`;
  return [
    { name: `layerNorm forward ${z.tag}${variantText}`, shape: text, dispatches: [forward] },
    { name: `layerNorm backward ${z.tag}${variantText}`, shape: text, dispatches: [op.backward({ x, g, mean, rstd, dy, dx }, `layerNorm backward ${z.tag}${variantText}`)] },
    {
      name: `layerNorm backwardParams ${z.tag}${variantText}`,
      shape: `${sizeText(z)}, blocks of ${shape.paramBlockRows ?? 64} rows + finish`,
      dispatches: op.backwardParams({ x, mean, rstd, dy, partials, dg, db }, `layerNorm backwardParams ${z.tag}${variantText}`),
    },
  ];
}

async function dropoutEntry(ctx: GpuContext, z: Size): Promise<BenchEntry> {
  const size = z.batch * z.T * z.dFF;
  const x = randomBuffer(ctx, z.replicas * size, `${z.tag} dropout x`);
  const y = ctx.pool.acquire(4 * z.replicas * size, `${z.tag} dropout y`);
  const seeds = ctx.pool.upload(Uint32Array.from({ length: z.replicas }, (_, r) => 1 + r), `${z.tag} seeds`);
  const step = ctx.pool.upload(new Uint32Array([3]), `${z.tag} step`);
  const op = await dropout(ctx.kernels, { replicas: z.replicas, size, p: 0.1, layer: 0, site: 3 });
  return { name: `dropout FFN hidden ${z.tag}`, shape: `${sizeText(z)}, dFF ${z.dFF}, p 0.1`, dispatches: [op.apply({ x, y, seeds, step }, `dropout ${z.tag}`)] };
}

/** The FFN's first linear layer (x W_1ᵀ + b_1, then act) plain and with each epilogue, and dH = (dY W_2) ∘ act'(pre). */
async function gemmEntries(ctx: GpuContext, z: Size): Promise<BenchEntry[]> {
  const rows = z.batch * z.T;
  const label = `${z.tag} ffn`;
  const x = randomBuffer(ctx, z.replicas * rows * z.dModel, `${label} x`);
  const W1 = randomBuffer(ctx, z.replicas * z.dFF * z.dModel, `${label} W_1`, -0.05, 0.05);
  const b1 = randomBuffer(ctx, z.replicas * z.dFF, `${label} b_1`);
  const W2 = randomBuffer(ctx, z.replicas * z.dModel * z.dFF, `${label} W_2`, -0.05, 0.05);
  const dY = randomBuffer(ctx, z.replicas * rows * z.dModel, `${label} dY`);
  const H = ctx.pool.acquire(4 * z.replicas * rows * z.dFF, `${label} H`);
  const pre = randomBuffer(ctx, z.replicas * rows * z.dFF, `${label} pre`, -3, 3);
  const forward = { batch: z.replicas, M: rows, N: z.dFF, K: z.dModel, transB: true };
  const text = `${z.note ? `${z.note}: ` : ''}batch ${z.replicas}, M ${rows}, N ${z.dFF}, K ${z.dModel}, transB`;
  const entries: BenchEntry[] = [
    { name: `gemm ${z.tag} FFN W_1 plain`, shape: text, dispatches: [(await gemm(ctx.kernels, forward))({ A: x, B: W1, C: H }, `gemm ${z.tag} plain`)] },
  ];
  for (const activation of ['none', 'relu', 'gelu'] as const) {
    const op = await gemmBias(ctx.kernels, { ...forward, activation });
    const name = `gemm ${z.tag} FFN W_1 bias${activation === 'none' ? '' : ` ${activation}`}`;
    entries.push({ name, shape: text, dispatches: [op({ A: x, B: W1, C: H, bias: b1, ...(activation !== 'none' && { pre }) }, name)] });
  }
  for (const activation of ['relu', 'gelu'] as GemmActivation[]) {
    const op = await gemmActivationGrad(ctx.kernels, { batch: z.replicas, M: rows, N: z.dFF, K: z.dModel, activation });
    const name = `gemm ${z.tag} FFN dH activationGrad ${activation}`;
    entries.push({ name, shape: text.replace(', transB', ''), dispatches: [op({ A: dY, B: W2, C: H, pre }, name)] });
  }
  return entries;
}

export async function benchEntries(ctx: GpuContext, { quick }: BenchEntryOptions): Promise<BenchEntry[]> {
  const software = ctx.adapter.isSoftware;
  const sizes: Size[] = quick
    ? [{ tag: 'quick', replicas: 1, batch: 2, T: 4, dModel: 8, dFF: 16, vocab: 20 }]
    : [
      { tag: 'tian', replicas: 1, batch: 20, T: 35, dModel: 200, dFF: 200, vocab: 10000 },
      software
        ? { tag: 'gpt2', replicas: 1, batch: 1, T: 64, dModel: 768, dFF: 3072, vocab: 50257, note: 'shrunk from B 2, T 1024 (software adapter)' }
        : { tag: 'gpt2', replicas: 1, batch: 2, T: 1024, dModel: 768, dFF: 3072, vocab: 50257 },
    ];
  const entries: BenchEntry[] = [];
  for (const z of sizes) {
    entries.push(...(await embeddingEntries(ctx, z)));
    entries.push(...(await positionalEntries(ctx, z)));
    entries.push(...(await layerNormEntries(ctx, z, {}, '')));
    // A thread per row without barriers and one block for the parameter sums: the SwiftShader-friendly variant.
    entries.push(...(await layerNormEntries(ctx, z, { rowThreads: 1, rowsPerWorkgroup: 64, paramBlockRows: z.batch * z.T }, ' (1 thread a row)')));
    entries.push(await dropoutEntry(ctx, z));
    entries.push(...(await gemmEntries(ctx, z)));
  }
  return entries;
}
