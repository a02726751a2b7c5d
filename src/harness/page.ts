// The harness page. Node-side code (tests, bench, CLI) calls `onelayer.call(modulePath, exportName, args)`
// through puppeteer: the module is loaded by vite's dev server, the export runs in the page with the page's
// GPU context, and the result comes back through the codec.
import '../runtime/env-browser';
import { getContext } from '../runtime/context';
import { decode, encode } from './codec';

export interface HarnessApi {
  ready: true;
  call(modulePath: string, exportName: string, args: unknown): Promise<unknown>;
}

const api: HarnessApi = {
  ready: true,
  async call(modulePath, exportName, args) {
    try {
      const mod = (await import(/* @vite-ignore */ modulePath)) as Record<string, unknown>;
      const fn = mod[exportName];
      if (typeof fn !== 'function') throw new Error(`${modulePath} has no exported function '${exportName}'`);
      return { ok: encode(await (fn as (a: unknown) => unknown)(decode(args))) };
    } catch (e) {
      const err = e as Error;
      return { error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), stack: err?.stack ?? '' } };
    }
  },
};

(globalThis as unknown as { onelayer: HarnessApi }).onelayer = api;
