// The bench in a Web Worker, driven by the bench page through comlink: the page stays responsive while kernels
// are timed, and Stop reaches the run between entries. The page starts a fresh worker for every run, so the
// buffers and trainers one run's entries built go with its device.
import * as Comlink from 'comlink';
import '../../src/runtime/env-browser';
import { getContext } from '../../src/runtime/context';
import type { AdapterReport } from '../../src/runtime/device';
import { BenchRunError, runBenchWith } from '../core';
import { browserEntryLoaders } from '../browserEntries';
import type { BenchOptions, BenchProgress, BenchResult } from '../types';

export type BenchEvent = { kind: 'log'; line: string } | { kind: 'progress'; progress: BenchProgress };

/** A finished run: complete, stopped (result.incomplete says so), or failed part-way (error, and what finished). */
export interface BenchOutcome {
  result: BenchResult;
  error?: string;
}

class BenchWorker {
  private stopRequested = false;

  /** The adapter and the entry files, or why there is no adapter. */
  async init(): Promise<{ adapter: AdapterReport; files: string[] } | { error: string }> {
    try {
      const ctx = await getContext();
      return { adapter: ctx.adapter, files: Object.keys(browserEntryLoaders).sort() };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  async run(options: Partial<BenchOptions>, onEvent: (event: BenchEvent) => void): Promise<BenchOutcome> {
    this.stopRequested = false;
    const ctx = await getContext();
    try {
      const result = await runBenchWith(ctx, browserEntryLoaders, options, (line) => onEvent({ kind: 'log', line }), {
        stopRequested: () => this.stopRequested,
        // The page keeps its own entries (and the run's outcome at the end): the snapshot stays here.
        progress: ({ partial: _partial, ...progress }) => onEvent({ kind: 'progress', progress }),
      });
      return { result };
    } catch (e) {
      if (e instanceof BenchRunError) return { result: e.partial, error: e.message };
      throw e;
    }
  }

  /** The run stops before its next entry and returns what finished. */
  stop(): void {
    this.stopRequested = true;
  }
}

export type BenchWorkerApi = BenchWorker;

Comlink.expose(new BenchWorker());
