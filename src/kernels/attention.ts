// Host wrapper for shaders/attention.wgsl: fused multi-head attention forward (O, logsumexp), backward (delta and
// dQ, then dK and dV, into dQKV) and the probabilities A for the metrics. Layouts: docs/transformer.md.
// Reference: src/reference/attention.ts.
import type { BufferBinding, Dispatch, KernelLibrary } from '../runtime/kernels';
import type { GpuContext } from '../runtime/context';
import { TuningScratch, type Variant } from '../runtime/tuner';
import { STORAGE } from '../runtime/buffers';
import { dropoutThreshold } from '../util/random';
import { assertPositiveInt } from './grid';

/**
 * A variant of one entry: `rows` rows per workgroup (query rows; key rows for the dK/dV pass), `tile` rows
 * staged per step of the loop (keys; queries for the dK/dV pass), `lanes` threads per row. Absent fields are
 * chosen by `attentionTiles` to fit the adapter's workgroup memory.
 */
export interface AttentionTiles {
  rows?: number;
  tile?: number;
  lanes?: number;
}

export type ChosenTiles = Required<AttentionTiles>;

export interface AttentionShape {
  replicas: number;
  /** Sequences per replica. */
  batch: number;
  T: number;
  dModel: number;
  nHeads: number;
  causal: boolean;
  /** Dropout probability p on the attention probabilities (training), 0 ≤ p < 1; absent or 0: none. */
  dropout?: number;
  /** The layer index in the dropout key (docs/transformer.md). */
  layer?: number;
  forwardTiles?: AttentionTiles;
  /** The delta and dQ pass. */
  queryGradTiles?: AttentionTiles;
  /** The dK and dV pass (rows are key rows, the tile streams queries). */
  keyValueGradTiles?: AttentionTiles;
  /** The thread-per-row entries (no workgroup memory, no barriers: for CPU adapters) instead of the tiled ones. */
  threadPerRow?: boolean;
  /** Threads per workgroup of the thread-per-row entries (default 64). */
  rowWorkgroup?: number;
}

/** Shape of the probabilities entry: a small fixed batch, no dropout. */
export interface AttentionProbabilitiesShape {
  replicas: number;
  batch: number;
  T: number;
  dModel: number;
  nHeads: number;
  causal: boolean;
  tiles?: AttentionTiles;
  threadPerRow?: boolean;
  rowWorkgroup?: number;
}

export interface AttentionForwardBuffers {
  /** [R][B][T][3·dModel], the QKV projection's output. */
  qkv: BufferBinding;
  /** [R][B][T][dModel], heads concatenated. */
  o: BufferBinding;
  /** [R][B][nHeads][T]. */
  lse: BufferBinding;
  /** u32 [R], dropout seed per replica; required when dropout > 0. */
  seeds?: BufferBinding;
  /** u32 [1], the model's step counter; required when dropout > 0. */
  step?: BufferBinding;
}

export interface AttentionBackwardBuffers extends AttentionForwardBuffers {
  /** dL/dO, [R][B][T][dModel]. */
  dO: BufferBinding;
  /** Scratch [R][B][nHeads][T]: rowsum(dO ∘ O), written by the first backward dispatch, read by the second. */
  delta: BufferBinding;
  /** dL/dqkv, [R][B][T][3·dModel]: every element is overwritten. */
  dQKV: BufferBinding;
}

export interface AttentionProbabilitiesBuffers {
  qkv: BufferBinding;
  /** [R][B][nHeads][T][T]. */
  probs: BufferBinding;
}

export interface AttentionLimits {
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
}

type Entry = 'forward' | 'backwardQuery' | 'backwardKeyValue' | 'probabilities';

/** Rows per workgroup and per staged tile that the chooser starts from (at most; see defaultRows). */
const ATTENTION_DEFAULT_ROWS = 32;
/** Per-thread accumulator chunks (4 floats each): shaders/attention.wgsl MAX_LANE_CHUNKS. */
const MAX_LANE_CHUNKS = 32;
const MAX_GRID = 65535;

function chunks(dHead: number): number {
  return Math.ceil(dHead / 4);
}

/** Workgroup bytes of one entry (each array padded to 16 bytes, as implementations allocate them). */
export function attentionWorkgroupBytes(entry: Entry, dHead: number, tiles: ChosenTiles): number {
  const rowBytes = 16 * (chunks(dHead) | 1); // shaders/attention.wgsl ROW_STRIDE: an odd number of chunks
  const floats = (n: number) => Math.ceil((4 * n) / 16) * 16;
  const { rows, tile, lanes } = tiles;
  switch (entry) {
    case 'forward': // Q rows, K and V tiles, scores/weights, per-lane maxima and sums
      return rowBytes * (rows + 2 * tile) + floats(rows * tile) + 2 * floats(rows * lanes);
    case 'backwardQuery': // Q and dO rows, K and V tiles, dS
      return rowBytes * (2 * rows + 2 * tile) + floats(rows * tile);
    case 'backwardKeyValue': // K and V rows, Q and dO tiles, lse and delta of the tile, P∘Z and dS
      return rowBytes * (2 * rows + 2 * tile) + 2 * floats(tile) + 2 * floats(tile * rows);
    case 'probabilities': // Q rows, K tile, scores, per-lane maxima and sums
      return rowBytes * (rows + tile) + floats(rows * tile) + 2 * floats(rows * lanes);
  }
}

/**
 * Lanes per row: about 4 accumulator chunks (16 floats) per thread, at most 8 lanes. For dHead 64 that is 4
 * lanes, so that the score phase (tile/lanes dot products of dHead per thread) and the accumulation phase
 * (tile x 16 FMAs per thread) do similar work, and a 32-row workgroup has 128 threads.
 */
function defaultLanes(dHead: number): number {
  return Math.max(1, Math.min(8, Math.ceil(chunks(dHead) / 4)));
}

/** At most ATTENTION_DEFAULT_ROWS, split evenly over the blocks T needs (T = 35: two blocks of 18, not 32 + 3). */
function defaultRows(T: number): number {
  return Math.ceil(T / Math.ceil(T / ATTENTION_DEFAULT_ROWS));
}

function chooseEntry(entry: Entry, s: { T: number; dHead: number }, given: AttentionTiles | undefined, limits: AttentionLimits): ChosenTiles {
  const where = `attention (${entry})`;
  for (const k of ['rows', 'tile', 'lanes'] as const) if (given?.[k] !== undefined) assertPositiveInt(where, k, given[k]!);
  const lanes = given?.lanes ?? defaultLanes(s.dHead);
  if (Math.ceil(chunks(s.dHead) / lanes) > MAX_LANE_CHUNKS) {
    throw new RangeError(`${where}: lanes = ${lanes} with dHead = ${s.dHead}: a thread may own at most ${MAX_LANE_CHUNKS} chunks of 4 floats, so lanes must be >= ${Math.ceil(chunks(s.dHead) / MAX_LANE_CHUNKS)}`);
  }
  if (lanes > limits.maxComputeWorkgroupSizeX) throw new RangeError(`${where}: lanes = ${lanes}; this adapter allows at most ${limits.maxComputeWorkgroupSizeX}`);
  let rows = given?.rows ?? Math.min(defaultRows(s.T), Math.floor(limits.maxComputeInvocationsPerWorkgroup / lanes), limits.maxComputeWorkgroupSizeY);
  let tile = given?.tile ?? defaultRows(s.T);
  if (rows < 1 || lanes * rows > limits.maxComputeInvocationsPerWorkgroup || rows > limits.maxComputeWorkgroupSizeY) {
    throw new RangeError(`${where}: rows x lanes = ${rows} x ${lanes}; this adapter allows at most ${limits.maxComputeInvocationsPerWorkgroup} threads per workgroup and ${limits.maxComputeWorkgroupSizeY} rows`);
  }
  const bytes = () => attentionWorkgroupBytes(entry, s.dHead, { rows, tile, lanes });
  // Halve the larger free size (the streamed tile first on a tie, which keeps the threads) until it fits.
  while (bytes() > limits.maxComputeWorkgroupStorageSize) {
    const canTile = given?.tile === undefined && tile > 1;
    const canRows = given?.rows === undefined && rows > 1;
    if (canTile && (tile >= rows || !canRows)) tile = Math.ceil(tile / 2);
    else if (canRows) rows = Math.ceil(rows / 2);
    else {
      throw new RangeError(
        `${where}: dHead = ${s.dHead} with rows ${rows}, tile ${tile} needs ${bytes()} bytes of workgroup memory; ` +
          `this adapter allows ${limits.maxComputeWorkgroupStorageSize} (give smaller rows or tile)`,
      );
    }
  }
  return { rows, tile, lanes };
}

/** The variant of every entry for a shape on an adapter: the given fields, the rest chosen to fit its limits. */
export function attentionTiles(s: AttentionShape, limits: AttentionLimits): Record<Entry, ChosenTiles> {
  const shape = { T: s.T, dHead: s.dModel / s.nHeads };
  return {
    forward: chooseEntry('forward', shape, s.forwardTiles, limits),
    backwardQuery: chooseEntry('backwardQuery', shape, s.queryGradTiles, limits),
    backwardKeyValue: chooseEntry('backwardKeyValue', shape, s.keyValueGradTiles, limits),
    probabilities: chooseEntry('probabilities', shape, s.forwardTiles, limits),
  };
}

function checkDims(name: string, s: { replicas: number; batch: number; T: number; dModel: number; nHeads: number }): number {
  for (const k of ['replicas', 'batch', 'T', 'dModel', 'nHeads'] as const) assertPositiveInt(name, k, s[k]);
  if (s.dModel % s.nHeads !== 0) {
    throw new RangeError(`${name}: dModel = ${s.dModel} is not a multiple of nHeads = ${s.nHeads}; dHead = dModel / nHeads must be an integer`);
  }
  if (s.replicas * s.batch > MAX_GRID) throw new RangeError(`${name}: replicas x batch = ${s.replicas * s.batch}; allowed at most ${MAX_GRID} (the grid's z)`);
  if (s.nHeads > MAX_GRID) throw new RangeError(`${name}: nHeads = ${s.nHeads}; allowed at most ${MAX_GRID}`);
  return s.dModel / s.nHeads;
}

function limitsOf(kernels: KernelLibrary): AttentionLimits {
  const l = kernels.device.limits;
  return {
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
  };
}

/** Query-key pairs that a sequence's head actually uses: T(T+1)/2 causal, T² full. */
export function attentionPairs(T: number, causal: boolean): number {
  return causal ? (T * (T + 1)) / 2 : T * T;
}

/** Σ over blocks of `rows` of the tile rows the block streams (keys for query blocks, queries for key blocks). */
function streamedRows(T: number, rows: number, causal: boolean, streams: 'keys' | 'queries'): number {
  let total = 0;
  for (let r0 = 0; r0 < T; r0 += rows) {
    if (!causal) total += T;
    else total += streams === 'keys' ? Math.min(T, r0 + rows) : T - r0;
  }
  return total;
}

function overrides(s: AttentionShape | AttentionProbabilitiesShape, dHead: number) {
  return { BATCH: s.batch, T: s.T, N_HEADS: s.nHeads, D_HEAD: dHead, CAUSAL: s.causal ? 1 : 0, SCALE: 1 / Math.sqrt(dHead) };
}

/** Threads per workgroup of the thread-per-row entries, checked against the adapter. */
function rowWorkgroupOf(name: string, given: number | undefined, limits: AttentionLimits): number {
  const wg = given ?? 64;
  assertPositiveInt(name, 'rowWorkgroup', wg);
  const most = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  if (wg > most) throw new RangeError(`${name}: rowWorkgroup = ${wg}; this adapter allows at most ${most} threads`);
  return wg;
}

/** A 2-D grid of workgroups of `wg` threads covering `rows` rows (shaders/attention.wgsl rowOf). */
function rowGrid(name: string, rows: number, wg: number): [number, number, number] {
  const groups = Math.ceil(rows / wg);
  const grid: [number, number, number] = groups <= MAX_GRID ? [groups, 1, 1] : [MAX_GRID, Math.ceil(groups / MAX_GRID), 1];
  if (grid[1] > MAX_GRID) throw new RangeError(`${name}: ${rows} rows need ${groups} workgroups of ${wg}; allowed at most ${MAX_GRID}²`);
  return grid;
}

function tileOverrides(entry: Entry, t: ChosenTiles): Record<string, number> {
  return entry === 'backwardKeyValue'
    ? { KEY_ROWS: t.rows, QUERY_TILE: t.tile, LANES: t.lanes }
    : { QUERY_ROWS: t.rows, KEY_TILE: t.tile, LANES: t.lanes };
}

/**
 * Forward and backward of fused attention for one layer. `forward` is one dispatch; `backward` is two, in
 * order: delta and dQ (per query block, over key tiles), then dK and dV (per key block, over query tiles),
 * so no gradient element has two writers. Flops count the dot products each dispatch performs on the
 * query-key pairs it uses (masked tiles it skips are not counted): forward 4·dHead per pair (S and A·V),
 * backwardQuery 6·dHead (S, dO·Vᵀ, dS·K), backwardKeyValue 8·dHead (S, dO·Vᵀ, Pᵀ·dO, dSᵀ·Q).
 */
export async function attention(kernels: KernelLibrary, s: AttentionShape) {
  const dHead = checkDims('attention', s);
  const p = s.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new RangeError(`attention: dropout = ${p}; it must be in [0, 1)`);
  const layer = s.layer ?? 0;
  if (!Number.isInteger(layer) || layer < 0) throw new RangeError(`attention: layer = ${layer}; it must be a non-negative integer`);
  if (p > 0 && s.batch * s.nHeads * s.T * s.T > 2 ** 32) {
    throw new RangeError(`attention: batch x nHeads x T² = ${s.batch * s.nHeads * s.T * s.T} with dropout: the mask index must fit in 32 bits`);
  }
  const rowsVariant = s.threadPerRow === true;
  const tiles = rowsVariant ? null : attentionTiles(s, limitsOf(kernels));
  for (const entry of ['forward', 'backwardQuery', 'backwardKeyValue'] as const) {
    const blocks = tiles ? Math.ceil(s.T / tiles[entry].rows) : 0;
    if (blocks > MAX_GRID) throw new RangeError(`attention (${entry}): T / rows = ${blocks} blocks; allowed at most ${MAX_GRID}`);
  }
  const Z = s.replicas * s.batch;
  const H = s.nHeads;
  const wg = rowsVariant ? rowWorkgroupOf('attention', s.rowWorkgroup, limitsOf(kernels)) : 0;
  const rowCount = Z * H * s.T;
  // Without dropout the layer is left out of the constants, so that every layer shares the same pipelines.
  const common = {
    ...overrides(s, dHead),
    ...(p > 0 && { DROPOUT: 1, DROP_THRESHOLD: dropoutThreshold(p), DROP_SCALE: 1 / (1 - p), LAYER: layer }),
  };
  const build = (entry: Entry) =>
    tiles
      ? kernels.kernel('attention', { entryPoint: entry, constants: { ...common, ...tileOverrides(entry, tiles[entry]) } })
      : kernels.kernel('attention', { entryPoint: `${entry}Rows`, constants: { ...common, SEQUENCES: Z, ROW_WG: wg } });
  const [forwardKernel, queryKernel, keyValueKernel] = await Promise.all([build('forward'), build('backwardQuery'), build('backwardKeyValue')]);

  // Without dropout the shader still declares the seed and step bindings; they are never read.
  let placeholder: GPUBuffer | null = null;
  const randomness = (b: AttentionForwardBuffers) => {
    if (p > 0 && (b.seeds === undefined || b.step === undefined)) {
      throw new RangeError(`attention: dropout = ${p} needs the buffers seeds (u32 [R]) and step (u32 [1])`);
    }
    placeholder ??= kernels.device.createBuffer({ label: 'attention unused seeds/step', size: 16, usage: STORAGE });
    return { seeds: b.seeds ?? placeholder, stepCounter: b.step ?? placeholder };
  };

  const qkvFloats = Z * s.T * 3 * s.dModel;
  const oFloats = Z * s.T * s.dModel;
  const statFloats = Z * H * s.T;
  const pairs = Z * H * attentionPairs(s.T, s.causal);
  const headRowBytes = 4 * Z * H * dHead; // one head row of one position, over every sequence and head
  const minBytes = { qkv: 4 * qkvFloats, o: 4 * oFloats, lse: 4 * statFloats, seeds: 4 * s.replicas, stepCounter: 4, dO: 4 * oFloats, delta: 4 * statFloats, dQKV: 4 * qkvFloats };
  const grid = (entry: Entry): [number, number, number] => (tiles ? [Math.ceil(s.T / tiles[entry].rows), H, Z] : rowGrid(`attention (${entry})`, rowCount, wg));
  const streamedQueries = tiles ? streamedRows(s.T, tiles.backwardKeyValue.rows, s.causal, 'queries') : 0;
  // Thread per row: every pair's rows come from global memory (cached or not), and scores are recomputed in the
  // second pass: counts per pair of K/V/Q/dO head rows read and dot products done, plus each row's own.
  const pairRowBytes = 4 * dHead * pairs;

  return {
    /** The tiled variant's tiles (given or chosen); null for the thread-per-row entries. */
    tiles,
    forward: (b: AttentionForwardBuffers, label = 'attention.forward'): Dispatch =>
      forwardKernel.dispatch({ qkv: b.qkv, o: b.o, lse: b.lse, ...randomness(b) }, grid('forward'), {
        label,
        minBytes,
        flops: (tiles ? 4 : 6) * dHead * pairs,
        // Tiled: Q once; K and V once per query block that uses them; O and lse written.
        bytes: tiles
          ? headRowBytes * (s.T + 2 * streamedRows(s.T, tiles.forward.rows, s.causal, 'keys') + s.T) + 4 * statFloats
          : 3 * pairRowBytes + 2 * headRowBytes * s.T + 4 * statFloats,
      }),
    backward: (b: AttentionBackwardBuffers, label = 'attention.backward'): Dispatch[] => {
      const random = randomness(b);
      return [
        queryKernel.dispatch({ qkv: b.qkv, o: b.o, lse: b.lse, dO: b.dO, delta: b.delta, dQKV: b.dQKV, ...random }, grid('backwardQuery'), {
          label: `${label} dQ`,
          minBytes,
          flops: 6 * dHead * pairs,
          // Tiled: Q, dO, O once, K and V per query block, dQ written; lse read, delta written.
          bytes: tiles
            ? headRowBytes * (3 * s.T + 2 * streamedRows(s.T, tiles.backwardQuery.rows, s.causal, 'keys') + s.T) + 8 * statFloats
            : 3 * pairRowBytes + 4 * headRowBytes * s.T + 8 * statFloats,
        }),
        keyValueKernel.dispatch({ qkv: b.qkv, lse: b.lse, dO: b.dO, delta: b.delta, dQKV: b.dQKV, ...random }, grid('backwardKeyValue'), {
          label: `${label} dK dV`,
          minBytes,
          flops: 8 * dHead * pairs,
          // Tiled: K and V once; Q, dO (and lse, delta) per key block that uses them; dK and dV written.
          bytes: tiles
            ? headRowBytes * (2 * s.T + 2 * streamedQueries + 2 * s.T) + 8 * Z * H * streamedQueries
            : 4 * pairRowBytes + 8 * Z * H * attentionPairs(s.T, s.causal) + 4 * headRowBytes * s.T,
        }),
      ];
    },
  };
}

/** The probabilities A [R][B][nHeads][T][T] of a (small, fixed) batch, for the attention metrics; no dropout. */
export async function attentionProbabilities(kernels: KernelLibrary, s: AttentionProbabilitiesShape) {
  const dHead = checkDims('attentionProbabilities', s);
  const Z = s.replicas * s.batch;
  const limits = limitsOf(kernels);
  const tiles = s.threadPerRow === true ? null : chooseEntry('probabilities', { T: s.T, dHead }, s.tiles, limits);
  if (tiles && Math.ceil(s.T / tiles.rows) > MAX_GRID) throw new RangeError(`attentionProbabilities: T / rows = ${Math.ceil(s.T / tiles.rows)} blocks; allowed at most ${MAX_GRID}`);
  const wg = tiles ? 0 : rowWorkgroupOf('attentionProbabilities', s.rowWorkgroup, limits);
  const kernel = await (tiles
    ? kernels.kernel('attention', { entryPoint: 'probabilities', constants: { ...overrides(s, dHead), ...tileOverrides('probabilities', tiles) } })
    : kernels.kernel('attention', { entryPoint: 'probabilitiesRows', constants: { ...overrides(s, dHead), SEQUENCES: Z, ROW_WG: wg } }));
  const probFloats = Z * s.nHeads * s.T * s.T;
  const pairs = Z * s.nHeads * attentionPairs(s.T, s.causal);
  const headRowBytes = 4 * Z * s.nHeads * dHead;
  const grid: [number, number, number] = tiles ? [Math.ceil(s.T / tiles.rows), s.nHeads, Z] : rowGrid('attentionProbabilities', Z * s.nHeads * s.T, wg);
  return Object.assign(
    (b: AttentionProbabilitiesBuffers, label = 'attention.probabilities'): Dispatch =>
      kernel.dispatch({ qkv: b.qkv, probs: b.probs }, grid, {
        label,
        minBytes: { qkv: 4 * Z * s.T * 3 * s.dModel, probs: 4 * probFloats },
        // S twice (statistics, then A); tiled: Q once, K twice per block; by row: K twice per pair; A written.
        flops: 4 * dHead * pairs,
        bytes: (tiles ? headRowBytes * (s.T + 2 * streamedRows(s.T, tiles.rows, s.causal, 'keys')) : 8 * dHead * pairs + headRowBytes * s.T) + 4 * probFloats,
      }),
    { tiles },
  );
}

/** The attention variants in the order a class of adapter prefers them (the first is the --no-tune default). */
export function attentionVariants(software: boolean): Variant[] {
  const rows = { threadPerRow: true };
  const tiled = { threadPerRow: false };
  return software ? [rows, tiled] : [tiled, rows];
}

/** attention with the variant the adapter's tuner picks, timed on a forward and a backward (dropout as given). */
export async function tunedAttention(ctx: GpuContext, s: AttentionShape) {
  const scratch = new TuningScratch(ctx.pool);
  const Z = s.replicas * s.batch;
  const variant = await ctx.tuner.pick(ctx.device, 'attention', { ...s, layer: undefined }, attentionVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await attention(ctx.kernels, { ...s, ...v });
    const b = (name: string, bytes: number) => scratch.get(name, bytes);
    const qkv = 4 * Z * s.T * 3 * s.dModel;
    const o = 4 * Z * s.T * s.dModel;
    const stats = 4 * Z * s.nHeads * s.T;
    const buffers = { qkv: b('qkv', qkv), o: b('o', o), lse: b('lse', stats), seeds: b('seeds', 4 * s.replicas), step: b('step', 4) };
    return [op.forward(buffers), ...op.backward({ ...buffers, dO: b('dO', o), delta: b('delta', stats), dQKV: b('dQKV', qkv) })];
  }, scratch);
  return attention(ctx.kernels, { ...s, ...variant });
}

/** attentionProbabilities with the variant the adapter's tuner picks. */
export async function tunedAttentionProbabilities(ctx: GpuContext, s: AttentionProbabilitiesShape) {
  const scratch = new TuningScratch(ctx.pool);
  const Z = s.replicas * s.batch;
  const variant = await ctx.tuner.pick(ctx.device, 'attentionProbabilities', s, attentionVariants(ctx.adapter.isSoftware), async (v) => {
    const op = await attentionProbabilities(ctx.kernels, { ...s, ...v });
    return [op({ qkv: scratch.get('qkv', 4 * Z * s.T * 3 * s.dModel), probs: scratch.get('probs', 4 * Z * s.nHeads * s.T * s.T) })];
  }, scratch);
  return attentionProbabilities(ctx.kernels, { ...s, ...variant });
}
