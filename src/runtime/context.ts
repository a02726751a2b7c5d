// A GpuContext is everything a kernel wrapper or model needs: the device, the adapter it came from, the
// kernel library and a buffer pool. How it is created depends on where we run (a page or worker:
// env-browser.ts; Node through Dawn: env-node.ts); the entry point of each environment registers a factory,
// and everything else calls getContext().
import { BufferPool } from './buffers';
import type { AdapterReport } from './device';
import { KernelLibrary, type ShaderSources } from './kernels';
import { Tuner } from './tuner';

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterReport;
  kernels: KernelLibrary;
  pool: BufferPool;
  /** Validation or out-of-memory errors the device reported outside any error scope, oldest first. */
  uncapturedErrors: string[];
  /** Picks kernel variants per call site (src/runtime/tuner.ts); a job replaces it with one holding its cache. */
  tuner: Tuner;
}

export function createContext(device: GPUDevice, adapter: AdapterReport, sources: ShaderSources): GpuContext {
  const uncapturedErrors: string[] = [];
  device.addEventListener('uncapturederror', (event) => {
    uncapturedErrors.push((event as GPUUncapturedErrorEvent).error.message);
  });
  return { device, adapter, kernels: new KernelLibrary(device, sources), pool: new BufferPool(device), uncapturedErrors, tuner: new Tuner('defaults') };
}

type Factory = () => Promise<GpuContext>;
let factory: Factory | null = null;
let shared: Promise<GpuContext> | null = null;

export function setContextFactory(f: Factory): void {
  factory = f;
  shared = null;
}

/** The environment's shared context, created on first use. */
export function getContext(): Promise<GpuContext> {
  if (!factory) throw new Error('no GPU environment registered: import src/runtime/env-browser or env-node first');
  shared ??= factory();
  shared.catch(() => (shared = null));
  return shared;
}

/** Throws if the device reported errors that no error scope caught (call after a batch of work in tests). */
export function assertNoDeviceErrors(ctx: GpuContext): void {
  if (ctx.uncapturedErrors.length > 0) {
    const errors = ctx.uncapturedErrors.splice(0);
    throw new Error(`WebGPU reported ${errors.length} error(s):\n${errors.join('\n')}`);
  }
}
