// The transformer's data sources. A source decides what the model reads (tokens for the LM head, real inputs and
// labels for the ICL head), its sizes (V or dIn, from the config and the data), and how each step's batch, the
// held-out evaluation batches and the metrics' fixed sample reach the GPU. A new source is a file here and one
// line in SOURCES; its config keys join the transformer's schema.
import type { ConfigError, FieldSpec } from '../../../config/schema';
import type { GpuContext } from '../../../runtime/context';
import type { Dispatch } from '../../../runtime/kernels';
import type { BeforeStep } from '../../../engine/trainer';
import type { TransformerRunConfig } from '../config';
import { repeatSource } from './repeat';
import { textSource } from './text';
import { iclSource } from './icl';

/** What the source implies before any GPU work (sizes decide the parameter shapes and the memory check). */
export interface DataShape {
  head: 'lm' | 'icl';
  /** LM: the vocabulary; ICL: 0. */
  V: number;
  /** ICL: the input width; LM: 0. */
  dIn: number;
  /** Positions of a sequence (LM: the config's T; ICL: N + 1). */
  T: number;
  /** One line for summaries: what the data is. */
  description: string;
}

/** A batch's buffers: tokens [R][B][T + 1] (LM), or inputs [R][B][T][dIn] and labels z [R][B] (ICL). */
export interface BatchBuffers {
  tokens?: GPUBuffer;
  inputs?: GPUBuffer;
  z?: GPUBuffer;
}

export interface BuiltData {
  /** Filled by `train` each step (for `batch` sequences per replica). */
  batch: BatchBuffers;
  /** This step's batch, read from the step counter on the GPU. */
  train: Dispatch[];
  /** Each fills `batch` with one held-out chunk of `batch` sequences (fixed sets: curves over training compare). */
  evalChunks: Dispatch[][];
  /** Real sequences (or prompts) in the held-out chunks per replica (ICL pads the last chunk with z = 0 prompts). */
  evalCount: number;
  /** The metrics' fixed sample of `sampleSize` sequences: its buffers and what fills them. */
  sample: { batch: BatchBuffers; fill: Dispatch[] };
  /** Labels of the first sample sequence's T positions (tokens as words, or prompt columns), for attention maps. */
  sampleLabels: string[];
  /**
   * Data the host must bring before steps first .. first + count − 1 (a training stream too large for one binding,
   * uploaded in pieces): the trainer's StepProgram.hostInputs. At most one submission of steps is asked at a time.
   */
  hostInputs?(first: number, count: number): BeforeStep | void;
  release(): void;
}

export interface DataSource {
  name: string;
  /** Config keys this source adds to the transformer's schema. */
  schema: Record<string, FieldSpec>;
  shape(config: TransformerRunConfig): DataShape;
  check?(config: TransformerRunConfig): ConfigError[];
  /**
   * Loads what shape() and check() read synchronously where it has to be fetched (a corpus in a page or worker).
   * Gets the raw config (before validation); the host reads on first use and needs no call.
   */
  prepare?(raw: Record<string, unknown>): Promise<void>;
  build(ctx: GpuContext, config: TransformerRunConfig, rng: { seeds: GPUBuffer; step: GPUBuffer }): Promise<BuiltData>;
}

const SOURCES: DataSource[] = [
  repeatSource,
  textSource,
  iclSource,
];

export const dataSources: Record<string, DataSource> = Object.fromEntries(SOURCES.map((s) => [s.name, s]));

export function sourceOf(config: Pick<TransformerRunConfig, 'data'>): DataSource {
  const source = dataSources[config.data];
  if (!source) throw new Error(`transformer: data = ${JSON.stringify(config.data)}; allowed: ${Object.keys(dataSources).join(', ')}`);
  return source;
}

/** Runs the source's prepare() for a raw config (nothing for an unknown or absent source: validation says why). */
export async function prepareData(raw: Record<string, unknown>): Promise<void> {
  const source = typeof raw.data === 'string' ? dataSources[raw.data] : undefined;
  await source?.prepare?.(raw);
}
