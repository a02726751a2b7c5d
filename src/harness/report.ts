// Progress and metric events from long-running work (training, sweeps, bench) to whoever drives it: in the
// harness page they go to the Node side through puppeteer's exposed `onelayerReport`; in Node (runtime node)
// or a worker, to whatever handler was registered.
import { encode } from './codec';

export type Reporter = (event: { kind: string; [key: string]: unknown }) => void;

let reporter: Reporter | null = null;

export function setReporter(r: Reporter | null): void {
  reporter = r;
}

export function report(event: { kind: string; [key: string]: unknown }): void {
  if (reporter) return reporter(event);
  const exposed = (globalThis as unknown as { onelayerReport?: (e: unknown) => void }).onelayerReport;
  exposed?.(encode(event));
}
