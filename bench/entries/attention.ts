// Bench entries for fused attention (shaders/attention.wgsl): the PyTorch transformer tutorial's size that Tian
// et al. train (B 20, T 35, dModel 200, one head) and a GPT-2-small block (dModel 768, 12 heads, T 1024), both
// causal, forward and backward (its two dispatches timed as one row), plus the metrics' probabilities entry.
// Flops are the dot products each dispatch performs on the query-key pairs it uses (T(T+1)/2 per causal head;
// tiles wholly above the diagonal are skipped, so not counted): forward 4·dHead per pair, backward 14·dHead
// (6 in the dQ pass, 8 in the dK/dV pass: S and dO·Vᵀ are recomputed in both; the usual count is 10). The
// thread-per-row variant ("by row", a CPU adapter's default) recomputes S in its forward: 6·dHead there.
import type { GpuContext } from '../../src/runtime/context';
import { attention, attentionProbabilities, type AttentionProbabilitiesShape, type AttentionShape } from '../../src/kernels/attention';
import { randomBuffer } from '../support';
import type { BenchEntry, BenchEntryOptions } from '../types';

function shapeText(s: AttentionShape | AttentionProbabilitiesShape, note = ''): string {
  const dropout = 'dropout' in s && s.dropout ? `, dropout ${s.dropout}` : '';
  return `R ${s.replicas}, B ${s.batch}, T ${s.T}, dModel ${s.dModel}, ${s.nHeads} head${s.nHeads > 1 ? 's' : ''} of ${s.dModel / s.nHeads}, ${s.causal ? 'causal' : 'full'}${dropout}${note}`;
}

async function attentionEntries(ctx: GpuContext, name: string, s: AttentionShape, note = ''): Promise<BenchEntry[]> {
  const Z = s.replicas * s.batch;
  const qkv = randomBuffer(ctx, Z * s.T * 3 * s.dModel, `${name} qkv`);
  const dO = randomBuffer(ctx, Z * s.T * s.dModel, `${name} dO`);
  const o = ctx.pool.acquire(4 * Z * s.T * s.dModel, `${name} o`);
  const lse = ctx.pool.acquire(4 * Z * s.nHeads * s.T, `${name} lse`);
  const delta = ctx.pool.acquire(4 * Z * s.nHeads * s.T, `${name} delta`);
  const dQKV = ctx.pool.acquire(4 * Z * s.T * 3 * s.dModel, `${name} dQKV`);
  const seeds = ctx.pool.upload(Uint32Array.from({ length: s.replicas }, (_, r) => 1 + r), `${name} seeds`);
  const step = ctx.pool.upload(new Uint32Array([3]), `${name} step`);
  const op = await attention(ctx.kernels, s);
  const tiles = (t: { rows: number; tile: number; lanes: number }) => `${t.rows}/${t.tile}/${t.lanes}`;
  const shape = shapeText(s, note);
  // The forward runs first so that the backward reads a real O and lse.
  const forward = op.forward({ qkv, o, lse, seeds, step }, `${name} forward`);
  return [
    { name: `${name} forward`, shape: `${shape}; ${op.tiles ? `rows/tile/lanes ${tiles(op.tiles.forward)}` : 'thread per row'}`, dispatches: [forward] },
    {
      name: `${name} backward`,
      shape: `${shape}; ${op.tiles ? `rows/tile/lanes dQ ${tiles(op.tiles.backwardQuery)}, dK dV ${tiles(op.tiles.backwardKeyValue)}` : 'thread per row'}`,
      dispatches: op.backward({ qkv, o, lse, dO, delta, dQKV, seeds, step }, `${name} backward`),
    },
  ];
}

async function probabilitiesEntry(ctx: GpuContext, name: string, s: AttentionProbabilitiesShape): Promise<BenchEntry> {
  const Z = s.replicas * s.batch;
  const qkv = randomBuffer(ctx, Z * s.T * 3 * s.dModel, `${name} qkv`);
  const probs = ctx.pool.acquire(4 * Z * s.nHeads * s.T * s.T, `${name} probs`);
  const op = await attentionProbabilities(ctx.kernels, s);
  const variant = op.tiles ? `rows/tile/lanes ${op.tiles.rows}/${op.tiles.tile}/${op.tiles.lanes}` : 'thread per row';
  return { name, shape: `${shapeText(s)}; ${variant}`, dispatches: [op({ qkv, probs }, name)] };
}

export async function benchEntries(ctx: GpuContext, { quick }: BenchEntryOptions): Promise<BenchEntry[]> {
  if (quick) {
    const tiny: AttentionProbabilitiesShape = { replicas: 2, batch: 2, T: 8, dModel: 8, nHeads: 2, causal: true };
    return [
      ...(await attentionEntries(ctx, 'attention quick', { ...tiny, dropout: 0.1 })),
      ...(await attentionEntries(ctx, 'attention quick by row', { ...tiny, dropout: 0.1, threadPerRow: true })),
      await probabilitiesEntry(ctx, 'attention quick probabilities', tiny),
    ];
  }
  const tian: AttentionShape = { replicas: 1, batch: 20, T: 35, dModel: 200, nHeads: 1, causal: true };
  // GPT-2 small at its full context; on a software adapter a quarter of it (T 256, one sequence) keeps the run
  // short, and the shape text says so.
  const software = ctx.adapter.isSoftware;
  const gpt2: AttentionShape = { replicas: 1, batch: software ? 1 : 2, T: software ? 256 : 1024, dModel: 768, nHeads: 12, causal: true };
  const shrunk = software ? ' (shrunk from B 2, T 1024 for a software adapter)' : '';
  return [
    ...(await attentionEntries(ctx, 'attention tian', tian)),
    ...(await attentionEntries(ctx, 'attention tian dropout', { ...tian, dropout: 0.1 })),
    ...(await attentionEntries(ctx, 'attention gpt2', gpt2, shrunk)),
    ...(await attentionEntries(ctx, 'attention gpt2 dropout', { ...gpt2, dropout: 0.1 }, shrunk)),
    // The thread-per-row variant (the default on a CPU adapter) at the same shapes.
    ...(await attentionEntries(ctx, 'attention tian by row', { ...tian, threadPerRow: true })),
    ...(await attentionEntries(ctx, 'attention gpt2 by row', { ...gpt2, threadPerRow: true }, shrunk)),
    // GPT-2 on the ICL prompts (the icl-gpt2 preset: 2 replicas, 64 prompts of 21 positions, 2 heads of 32), where
    // attention is a third of a CPU adapter's training step.
    ...(await attentionEntries(ctx, 'attention icl-gpt2 by row', { replicas: 2, batch: 64, T: 21, dModel: 64, nHeads: 2, causal: true, threadPerRow: true })),
    await probabilitiesEntry(ctx, 'attention tian probabilities', { ...tian, batch: 4 }),
    await probabilitiesEntry(ctx, 'attention tian probabilities by row', { ...tian, batch: 4, threadPerRow: true }),
  ];
}
