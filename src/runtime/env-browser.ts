// Page and Web Worker environment: navigator.gpu, shaders bundled by vite as raw text.
import { setContextFactory, createContext, type GpuContext } from './context';
import { acquireDevice } from './device';

const files = import.meta.glob(['/shaders/*.wgsl', '/shaders/lib/*.wgsl'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** Kernels by name ('gemm'), shared snippets by path ('lib/counterHash'). */
export const shaderSources: Record<string, string> = Object.fromEntries(
  Object.entries(files).map(([path, text]) => [path.replace(/^\/shaders\//, '').replace(/\.wgsl$/, ''), text]),
);

export async function createBrowserContext(): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  const { device, report } = await acquireDevice(gpu, 'chrome');
  return createContext(device, report, shaderSources);
}

setContextFactory(createBrowserContext);
