// The bench's registry contract. Each file bench/entries/<name>.ts exports
//   benchEntries(ctx: GpuContext, options: BenchEntryOptions): Promise<BenchEntry[]>
// and the runner finds it by itself (the page through import.meta.glob, Node by reading the directory), so
// adding a bench means adding a file, never editing the runner.
import type { GpuContext } from '../src/runtime/context';
import type { Dispatch } from '../src/runtime/kernels';
import type { AdapterReport } from '../src/runtime/device';
import type { TuneChoice } from '../src/runtime/tuner';

export interface BenchEntryOptions {
  /** Tiny shapes, for tests of the bench itself: numbers are meaningless, structure must be complete. */
  quick: boolean;
  /**
   * Whether a row of this name will be timed (the run's --filter). The runner drops unwanted rows itself; a file
   * whose rows are costly to build (a trainer, a tuning-size model) asks first and skips them.
   */
  wants(name: string): boolean;
}

/** End-to-end work timed on the wall clock (e.g. training steps), reported in its own unit per second. */
export interface HostWork {
  /** Unit of `amount`, e.g. 'steps' or 'prompts'. */
  unit: string;
  /** Units of work one call of `run` does. */
  amount: number;
  /** Submits the work; the runner waits for the queue after it. */
  run(): void | Promise<void>;
  /**
   * Training steps one run takes, when the entry's dispatches are one step: the bench then reports the wall time
   * per step beside the step's GPU time, so the host's share of a step shows (the host off the hot path).
   */
  steps?: number;
}

export interface BenchEntry {
  /** Row name, e.g. 'gemm 512x512x512' (prefixed by the kernel name so rows sort by kernel). */
  name: string;
  /** Human-readable shape, e.g. 'batch 4, M 40, N 5376, K 40, transB'. */
  shape: string;
  /** Kernels timed together as one row (each in its own timed pass); flops and bytes come from the wrappers. */
  dispatches: Dispatch[];
  hostWork?: HostWork;
}

export interface BenchEntryModule {
  benchEntries(ctx: GpuContext, options: BenchEntryOptions): Promise<BenchEntry[]>;
}

export interface BenchOptions {
  /** Timed repetitions per measurement (medians are reported). */
  repeats: number;
  /** Untimed repetitions first (pipeline warm-up, caches, clocks). */
  warmup: number;
  quick: boolean;
  /** Regular expression (case-insensitive) on entry names; the adapter limits are always measured. */
  filter?: string;
  /** Only these bench/entries files (names without .ts); the others are not even loaded. Default: all. */
  files?: string[];
  /**
   * Time each call site's kernel variants while the entries are built, as `train` does, and use the fastest
   * (default false: each site's default for the adapter's class, as `--no-tune`). The choices go to the result's
   * `tuning`; nothing is read from or written to the tuning cache.
   */
  tune?: boolean;
}

/** What a run reports as it goes: after the limits, and after each timed entry. */
export interface BenchProgress {
  /** Share of the run done, 0 to 1: the limits count as one file, and each file's entries share its part. */
  fraction: number;
  /** What just finished, for people. */
  line: string;
  /** Set once, when the limits have been measured. */
  limits?: AdapterLimits;
  /** The entry just timed. */
  entry?: EntryResult;
  /**
   * The run so far, marked `incomplete` (after the limits and after each entry): what a result file should hold
   * until the run ends, so that a run killed, timed out or failed part-way keeps what it finished.
   */
  partial?: BenchResult;
}

export interface BenchControl {
  /** Asked between entries (and before each file); true stops the run, which returns what finished, marked incomplete. */
  stopRequested?(): boolean;
  progress?(progress: BenchProgress): void;
}

export interface AdapterLimits {
  /** Peak f32 rate of shaders/benchFma.wgsl, GFLOP/s. */
  fmaGflops: number;
  fmaShape: string;
  /** Read+write bandwidth of shaders/benchCopy.wgsl (bytes read + bytes written per second), GB/s. */
  copyKernelGBps: number;
  /** copyBufferToBuffer, wall clock of a whole submission (includes queue overhead), GB/s. */
  copyBufferGBps: number;
  /**
   * The bandwidth roof for the fractions: the larger of the two. On GPUs the coalesced copy kernel reaches
   * about what the copy engine does; on SwiftShader copyBufferToBuffer is a memcpy and several times faster
   * than any shader, so the kernel alone would be a roof that real kernels exceed.
   */
  copyGBps: number;
  copyBytes: number;
}

export interface EntryResult {
  /** bench/entries/<file>.ts */
  file: string;
  name: string;
  shape: string;
  /** Median time of all the entry's dispatches per run, milliseconds (absent for host-work-only entries). */
  ms?: number;
  /** Per-dispatch medians, milliseconds. */
  dispatches?: { label: string; ms: number; flops: number; bytes: number }[];
  /** Dispatches repeated inside each timed pass (kernels shorter than the timer's resolution). */
  inner?: number;
  flops?: number;
  bytes?: number;
  gflops?: number;
  gbps?: number;
  /** gflops / the adapter's FMA peak. */
  fmaFraction?: number;
  /** gbps / the adapter's bandwidth roof (limits.copyGBps). */
  copyFraction?: number;
  hostWork?: {
    unit: string;
    perSecond: number;
    ms: number;
    /** With HostWork.steps: wall milliseconds per step, and the step's GPU time (the entry's ms) as a share of it. */
    wallPerStepMs?: number;
    gpuShare?: number;
  };
}

/**
 * One bench run, as `onelayer bench --out` and the bench page write it (bench/report/schema.ts reads and checks
 * it). A change of meaning or of a required field raises the version.
 */
export interface BenchResult {
  schema: 'onelayer-bench';
  version: 1;
  /** Why the run has fewer entries than it would have had: stopped, or an entry failed. Absent when complete. */
  incomplete?: string;
  date: string;
  adapter: AdapterReport;
  timing: 'timestamp-query' | 'wall-clock';
  options: BenchOptions;
  limits: AdapterLimits;
  entries: EntryResult[];
  seconds: number;
  /** With options.tune: every call site's choice, with the variants' timings where it timed them. */
  tuning?: TuneChoice[];
}
