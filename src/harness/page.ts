// The harness page. Node-side code (tests, bench, CLI) calls `onelayer.call(modulePath, exportName, args, callId)`
// through puppeteer: the module is loaded by vite's dev server, the export runs in the page with the page's
// GPU context as `fn(args, io)`, and the result comes back through the codec. `io` is the call's own: its
// report() reaches the Node side (puppeteer's exposed `onelayerReport`), and `onelayer.stop(callId)` sets its
// stop flag, which a training job checks between chunks.
import '../runtime/env-browser';
import { getContext } from '../runtime/context';
import type { JobIO } from '../experiments/job';
import { decode, encode } from './codec';

export interface HarnessApi {
  ready: true;
  call(modulePath: string, exportName: string, args: unknown, callId?: string): Promise<unknown>;
  stop(callId: string): boolean;
}

const running = new Map<string, JobIO['control']>();

const api: HarnessApi = {
  ready: true,
  async call(modulePath, exportName, args, callId) {
    const control = { stop: false };
    if (callId) running.set(callId, control);
    const exposed = (globalThis as unknown as { onelayerReport?: (e: unknown) => void }).onelayerReport;
    const io: JobIO = { report: (event) => exposed?.(encode(event)), control };
    try {
      const mod = (await import(/* @vite-ignore */ modulePath)) as Record<string, unknown>;
      const fn = mod[exportName];
      if (typeof fn !== 'function') throw new Error(`${modulePath} has no exported function '${exportName}'`);
      return { ok: encode(await (fn as (a: unknown, io: JobIO) => unknown)(decode(args), io)) };
    } catch (e) {
      const err = e as Error;
      return { error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), stack: err?.stack ?? '' } };
    } finally {
      if (callId) running.delete(callId);
    }
  },
  stop(callId) {
    const control = running.get(callId);
    if (control) control.stop = true;
    return control !== undefined;
  },
};

(globalThis as unknown as { onelayer: HarnessApi }).onelayer = api;
