// The adapter chooses. A kernel's variants (workgroup shape, rows per thread, split-K count, tree or column
// reduction, ...) are override constants; at each call site the model offers the variants that make sense for its
// shapes, and the Tuner picks one:
//   - a choice recorded by the run being resumed (`fixed`) always wins, so a resume gives the same bits; it may be
//     a variant this build no longer offers when the call site still accepts it (`retired`: an older build's
//     variant that still runs and gives the same results), so that runs outlive a change of the offered list;
//   - else a cached choice for this adapter, site and shape key, if it is still one of the variants (and, in mode
//     'tune', was timed against every variant offered now);
//   - else, in mode 'tune', each variant's dispatches are timed on the adapter (timestamp queries, median of a few
//     runs after a warm-up) and the fastest is chosen and cached;
//   - in mode 'defaults' (--no-tune), the first variant: the call site orders them for the adapter's class, so a CPU
//     adapter's default is the CPU-friendly one.
// Timing runs the candidates on the call site's real buffers before training starts; call sites only tune
// dispatches that overwrite what they write (never parameters or optimizer state).
import type { Dispatch } from './kernels';
import { timeDispatches } from './timing';

export type Variant = Record<string, number | string | boolean>;

export interface TuneChoice {
  site: string;
  /** The call site's shapes, as JSON: choices are per site and shape. */
  key: string;
  variant: Variant;
  /** Median GPU milliseconds of each variant timed (absent for defaults and recorded choices). */
  timings?: { variant: Variant; ms: number }[];
}

export type TuneMode = 'tune' | 'defaults';

/** What a job's tuner starts from (drivers send it to the page or to Node with the job's arguments). */
export interface TunerSetup {
  mode: TuneMode;
  /** This adapter's cached choices. */
  cache: TuneChoice[];
  /** A resumed run's recorded choices (they always win). */
  fixed: TuneChoice[];
}

const sameVariant = (a: Variant, b: Variant) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export class Tuner {
  /** Every choice made for this run, in the order the call sites asked (written to a run folder). */
  readonly used: TuneChoice[] = [];
  /** Choices timed now (a driver adds them to its cache). */
  readonly measured: TuneChoice[] = [];
  private readonly cache = new Map<string, TuneChoice>();
  private readonly fixed = new Map<string, TuneChoice>();
  /** Picks in progress by site and key (call sites build in parallel), and the queue timings wait in. */
  private readonly pending = new Map<string, Promise<Variant>>();
  private timingQueue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly mode: TuneMode,
    cached: TuneChoice[] = [],
    fixed: TuneChoice[] = [],
    /** Milliseconds of one variant's dispatches: GPU time by timestamp queries, median of 3 after a warm-up. */
    private readonly measure: (device: GPUDevice, dispatches: Dispatch[]) => Promise<number> = async (device, dispatches) =>
      (await timeDispatches(device, dispatches, { repeats: 3, warmup: 1 })).totalMs,
  ) {
    for (const c of cached) this.cache.set(`${c.site}|${c.key}`, c);
    for (const c of fixed) this.fixed.set(`${c.site}|${c.key}`, c);
  }

  /**
   * The variant to use at `site` for shapes `key`. `dispatchesOf` builds a variant's dispatches (on the call site's
   * buffers) for timing; it is called only when timing.
   */
  async pick<V extends Variant>(
    device: GPUDevice, site: string, key: object, variants: V[], dispatchesOf: (v: V) => Promise<Dispatch[]>, scratch?: TuningScratch,
    /** Whether a recorded choice that is not among `variants` is still runnable here with the same results. */
    retired: (v: Variant) => boolean = () => false,
  ): Promise<V> {
    if (variants.length === 0) throw new Error(`tuner: no variants offered at ${site}`);
    const id = `${site}|${JSON.stringify(key)}`;
    let picking = this.pending.get(id);
    if (!picking) {
      picking = this.choose(device, site, key, variants, dispatchesOf, scratch, retired);
      this.pending.set(id, picking);
      picking.catch(() => this.pending.delete(id));
    }
    const chosen = await picking;
    const match = variants.find((v) => sameVariant(v, chosen)) ?? (retired(chosen) ? (chosen as V) : undefined);
    if (!match) throw new Error(`tuner: ${site} ${JSON.stringify(key)} was chosen among other variants (${JSON.stringify(chosen)}); one call site must offer one list`);
    return match;
  }

  private async choose<V extends Variant>(
    device: GPUDevice, site: string, key: object, variants: V[], dispatchesOf: (v: V) => Promise<Dispatch[]>, scratch: TuningScratch | undefined,
    retired: (v: Variant) => boolean,
  ): Promise<V> {
    const keyText = JSON.stringify(key);
    const id = `${site}|${keyText}`;
    const known = this.used.find((c) => c.site === site && c.key === keyText);
    const recorded = known ?? this.fixed.get(id);
    if (recorded) {
      const match = variants.find((v) => sameVariant(v, recorded.variant)) ?? (retired(recorded.variant) ? (recorded.variant as V) : undefined);
      if (!match) {
        throw new Error(`tuner: the recorded choice ${JSON.stringify(recorded.variant)} at ${site} ${keyText} is not one of this build's variants (${variants.map((v) => JSON.stringify(v)).join(', ')})`);
      }
      if (!known) this.used.push({ site, key: keyText, variant: match });
      return match;
    }
    const cached = this.cache.get(id);
    // A cached choice stands while it is still offered and (in mode 'tune') was timed against every variant
    // offered now: a variant added since (a new kernel variant) gets its timing instead of losing to an old cache.
    const timedAgainstAll = this.mode !== 'tune' || !cached?.timings || variants.every((v) => cached.timings!.some((t) => sameVariant(t.variant, v)));
    const fromCache = cached && timedAgainstAll && variants.find((v) => sameVariant(v, cached.variant));
    let choice: TuneChoice;
    if (fromCache) choice = { site, key: keyText, variant: fromCache };
    else if (this.mode === 'defaults' || variants.length === 1) choice = { site, key: keyText, variant: variants[0] };
    else {
      const timings: { variant: Variant; ms: number }[] = [];
      // One timing at a time: candidates timed while another site's run on the same adapter would be slowed by it.
      const turn = this.timingQueue.then(async () => {
        try {
          for (const v of variants) timings.push({ variant: v, ms: await this.measure(device, await dispatchesOf(v)) });
        } finally {
          scratch?.release();
        }
      });
      this.timingQueue = turn.catch(() => {});
      await turn;
      const best = timings.reduce((a, b) => (b.ms < a.ms ? b : a));
      choice = { site, key: keyText, variant: best.variant, timings };
      this.measured.push(choice);
      this.cache.set(id, choice);
    }
    this.used.push(choice);
    return variants.find((v) => sameVariant(v, choice.variant))!;
  }
}

/** Runs `build` (a trainer's construction: its call sites pick through ctx.tuner) with `tuner` as the context's tuner. */
export async function withTuner<T>(ctx: { tuner: Tuner }, tuner: Tuner, build: () => Promise<T>): Promise<T> {
  const previous = ctx.tuner;
  ctx.tuner = tuner;
  try {
    return await build();
  } finally {
    ctx.tuner = previous;
  }
}

/** A cache file's or store's entries for one adapter: the file maps adapter lines to choice lists. */
export interface TuneCacheFile {
  format: 'onelayer-tuning/1';
  adapters: Record<string, TuneChoice[]>;
}

/** Checks a parsed cache file; returns a reason it cannot be trusted, or null. Entries are checked one by one. */
export function tuneCacheProblem(json: unknown): string | null {
  const file = json as Partial<TuneCacheFile> | null;
  if (!file || typeof file !== 'object' || Array.isArray(file)) return 'not a JSON object';
  if (file.format !== 'onelayer-tuning/1') return `format = ${JSON.stringify(file.format)}; expected "onelayer-tuning/1"`;
  if (!file.adapters || typeof file.adapters !== 'object' || Array.isArray(file.adapters)) return '"adapters" is not an object of adapter → choices';
  for (const [adapter, list] of Object.entries(file.adapters)) {
    if (!Array.isArray(list)) return `adapters[${JSON.stringify(adapter)}] is not a list`;
    for (const [i, c] of list.entries()) {
      const ok = c && typeof c.site === 'string' && typeof c.key === 'string' && c.variant && typeof c.variant === 'object' && !Array.isArray(c.variant);
      if (!ok) return `adapters[${JSON.stringify(adapter)}][${i}] is not a {site, key, variant} choice`;
    }
  }
  return null;
}

/** Merges new choices into a cache file's list for one adapter (a new choice replaces an old one of the same site and key). */
export function mergeChoices(old: TuneChoice[], added: TuneChoice[]): TuneChoice[] {
  const byId = new Map(old.map((c) => [`${c.site}|${c.key}`, c]));
  for (const c of added) byId.set(`${c.site}|${c.key}`, c);
  return [...byId.values()];
}

/** Buffers a tuning run needs for one site, allocated on first use and returned to the pool afterwards. */
export class TuningScratch {
  private readonly buffers = new Map<string, GPUBuffer>();

  constructor(private readonly pool: { acquire(bytes: number, label: string): GPUBuffer; release(b: GPUBuffer): void }) {}

  get(name: string, bytes: number): GPUBuffer {
    let b = this.buffers.get(name);
    if (!b || b.size < bytes) {
      if (b) this.pool.release(b);
      b = this.pool.acquire(bytes, `tuning ${name}`);
      this.buffers.set(name, b);
    }
    return b;
  }

  release(): void {
    for (const b of this.buffers.values()) this.pool.release(b);
    this.buffers.clear();
  }
}
