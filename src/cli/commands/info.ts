// onelayer list (presets and models) and onelayer doctor (which browser, flags and adapter, or why none).
import { allowedText } from '../../config/schema';
import { models, presets } from '../../models/registry';
import type { ParsedArgs } from '../args';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors';
import type { RuntimeKind } from '../runtime';
import { openRuntimeLogged, type Output } from '../session';

export async function list(args: ParsedArgs, out: Output): Promise<number> {
  const model = args.options.keys as string | undefined;
  if (model !== undefined) {
    const definition = Object.prototype.hasOwnProperty.call(models, model) ? models[model as keyof typeof models] : undefined;
    if (!definition) throw new UsageError(`--keys = ${JSON.stringify(model)} is not allowed: expected one of ${Object.keys(models).join(', ')}`);
    out.log.write(`config keys of ${model} (--set key=value; perReplica keys take one value or a list with one per replica):\n`);
    const width = Math.max(...Object.keys(definition.schema).map((k) => k.length));
    for (const [key, spec] of Object.entries(definition.schema)) {
      out.log.write(`  ${key.padEnd(width)}  default ${JSON.stringify(spec.default)}; ${allowedText(spec)}${spec.perReplica ? ' (per replica)' : ''}. ${spec.description}\n`);
    }
    return EXIT_OK;
  }
  const width = Math.max(...presets.map((p) => p.name.length));
  out.log.write('presets (onelayer train <preset>):\n');
  for (const p of presets) out.log.write(`  ${p.name.padEnd(width)}  ${p.model.padEnd(8)}  ${String(p.steps).padStart(5)} steps  ${p.description}\n`);
  out.log.write(`models: ${Object.keys(models).join(', ')} (onelayer list --keys MODEL for their config keys)\n`);
  return EXIT_OK;
}

const SHOWN_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
];

export async function doctor(args: ParsedArgs, out: Output): Promise<number> {
  const kind = (args.options.runtime as RuntimeKind | undefined) ?? 'chrome';
  out.log.write(`node ${process.version} on ${process.platform}-${process.arch}\n`);
  if (kind === 'chrome') {
    const { chooseGpuMode, chromeFlags, findChrome } = await import('../../harness/launcher');
    try {
      out.log.write(`browser: ${findChrome()}\n`);
    } catch (e) {
      out.log.write(`browser: none: ${(e as Error).message}\n`);
      return EXIT_FAILURE;
    }
    const mode = chooseGpuMode();
    out.log.write(`gpu mode: ${mode} (ONELAYER_GPU=swiftshader|hardware overrides)\nflags: ${chromeFlags(mode).join(' ')}\n`);
  } else {
    out.log.write(`VK_ICD_FILENAMES: ${process.env.VK_ICD_FILENAMES ?? '(unset: the system Vulkan drivers, or SwiftShader from chromium when no GPU device exists)'}\n`);
  }
  let runtime;
  try {
    runtime = await openRuntimeLogged(kind, out);
  } catch (e) {
    out.log.write(`${(e as Error).message}\n`);
    return EXIT_FAILURE;
  }
  try {
    const a = runtime.adapter;
    out.log.write(`software adapter: ${a.isSoftware ? 'yes (speed numbers only meaningful as ratios)' : 'no'}\n`);
    out.log.write(`features: ${a.features.join(', ') || '(none)'}\n`);
    out.log.write('limits:\n');
    for (const key of SHOWN_LIMITS) if (key in a.limits) out.log.write(`  ${key} ${a.limits[key]}\n`);
    return EXIT_OK;
  } finally {
    await runtime.close();
  }
}
