// Kernel loader: every kernel is a whole WGSL file in shaders/ (sizes as `override` constants). Each file is
// reflected with wgsl_reflect; bind group layouts are built from the reflection (not 'auto', so layouts are
// explicit and shareable), pipelines are cached per (file, entry point, constants), and every bind checks
// that the host supplies each binding with the right usage and enough bytes.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

// kernel name (file name without .wgsl) -> WGSL text; shared snippets are keyed by their path under shaders/,
// e.g. 'lib/counterHash', and are not kernels themselves.
export type ShaderSources = Record<string, string>;

/** `// #include "lib/x.wgsl"` on a line of its own splices shaders/lib/x.wgsl in at that line. */
const INCLUDE = /^[ \t]*\/\/[ \t]*#include[ \t]+"([^"]+)\.wgsl"[ \t]*$/;

/**
 * `// #if FEATURE`, `// #else` and `// #endif`, each on a line of its own, keep the lines between them only where
 * the device has that GPU feature (or, after #else, lacks it): a kernel may `enable subgroups;` and call subgroup
 * builtins where the device offers them and still compile where it does not. Sections do not nest.
 */
const IF_FEATURE = /^[ \t]*\/\/[ \t]*#if[ \t]+([a-z0-9-]+)[ \t]*$/;
const ELSE = /^[ \t]*\/\/[ \t]*#else[ \t]*$/;
const ENDIF = /^[ \t]*\/\/[ \t]*#endif[ \t]*$/;

/** A kernel's text with its includes spliced in, and for every line of it the file and line it came from. */
export interface ExpandedSource {
  text: string;
  origin: { file: string; line: number }[];
}

/**
 * Splices shared snippets into a kernel: WGSL has no includes, and the counter hash (for instance) must be the
 * same words in every kernel that draws random numbers. Each snippet is spliced once per kernel (a second
 * include of it is dropped) and snippets may include others; errors name the including file and line. Feature
 * sections (above) are resolved against `features`; their dropped lines stay as empty lines, so that compiler
 * messages keep their line numbers.
 */
export function expandIncludes(file: string, sources: ShaderSources, features: ReadonlySet<string> = new Set()): ExpandedSource {
  const text: string[] = [];
  const origin: ExpandedSource['origin'] = [];
  const seen = new Set<string>();
  const visit = (name: string, stack: string[]) => {
    const source = sources[name];
    if (source === undefined) throw new Error(`shaders/${stack[stack.length - 1]}.wgsl: #include "${name}.wgsl": no such file under shaders/`);
    const at = (i: number) => `shaders/${name}.wgsl:${i + 1}`;
    let open: { feature: string; line: number; keep: boolean; inElse: boolean } | null = null;
    source.split('\n').forEach((line, i) => {
      const emit = (kept: string) => {
        text.push(kept);
        origin.push({ file: `shaders/${name}.wgsl`, line: i + 1 });
      };
      const opening = IF_FEATURE.exec(line);
      if (opening) {
        if (open) throw new Error(`${at(i)}: #if ${opening[1]} inside the #if ${open.feature} of line ${open.line}; sections do not nest`);
        open = { feature: opening[1], line: i + 1, keep: features.has(opening[1]), inElse: false };
        return emit('');
      }
      if (ELSE.test(line)) {
        if (!open || open.inElse) throw new Error(`${at(i)}: #else without an open #if`);
        open = { ...open, keep: !open.keep, inElse: true };
        return emit('');
      }
      if (ENDIF.test(line)) {
        if (!open) throw new Error(`${at(i)}: #endif without an open #if`);
        open = null;
        return emit('');
      }
      if (open && !open.keep) return emit('');
      const m = INCLUDE.exec(line);
      if (!m) return emit(line);
      const target = m[1];
      if (stack.includes(target)) throw new Error(`${at(i)}: #include "${target}.wgsl" includes itself (${[...stack, name, target].join(' -> ')})`);
      if (seen.has(target)) return;
      seen.add(target);
      visit(target, [...stack, name]);
    });
    if (open) throw new Error(`shaders/${name}.wgsl:${(open as { line: number }).line}: #if ${(open as { feature: string }).feature} is never closed (#endif)`);
  };
  visit(file, []);
  return { text: text.join('\n'), origin };
}

export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';

export interface BindingInfo {
  name: string;
  group: number;
  binding: number;
  kind: BindingKind;
  /** Bytes the shader needs regardless of shapes: a fixed-size type, or one element of a runtime array. */
  staticMinBytes: number;
}

export class WgslCompileError extends Error {
  constructor(
    readonly file: string,
    /** `file` of a message is the snippet a line came from when it is not the kernel itself. */
    readonly messages: { file?: string; line: number; column: number; type: string; message: string }[],
  ) {
    super(
      messages
        .map((m) => `${m.file ?? file}:${m.line}:${m.column}: ${m.type}: ${m.message}`)
        .join('\n'),
    );
    this.name = 'WgslCompileError';
  }
}

export class BindingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BindingError';
  }
}

/** A buffer or a window into one. */
export type BufferBinding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroups: GPUBindGroup[];
  workgroups: [number, number, number];
  /** Work counts for the bench's roofline fractions (optional; 0 when unknown). */
  flops: number;
  bytes: number;
}

export interface DispatchOptions {
  /** Bytes each runtime-sized binding must hold for the shapes this pipeline was built with. */
  minBytes?: Record<string, number>;
  label?: string;
  flops?: number;
  bytes?: number;
}

export class Kernel {
  constructor(
    readonly device: GPUDevice,
    readonly file: string,
    readonly entryPoint: string,
    readonly pipeline: GPUComputePipeline,
    readonly layouts: GPUBindGroupLayout[],
    readonly bindings: BindingInfo[],
    readonly workgroupSize: [number, number, number],
  ) {}

  /** Validates the host's buffers against the reflected bindings and builds the bind groups once. */
  bind(buffers: Record<string, BufferBinding>, options: DispatchOptions = {}): GPUBindGroup[] {
    const where = `kernel '${this.file}' (entry '${this.entryPoint}')`;
    const known = new Set(this.bindings.map((b) => b.name));
    for (const name of Object.keys(buffers)) {
      if (!known.has(name)) {
        throw new BindingError(
          `${where}: buffer given for '${name}', which the shader does not declare; it declares ${[...known].join(', ')}`,
        );
      }
    }
    const entries: GPUBindGroupEntry[][] = this.layouts.map(() => []);
    for (const info of this.bindings) {
      const given = buffers[info.name];
      const label = `${where} binding '${info.name}' (@group(${info.group}) @binding(${info.binding}), ${info.kind})`;
      if (given === undefined) throw new BindingError(`${label}: no buffer given`);
      const buffer = 'buffer' in given ? given.buffer : given;
      const offset = 'buffer' in given ? (given.offset ?? 0) : 0;
      const size = 'buffer' in given ? (given.size ?? buffer.size - offset) : buffer.size;
      const needUsage = info.kind === 'uniform' ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE;
      if ((buffer.usage & needUsage) === 0) {
        throw new BindingError(
          `${label}: expected usage ${info.kind === 'uniform' ? 'UNIFORM' : 'STORAGE'}, given a buffer ` +
            `'${buffer.label}' without it (usage flags ${buffer.usage})`,
        );
      }
      const need = Math.max(info.staticMinBytes, options.minBytes?.[info.name] ?? 0);
      if (size < need) {
        throw new BindingError(`${label}: expected at least ${need} bytes, given ${size} bytes ('${buffer.label}')`);
      }
      entries[info.group].push({ binding: info.binding, resource: { buffer, offset, size } });
    }
    return this.layouts.map((layout, group) =>
      this.device.createBindGroup({ label: `${this.file}/${group}`, layout, entries: entries[group] }),
    );
  }

  /** A ready-to-record dispatch: bind groups are built (and checked) here, once, not per step. */
  dispatch(
    buffers: Record<string, BufferBinding>,
    workgroups: [number, number?, number?],
    options: DispatchOptions = {},
  ): Dispatch {
    const wg: [number, number, number] = [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1];
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (wg.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
      throw new BindingError(
        `kernel '${this.file}': workgroup counts ${JSON.stringify(wg)} must be integers in 1..${max}`,
      );
    }
    return {
      label: options.label ?? this.file,
      pipeline: this.pipeline,
      bindGroups: this.bind(buffers, options),
      workgroups: wg,
      flops: options.flops ?? 0,
      bytes: options.bytes ?? 0,
    };
  }
}

interface ReflectedEntry {
  /** Bindings this entry point uses (through any helper function), so a multi-entry file binds only those. */
  bindings: BindingInfo[];
  /** Raw @workgroup_size arguments: numbers or override names. */
  workgroupSize: (string | number)[];
}

interface Reflected {
  overrides: Map<string, string>; // name -> WGSL type
  entries: Map<string, ReflectedEntry>;
}

export interface KernelRequest {
  entryPoint?: string;
  constants?: Record<string, number>;
}

export class KernelLibrary {
  private readonly reflected = new Map<string, Reflected>();
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly kernels = new Map<string, Promise<Kernel>>();

  constructor(
    readonly device: GPUDevice,
    readonly sources: ShaderSources,
  ) {}

  /** Kernel files (shared snippets under lib/ excluded). */
  names(): string[] {
    return Object.keys(this.sources).filter((n) => !n.startsWith('lib/')).sort();
  }

  /** Compiles (once) and returns the pipeline for a kernel file, entry point and override constants. */
  kernel(file: string, request: KernelRequest = {}): Promise<Kernel> {
    const constants = request.constants ?? {};
    const key = `${file}#${request.entryPoint ?? ''}#${JSON.stringify(Object.entries(constants).sort())}`;
    let kernel = this.kernels.get(key);
    if (!kernel) {
      kernel = this.build(file, request.entryPoint, constants);
      this.kernels.set(key, kernel);
      kernel.catch(() => this.kernels.delete(key));
    }
    return kernel;
  }

  private readonly expanded = new Map<string, ExpandedSource>();

  /** The kernel's WGSL with its includes spliced in (what is compiled and reflected). */
  private expand(file: string): ExpandedSource {
    let e = this.expanded.get(file);
    if (!e) {
      if (this.sources[file] === undefined || file.startsWith('lib/')) {
        throw new Error(`unknown kernel '${file}': shaders/ has ${this.names().join(', ')}`);
      }
      e = expandIncludes(file, this.sources, this.device.features as ReadonlySet<string>);
      this.expanded.set(file, e);
    }
    return e;
  }

  private source(file: string): string {
    return this.expand(file).text;
  }

  private reflect(file: string): Reflected {
    let r = this.reflected.get(file);
    if (r) return r;
    const reflect = new WgslReflect(this.source(file));
    const toBinding = (b: (typeof reflect.storage)[number]): BindingInfo => {
      // wgsl_reflect: resourceType 0 = uniform, 1 = storage; access 'read' | 'read_write'.
      if (b.resourceType !== 0 && b.resourceType !== 1) {
        throw new Error(`shaders/${file}.wgsl: binding '${b.name}' is not a buffer; kernels use buffers only`);
      }
      const kind: BindingKind = b.resourceType === 0 ? 'uniform' : b.access === 'read' ? 'read-only-storage' : 'storage';
      const staticMinBytes = b.size > 0 ? b.size : Math.max((b.type as { stride?: number } | undefined)?.stride ?? 4, 4);
      return { name: b.name, group: b.group, binding: b.binding, kind, staticMinBytes };
    };
    const overrides = new Map<string, string>();
    for (const o of reflect.overrides) overrides.set(o.name, o.type?.name ?? 'u32');
    const entries = new Map<string, ReflectedEntry>();
    for (const fn of reflect.entry.compute) {
      const attr = fn.attributes?.find((a) => a.name === 'workgroup_size');
      const raw = attr ? (Array.isArray(attr.value) ? attr.value : [attr.value]) : [1];
      const bindings = fn.resources.map(toBinding).sort((a, b) => a.group - b.group || a.binding - b.binding);
      entries.set(fn.name, { bindings, workgroupSize: raw as (string | number)[] });
    }
    r = { overrides, entries };
    this.reflected.set(file, r);
    return r;
  }

  private module(file: string): Promise<GPUShaderModule> {
    let m = this.modules.get(file);
    if (!m) {
      m = (async () => {
        const module = this.device.createShaderModule({ label: `shaders/${file}.wgsl`, code: this.source(file) });
        const info = await module.getCompilationInfo();
        const errors = info.messages.filter((msg) => msg.type === 'error');
        if (errors.length > 0) {
          // Lines of the spliced text map back to the file (kernel or snippet) they came from.
          const { origin } = this.expand(file);
          throw new WgslCompileError(
            `shaders/${file}.wgsl`,
            errors.map((msg) => {
              const from = origin[msg.lineNum - 1];
              return { file: from?.file, line: from?.line ?? msg.lineNum, column: msg.linePos, type: msg.type, message: msg.message };
            }),
          );
        }
        return module;
      })();
      this.modules.set(file, m);
      m.catch(() => this.modules.delete(file));
    }
    return m;
  }

  private async build(file: string, entryPoint: string | undefined, constants: Record<string, number>) {
    const module = await this.module(file); // compile errors first: they explain reflection failures too
    const r = this.reflect(file);
    const entry = entryPoint ?? [...r.entries.keys()][0];
    const reflected = r.entries.get(entry);
    if (!reflected) {
      throw new Error(`shaders/${file}.wgsl has no compute entry point '${entry}' (has ${[...r.entries.keys()].join(', ')})`);
    }
    for (const [name, value] of Object.entries(constants)) {
      if (!r.overrides.has(name)) {
        throw new Error(
          `shaders/${file}.wgsl: override constant '${name}' is not declared (declared: ${[...r.overrides.keys()].join(', ') || 'none'})`,
        );
      }
      if (!Number.isFinite(value)) throw new Error(`shaders/${file}.wgsl: override '${name}' = ${value} is not finite`);
    }
    const workgroupSize = [0, 1, 2].map((i) => {
      const v = reflected.workgroupSize[i];
      if (v === undefined) return 1;
      const n = Number(v);
      if (Number.isFinite(n)) return n;
      const name = String(v);
      if (constants[name] !== undefined) return constants[name];
      const def = this.overrideDefault(file, name);
      if (def === undefined) throw new Error(`shaders/${file}.wgsl: workgroup size '${name}' needs a value`);
      return def;
    }) as [number, number, number];

    const bindings = reflected.bindings;
    const groups = Math.max(0, ...bindings.map((b) => b.group + 1));
    const layouts: GPUBindGroupLayout[] = [];
    for (let g = 0; g < groups; g++) {
      layouts.push(
        this.device.createBindGroupLayout({
          label: `shaders/${file}.wgsl group ${g}`,
          entries: bindings
            .filter((b) => b.group === g)
            .map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
        }),
      );
    }
    this.device.pushErrorScope('validation');
    const pipeline = await this.device.createComputePipelineAsync({
      label: `shaders/${file}.wgsl:${entry}`,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: layouts }),
      compute: { module, entryPoint: entry, constants },
    }).catch((e: unknown) => {
      throw new Error(`shaders/${file}.wgsl:${entry}: pipeline creation failed: ${(e as Error).message}`);
    });
    const err = await this.device.popErrorScope();
    if (err) throw new Error(`shaders/${file}.wgsl:${entry}: ${err.message}`);
    return new Kernel(this.device, file, entry, pipeline, layouts, bindings, workgroupSize);
  }

  private overrideDefault(file: string, name: string): number | undefined {
    const m = new RegExp(`override\\s+${name}\\s*(?::\\s*\\w+)?\\s*=\\s*([0-9.eE+-]+)`).exec(this.source(file));
    return m ? Number(m[1].replace(/[uif]$/, '')) : undefined;
  }
}
