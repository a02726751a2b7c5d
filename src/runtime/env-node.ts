// Node environment: WebGPU through Dawn (npm package `webgpu`), shaders read from shaders/.
// With no GPU driver, Dawn can use SwiftShader's Vulkan ICD from the chromium package; a real GPU's
// driver wins when VK_ICD_FILENAMES is left unset and one is installed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setContextFactory, createContext, type GpuContext } from './context';
import { acquireDevice, NoAdapterError } from './device';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export function readShaderSources(dir = join(root, 'shaders')): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (f.endsWith('.wgsl')) sources[f.slice(0, -5)] = readFileSync(join(dir, f), 'utf8');
  return sources;
}

let held: GPU | null = null; // Dawn's GPU object; while held, Node exits only through process.exit

export async function createNodeContext(): Promise<GpuContext> {
  // Imported lazily so that bundlers for the page never see the native module.
  const webgpu = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU; globals: object };
  Object.assign(globalThis, webgpu.globals);
  held = webgpu.create([]);
  try {
    const { device, report } = await acquireDevice(held, 'node');
    return createContext(device, report, readShaderSources());
  } catch (e) {
    if (e instanceof NoAdapterError && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
      // The Vulkan loader reads VK_ICD_FILENAMES once, when Dawn loads it: it must be set before Node starts.
      throw new NoAdapterError(`no Vulkan driver answered; start Node with VK_ICD_FILENAMES=${SWIFTSHADER_ICD} to use SwiftShader`);
    }
    throw e;
  }
}

export function releaseNodeGpu(): void {
  held = null;
}

setContextFactory(createNodeContext);
