// Device acquisition that works wherever a `GPU` object exists (a page, a worker, Node through Dawn).
// The rest of the runtime only ever sees a GPUDevice plus the AdapterReport describing where it came from.

export interface AdapterReport {
  /** 'chrome' (navigator.gpu in a page or worker) or 'node' (Dawn through the `webgpu` npm package). */
  runtime: 'chrome' | 'node';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU adapters (SwiftShader): speed numbers from them are only meaningful as ratios. */
  isSoftware: boolean;
  features: string[];
  limits: Record<string, number>;
}

/** Limits we raise to the adapter's maximum: training buffers with many replicas are large. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxBindGroups',
] as const;

/** Features we use when present; everything works without them. */
const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups'];

export class NoAdapterError extends Error {
  constructor(reason: string) {
    super(`No WebGPU adapter: ${reason}`);
    this.name = 'NoAdapterError';
  }
}

export function describeAdapter(adapter: GPUAdapter, runtime: AdapterReport['runtime']): AdapterReport {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  // GPUSupportedLimits exposes its values as prototype getters, so enumerate the prototype's keys.
  const proto = Object.getPrototypeOf(adapter.limits) as object;
  for (const key of Object.getOwnPropertyNames(proto)) {
    const value = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  const architecture = info.architecture ?? '';
  const description = info.description ?? '';
  const isSoftware =
    /swiftshader|llvmpipe|lavapipe|warp|software/i.test(`${architecture} ${description} ${info.device ?? ''}`) ||
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return {
    runtime,
    vendor: info.vendor ?? '',
    architecture,
    device: info.device ?? '',
    description,
    isSoftware,
    features: [...adapter.features].sort(),
    limits,
  };
}

/** One line for logs and result files: "google swiftshader (chrome, software)". */
export function adapterLine(report: AdapterReport): string {
  const name = [report.vendor, report.architecture, report.device, report.description].filter((s) => s).join(' ');
  return `${name || 'unknown adapter'} (${report.runtime}${report.isSoftware ? ', software' : ''})`;
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: AdapterReport;
}

export async function acquireDevice(
  gpu: GPU | undefined,
  runtime: AdapterReport['runtime'],
  options: GPURequestAdapterOptions = { powerPreference: 'high-performance' },
): Promise<AcquiredDevice> {
  if (!gpu) throw new NoAdapterError('this environment has no WebGPU (navigator.gpu is undefined)');
  const adapter = await gpu.requestAdapter(options);
  if (!adapter) {
    throw new NoAdapterError(
      'requestAdapter() returned null. In Chrome, check chrome://gpu and the flags in src/harness/launcher.ts; ' +
        'in Node, set VK_ICD_FILENAMES to a Vulkan driver (SwiftShader ships with the chromium package).',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const key of RAISED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number>)[key];
    if (typeof value === 'number') requiredLimits[key] = value;
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  return { adapter, device, report: describeAdapter(adapter, runtime) };
}

/**
 * A Dawn toggle to turn off on SwiftShader. Workgroup memory must start zeroed (WebGPU guarantees it); with this
 * toggle on, Dawn leaves that to the Vulkan driver (VK_KHR_zero_initialize_workgroup_memory), and SwiftShader's
 * compiler then writes one store per element, unrolled: a pipeline with 2 x 1024 floats of tiles took 650-750 ms to
 * build, against 36 ms with Dawn's own zeroing loop (measured in Node, the same shader). Workgroup memory is still
 * zeroed either way. The Chromium launcher turns it off by flag in SwiftShader mode; Node's Dawn instance when it
 * uses SwiftShader.
 */
export const SWIFTSHADER_ZERO_INIT_TOGGLE = 'use_vulkan_zero_initialize_workgroup_memory_extension';

/**
 * A Dawn toggle to turn on on SwiftShader, in our own headless runtimes only (the CLI's Chromium and Node): with
 * robustness, every storage access gets an index clamp from Dawn's shader translation and a bounds check from the
 * Vulkan driver, and on a CPU adapter, where a load costs a few instructions, those checks are a third of a
 * load-bound kernel's time (the Scan & Snap grid step at R 160, M 240: 514 → 332 ms of GPU; sgdMomentum over
 * 9.2 M parameters 51 → 20 ms). Every kernel keeps its indices in range by construction and the tests check
 * every output against float64 with NaN-poisoned buffers, so the clamp never changes a result; without it an
 * out-of-range access reads or writes the wrong memory instead of a clamped element, which the tests would
 * expose (one did: a `select` evaluated an index of a branch it did not take). A real GPU and a user's browser
 * keep robustness.
 */
export const SWIFTSHADER_NO_ROBUSTNESS_TOGGLE = 'disable_robustness';
