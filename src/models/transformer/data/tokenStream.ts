// Language-model data from token streams on the GPU: both streams are uploaded once; a training step's windows
// are cut from the training stream (shaders/tokenWindows.wgsl) at random offsets per (seed, replica, step), or in
// the PyTorch tutorial's order (batch columns, consecutive bptt windows, epochs wrapping); the held-out chunks and
// the metrics' sample are fixed sequential windows of the held-out stream, so evaluation always sees the same
// sequences.
import type { GpuContext } from '../../../runtime/context';
import { tokenWindows } from '../../../kernels/tokenWindows';
import type { TransformerRunConfig } from '../config';
import type { BuiltData } from './index';

export async function buildTokenStreamData(
  ctx: GpuContext, c: TransformerRunConfig, rng: { seeds: GPUBuffer; step: GPUBuffer },
  streams: { train: Uint32Array<ArrayBuffer>; held: Uint32Array<ArrayBuffer> }, label: (id: number) => string = String,
  trainOrder: 'random' | 'sequential' = 'random',
): Promise<BuiltData> {
  const R = c.replicas;
  const owned: GPUBuffer[] = [];
  const upload = (data: Uint32Array<ArrayBuffer>, label: string) => {
    const b = ctx.pool.upload(data, `transformer ${label}`);
    owned.push(b);
    return b;
  };
  const acquire = (words: number, label: string) => {
    const b = ctx.pool.acquire(4 * words, `transformer ${label}`);
    owned.push(b);
    return b;
  };
  const trainStream = upload(streams.train, 'train stream');
  const heldStream = upload(streams.held, 'held-out stream');
  const tokens = acquire(R * c.batch * (c.T + 1), 'tokens');
  const sampleTokens = acquire(R * c.sampleSize * (c.T + 1), 'sample tokens');
  // The chunk index plays the step of the sequential windows: a table of 256-byte aligned u32s, one per chunk.
  const chunks = Math.ceil(c.evalSize / c.batch);
  const table = new Uint32Array(64 * chunks);
  for (let i = 0; i < chunks; i++) table[64 * i] = i;
  const chunkIndex = upload(table, 'held-out chunk table');
  const [trainWindows, heldWindows, sampleWindows] = await Promise.all([
    tokenWindows(ctx.kernels, { replicas: R, batch: c.batch, T: c.T, stream: streams.train.length, order: trainOrder }),
    tokenWindows(ctx.kernels, { replicas: R, batch: c.batch, T: c.T, stream: streams.held.length, order: 'sequential' }),
    tokenWindows(ctx.kernels, { replicas: R, batch: c.sampleSize, T: c.T, stream: streams.held.length, order: 'sequential' }),
  ]);
  const chunk = (i: number) => ({ buffer: chunkIndex, offset: 256 * i, size: 4 });
  return {
    batch: { tokens },
    train: [trainWindows({ stream: trainStream, step: rng.step, seeds: rng.seeds, tokens }, 'tokenWindows train')],
    evalChunks: Array.from({ length: chunks }, (_, i) => [heldWindows({ stream: heldStream, step: chunk(i), seeds: rng.seeds, tokens }, `tokenWindows held-out ${i}`)]),
    evalCount: chunks * c.batch,
    sample: { batch: { tokens: sampleTokens }, fill: [sampleWindows({ stream: heldStream, step: chunk(0), seeds: rng.seeds, tokens: sampleTokens }, 'tokenWindows sample')] },
    // The first sample sequence is the first window of the held-out stream's first column.
    sampleLabels: Array.from(streams.held.subarray(0, c.T), label),
    release: () => owned.forEach((b) => ctx.pool.release(b)),
  };
}
