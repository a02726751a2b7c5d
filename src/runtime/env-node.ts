// Node environment: WebGPU through Dawn (npm package `webgpu`), shaders read from shaders/.
// A real GPU's Vulkan driver answers when one is installed. When none does (a CPU-only machine), we fall back
// to SwiftShader's Vulkan ICD from the chromium package by setting VK_ICD_FILENAMES: the Vulkan loader reads
// it each time Dawn creates an instance (measured: after a first create() finds no adapter, a second one with
// the variable set finds SwiftShader), so the fallback needs no restart of Node.
import './node-globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from 'webgpu';
import { setContextFactory, createContext, type GpuContext } from './context';
import { acquireDevice, NoAdapterError, SWIFTSHADER_NO_ROBUSTNESS_TOGGLE, SWIFTSHADER_ZERO_INIT_TOGGLE } from './device';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Kernels by name ('gemm'), shared snippets under shaders/lib/ by path ('lib/counterHash'). */
export function readShaderSources(dir = join(root, 'shaders')): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (f.endsWith('.wgsl')) sources[f.slice(0, -5)] = readFileSync(join(dir, f), 'utf8');
  const lib = join(dir, 'lib');
  if (existsSync(lib)) for (const f of readdirSync(lib)) if (f.endsWith('.wgsl')) sources[`lib/${f.slice(0, -5)}`] = readFileSync(join(lib, f), 'utf8');
  return sources;
}

let held: GPU | null = null; // Dawn's GPU object; while held, Node exits only through process.exit

// Dawn rounds timestamp queries down to multiples of 2^16 ns unless told otherwise (Chrome does the same without
// --enable-webgpu-developer-features); per-kernel times of a few microseconds need the full resolution. On
// SwiftShader the workgroup-memory zeroing toggle goes too, and robustness (see SWIFTSHADER_ZERO_INIT_TOGGLE and
// SWIFTSHADER_NO_ROBUSTNESS_TOGGLE). Dawn takes disable_robustness only with allow_unsafe_apis (which Chrome's
// --enable-unsafe-webgpu sets) and ignores it silently otherwise: the grid group's step at R 16 took 52–55 ms of
// GPU here with the one, 39 ms with both.
function dawnFlags(): string[] {
  const swiftshader = (process.env.VK_ICD_FILENAMES ?? '').includes('swiftshader');
  const disabled = `disable-dawn-features=timestamp_quantization${swiftshader ? `,${SWIFTSHADER_ZERO_INIT_TOGGLE}` : ''}`;
  return swiftshader ? [disabled, `enable-dawn-features=allow_unsafe_apis,${SWIFTSHADER_NO_ROBUSTNESS_TOGGLE}`] : [disabled];
}

async function createWithCurrentDriver(): Promise<GpuContext> {
  held = create(dawnFlags());
  const { device, report } = await acquireDevice(held, 'node');
  return createContext(device, report, readShaderSources());
}

export async function createNodeContext(): Promise<GpuContext> {
  try {
    return await createWithCurrentDriver();
  } catch (e) {
    if (!(e instanceof NoAdapterError) || process.env.VK_ICD_FILENAMES || !existsSync(SWIFTSHADER_ICD)) throw e;
    process.stderr.write(`[onelayer] no Vulkan driver answered in Node; falling back to SwiftShader (VK_ICD_FILENAMES=${SWIFTSHADER_ICD})\n`);
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    try {
      return await createWithCurrentDriver();
    } catch (fallbackError) {
      throw new NoAdapterError(
        `no Vulkan driver answered, and neither did SwiftShader through VK_ICD_FILENAMES=${SWIFTSHADER_ICD}: ${(fallbackError as Error).message}`,
      );
    }
  }
}

/** Dawn's GPU object while a context holds it (what navigator.gpu is in a browser). */
export function nodeGpu(): GPU | null {
  return held;
}

export function releaseNodeGpu(): void {
  held = null;
}

setContextFactory(createNodeContext);
