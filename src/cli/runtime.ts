// Where the GPU work of a command runs. `chrome` (default): headless Chrome through the harness launcher; the
// job functions of src/experiments/job.ts run inside the page and their events come back through
// session.onReport. `node`: Dawn in this process; the same job functions run here with a JobIO of their own.
// Either way the command sees one interface.
import type { AdapterReport } from '../runtime/device';
import type { evalJob, gradJob, JobIO, trainJob, tuneJob } from '../experiments/job';

export type RuntimeKind = 'chrome' | 'node';
export type JobEvent = { kind: string; [key: string]: unknown };
type JobFunctions = { trainJob: typeof trainJob; evalJob: typeof evalJob; gradJob: typeof gradJob; tuneJob: typeof tuneJob };
export type JobName = keyof JobFunctions;

export interface JobRuntime {
  kind: RuntimeKind;
  adapter: AdapterReport;
  /** How the adapter was reached (browser binary and flags, or Dawn and its Vulkan driver). */
  via: string;
  /** One job at a time per runtime. */
  run<N extends JobName>(name: N, args: Parameters<JobFunctions[N]>[0], onEvent?: (event: JobEvent) => void): Promise<Awaited<ReturnType<JobFunctions[N]>>>;
  /** Asks a running job to stop at its next chunk boundary. */
  requestStop(): Promise<void>;
  close(): Promise<void>;
}

const JOB_MODULE = '/src/experiments/job.ts';

export async function openRuntime(kind: RuntimeKind): Promise<JobRuntime> {
  return kind === 'node' ? openNodeRuntime() : openChromeRuntime();
}

/** Listeners that libraries add to process-wide events while `open` runs are removed: the CLI owns signals. */
async function withoutForeignListeners<T>(open: () => Promise<T>): Promise<T> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const stdinBefore = new Set(process.stdin.listeners('end'));
  const result = await open();
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l as () => void);
  // vite's dev server exits the process when stdin ends (meant for its own CLI); a training run started with
  // stdin closed (nohup, a job scheduler) must not stop because of that.
  for (const l of process.stdin.listeners('end')) if (!stdinBefore.has(l)) process.stdin.off('end', l as () => void);
  return result;
}

async function openChromeRuntime(): Promise<JobRuntime> {
  const { openHarness, findChrome } = await import('../harness/launcher');
  const harness = await withoutForeignListeners(() =>
    // A pipe instead of a WebSocket: Chrome exits with this process even when it is killed outright.
    openHarness(undefined, { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, pipe: true }),
  );
  let handler: ((event: JobEvent) => void) | undefined;
  let current: string | undefined;
  let calls = 0;
  harness.session.onReport((event) => handler?.(event as JobEvent));
  return {
    kind: 'chrome',
    adapter: harness.adapter,
    via: `headless ${findChrome()} (${harness.mode} flags)`,
    async run(name, args, onEvent) {
      handler = onEvent;
      current = `${name}-${++calls}`;
      try {
        return (await harness.session.call(JOB_MODULE, name, args, current)) as never;
      } finally {
        handler = undefined;
        current = undefined;
      }
    },
    async requestStop() {
      if (current) await harness.session.stop(current);
    },
    close: () => harness.close(),
  };
}

async function openNodeRuntime(): Promise<JobRuntime> {
  await import('../runtime/env-node');
  const { getContext } = await import('../runtime/context');
  const job = await import('../experiments/job');
  const ctx = await getContext();
  let current: JobIO | undefined;
  return {
    kind: 'node',
    adapter: ctx.adapter,
    via: `Dawn (npm package webgpu)${process.env.VK_ICD_FILENAMES ? `, VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` : ''}`,
    async run(name, args, onEvent) {
      current = { report: (event) => onEvent?.(event), control: { stop: false } };
      try {
        const fn = job[name] as (a: unknown, io: JobIO) => Promise<unknown>;
        return (await fn(args, current)) as never;
      } finally {
        current = undefined;
      }
    },
    async requestStop() {
      if (current) current.control.stop = true;
    },
    async close() {
      ctx.device.destroy();
    },
  };
}
