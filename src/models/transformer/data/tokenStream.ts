// Language-model data from token streams on the GPU: both streams are uploaded once; a training step's windows
// are cut from the training stream (shaders/tokenWindows.wgsl) at random offsets per (seed, replica, step), or in
// the PyTorch tutorial's order (batch columns, consecutive bptt windows, epochs wrapping); the held-out chunks and
// the metrics' sample are fixed sequential windows of the held-out stream, so evaluation always sees the same
// sequences.
//
// A stream larger than one binding (the adapter's maxStorageBufferBindingSize / maxBufferSize, or `chunkTokens`):
//   training ('sequential' only): an epoch's windows are dealt into pieces of at least MIN_PIECE_WINDOWS / 2
//     consecutive windows; a piece holds the tokens of its windows in every column ([batch][windows·T + 1]), so the
//     same kernel cuts the same windows from it with a local window index. Two buffers take turns: the kernel reads
//     the resident one while the next piece is written into the other (queue.writeBuffer, ordered after the work
//     already submitted), and a copy on the GPU swaps it in before the step that needs it; a per-step copy sets the
//     local window index. Same windows, same bits as the whole stream.
//   held-out: only the windows the evaluation and the sample read are uploaded (each column's first ones).
import type { GpuContext } from '../../../runtime/context';
import { sequentialLayout, tokenWindows } from '../../../kernels/tokenWindows';
import type { BeforeStep } from '../../../engine/trainer';
import type { TransformerRunConfig } from '../config';
import type { BuiltData } from './index';

/** Windows a piece may hold at most is at least this (balanced pieces then hold at least half, >= a submission's steps). */
export const MIN_PIECE_WINDOWS = 64;

export interface TokenStreamOptions {
  /** Upload a training stream of more tokens than this in pieces of about this size (0: only beyond the adapter's binding limit). */
  chunkTokens?: number;
}

/** How an epoch of `windows` sequential windows is cut into pieces of at most `maxWindows`: balanced, in order. */
export function pieceLayout(windows: number, maxWindows: number): { starts: number[]; sizes: number[]; widest: number } {
  const count = Math.ceil(windows / maxWindows);
  const sizes = Array.from({ length: count }, (_, p) => Math.floor(((p + 1) * windows) / count) - Math.floor((p * windows) / count));
  const starts = sizes.map((_, p) => Math.floor((p * windows) / count));
  return { starts, sizes, widest: Math.max(...sizes) };
}

/** The first `windows` sequential windows of each of `columns` columns of `stream`, as a stream of their own. */
function leadingWindows(stream: Uint32Array, columns: number, T: number, windows: number): Uint32Array<ArrayBuffer> {
  const { column } = sequentialLayout({ batch: columns, T, stream: stream.length });
  const width = windows * T + 1;
  const out = new Uint32Array(columns * width);
  for (let b = 0; b < columns; b++) out.set(stream.subarray(b * column, b * column + width), b * width);
  return out;
}

export async function buildTokenStreamData(
  ctx: GpuContext, c: TransformerRunConfig, rng: { seeds: GPUBuffer; step: GPUBuffer },
  streams: { train: Uint32Array<ArrayBuffer>; held: Uint32Array<ArrayBuffer> }, label: (id: number) => string = String,
  trainOrder: 'random' | 'sequential' = 'random', options: TokenStreamOptions = {},
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
  const limits = ctx.device.limits;
  const bindingTokens = Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 4);
  const pieceTokens = options.chunkTokens ? Math.min(options.chunkTokens, bindingTokens) : bindingTokens;

  const tokens = acquire(R * c.batch * (c.T + 1), 'tokens');
  const sampleTokens = acquire(R * c.sampleSize * (c.T + 1), 'sample tokens');
  // The chunk index plays the step of the sequential windows: a table of 256-byte aligned u32s, one per chunk.
  const chunks = Math.ceil(c.evalSize / c.batch);
  const table = new Uint32Array(64 * chunks);
  for (let i = 0; i < chunks; i++) table[64 * i] = i;
  const chunkIndex = upload(table, 'held-out chunk table');
  const chunk = (i: number) => ({ buffer: chunkIndex, offset: 256 * i, size: 4 });

  // Held-out: the whole stream when it fits, else only the windows read (the same windows either way).
  const heldFits = streams.held.length <= bindingTokens;
  const evalStream = heldFits ? streams.held : leadingWindows(streams.held, c.batch, c.T, chunks);
  const sampleStream = heldFits ? streams.held : leadingWindows(streams.held, c.sampleSize, c.T, 1);
  const evalBuffer = upload(evalStream, 'held-out stream');
  const sampleBuffer = heldFits ? evalBuffer : upload(sampleStream, 'held-out sample stream');

  const [heldWindows, sampleWindows] = await Promise.all([
    tokenWindows(ctx.kernels, { replicas: R, batch: c.batch, T: c.T, stream: evalStream.length, order: 'sequential' }),
    tokenWindows(ctx.kernels, { replicas: R, batch: c.sampleSize, T: c.T, stream: sampleStream.length, order: 'sequential' }),
  ]);
  const train = streams.train.length <= pieceTokens
    ? await wholeTrainingStream(ctx, c, rng, streams.train, trainOrder, upload, tokens)
    : await piecedTrainingStream(ctx, c, rng, streams.train, trainOrder, pieceTokens, upload, acquire, tokens);
  return {
    batch: { tokens },
    train: train.dispatches,
    hostInputs: train.hostInputs,
    evalChunks: Array.from({ length: chunks }, (_, i) => [heldWindows({ stream: evalBuffer, step: chunk(i), seeds: rng.seeds, tokens }, `tokenWindows held-out ${i}`)]),
    evalCount: chunks * c.batch,
    sample: { batch: { tokens: sampleTokens }, fill: [sampleWindows({ stream: sampleBuffer, step: chunk(0), seeds: rng.seeds, tokens: sampleTokens }, 'tokenWindows sample')] },
    // The first sample sequence is the first window of the held-out stream's first column.
    sampleLabels: Array.from(streams.held.subarray(0, c.T), label),
    release: () => owned.forEach((b) => ctx.pool.release(b)),
  };
}

type Upload = (data: Uint32Array<ArrayBuffer>, label: string) => GPUBuffer;

async function wholeTrainingStream(
  ctx: GpuContext, c: TransformerRunConfig, rng: { seeds: GPUBuffer; step: GPUBuffer }, stream: Uint32Array<ArrayBuffer>,
  order: 'random' | 'sequential', upload: Upload, tokens: GPUBuffer,
) {
  const buffer = upload(stream, 'train stream');
  const windows = await tokenWindows(ctx.kernels, { replicas: c.replicas, batch: c.batch, T: c.T, stream: stream.length, order });
  return { dispatches: [windows({ stream: buffer, step: rng.step, seeds: rng.seeds, tokens }, 'tokenWindows train')], hostInputs: undefined };
}

async function piecedTrainingStream(
  ctx: GpuContext, c: TransformerRunConfig, rng: { seeds: GPUBuffer }, stream: Uint32Array<ArrayBuffer>, order: 'random' | 'sequential',
  pieceTokens: number, upload: Upload, acquire: (words: number, label: string) => GPUBuffer, tokens: GPUBuffer,
) {
  const { batch: B, T } = c;
  if (order !== 'sequential') {
    throw new RangeError(
      `transformer data: the training stream has ${stream.length} tokens, more than one binding holds (${pieceTokens}); ` +
        "trainOrder 'random' cuts windows anywhere in it, so it needs the whole stream: use trainOrder 'sequential' (uploaded in pieces)",
    );
  }
  const maxWindows = Math.floor((Math.floor(pieceTokens / B) - 1) / T);
  if (maxWindows < MIN_PIECE_WINDOWS) {
    throw new RangeError(
      `transformer data: pieces of ${pieceTokens} tokens hold ${Math.max(0, maxWindows)} windows of batch = ${B} columns and T = ${T}; ` +
        `at least ${MIN_PIECE_WINDOWS} are needed: raise chunkTokens to at least ${B * (MIN_PIECE_WINDOWS * T + 1)}, or lower batch or T`,
    );
  }
  const { column, windows } = sequentialLayout({ batch: B, T, stream: stream.length });
  const pieces = pieceLayout(windows, maxWindows);
  const width = pieces.widest * T + 1;
  const pieceData = (p: number) => {
    const data = new Uint32Array(B * width);
    const length = pieces.sizes[p] * T + 1;
    for (let b = 0; b < B; b++) data.set(stream.subarray(b * column + pieces.starts[p] * T, b * column + pieces.starts[p] * T + length), b * width);
    return data;
  };
  const resident = upload(pieceData(0), 'train stream piece (resident)');
  const next = acquire(B * width, 'train stream piece (next)');
  const localStep = acquire(1, 'train stream window in piece');
  const localTable = acquire(64, 'train stream windows in piece, per step');
  const kernel = await tokenWindows(ctx.kernels, { replicas: c.replicas, batch: B, T, stream: B * width, order: 'sequential' });
  const pieceOf = (step: number) => {
    const w = step % windows;
    let p = 0;
    while (p + 1 < pieces.starts.length && pieces.starts[p + 1] <= w) p++;
    return p;
  };
  const queue = ctx.device.queue;
  const held = { resident: 0, next: -1 };
  const hostInputs = (first: number, count: number): BeforeStep => {
    if (count > localTable.size / 4) throw new RangeError(`transformer data: ${count} steps in one submission; pieced streams take at most ${localTable.size / 4}`);
    const local = new Uint32Array(count);
    let swapAt = -1;
    let current = held.resident;
    for (let i = 0; i < count; i++) {
      const p = pieceOf(first + i);
      if (p !== current) {
        if (swapAt >= 0) throw new RangeError(`transformer data: steps ${first}..${first + count - 1} cross two pieces of the training stream; a submission may cross one`);
        swapAt = i;
        current = p;
      }
      local[i] = (first + i) % windows - pieces.starts[p];
    }
    if (swapAt === 0 && held.next !== current) {
      // A jump (first call, resume): the piece goes straight into the resident buffer.
      queue.writeBuffer(resident, 0, pieceData(current));
      held.resident = current;
      swapAt = -1;
    } else if (swapAt >= 0 && held.next !== current) {
      queue.writeBuffer(next, 0, pieceData(current));
      held.next = current;
    }
    if (swapAt >= 0) held.resident = current;
    else {
      // No swap in this submission: prefetch the piece after the resident one into the idle buffer.
      const following = (held.resident + 1) % pieces.starts.length;
      if (held.next !== following && pieces.starts.length > 1) {
        queue.writeBuffer(next, 0, pieceData(following));
        held.next = following;
      }
    }
    queue.writeBuffer(localTable, 0, local);
    return (encoder, index) => {
      if (index === swapAt) encoder.copyBufferToBuffer(next, 0, resident, 0, 4 * B * width);
      encoder.copyBufferToBuffer(localTable, 4 * index, localStep, 0, 4);
    };
  };
  return { dispatches: [kernel({ stream: resident, step: localStep, seeds: rng.seeds, tokens }, 'tokenWindows train (piece)')], hostInputs };
}
