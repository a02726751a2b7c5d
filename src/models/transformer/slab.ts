// The parameter slab (docs/transformer.md): all of a replica's tensors in one run of P floats, buffers laid out
// [R][P]. Every tensor starts at a multiple of 64 floats (256 bytes, the storage offset alignment), so it can be
// bound as a window; the `ffn` group comes first, so one optimizer dispatch tells the groups apart by
// i % P < ffnEnd. Gaps hold zeros in params, gradients and optimizer state and stay zero.
import type { BufferBinding } from '../../runtime/kernels';
import { transformerParamGroup, transformerParamShapes, type TransformerConfig, type TransformerShapes } from './shapes';

/** Floats per alignment unit: WebGPU's minStorageBufferOffsetAlignment is at most 256 bytes. */
export const SLAB_ALIGN = 64;

export interface SlabTensor {
  name: string;
  shape: number[];
  /** Floats from the start of a replica's slab. */
  offset: number;
  size: number;
}

export interface SlabLayout {
  /** Tensors in slab order: the `ffn` group, then `rest`, each in transformerParamShapes order. */
  tensors: SlabTensor[];
  byName: Record<string, SlabTensor>;
  /** Floats per replica (a multiple of SLAB_ALIGN). */
  P: number;
  /** First float of the `rest` group. */
  ffnEnd: number;
}

const align = (n: number) => Math.ceil(n / SLAB_ALIGN) * SLAB_ALIGN;

export function slabLayout(config: TransformerConfig, shapes: TransformerShapes): SlabLayout {
  const all = Object.entries(transformerParamShapes(config, shapes));
  const ordered = [...all.filter(([n]) => transformerParamGroup(n) === 'ffn'), ...all.filter(([n]) => transformerParamGroup(n) === 'rest')];
  const tensors: SlabTensor[] = [];
  let offset = 0;
  let ffnEnd = 0;
  for (const [name, shape] of ordered) {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, offset, size });
    offset = align(offset + size);
    if (transformerParamGroup(name) === 'ffn') ffnEnd = offset;
  }
  return { tensors, byName: Object.fromEntries(tensors.map((t) => [t.name, t])), P: Math.max(SLAB_ALIGN, offset), ffnEnd };
}

/** Per-tensor arrays [R][...shape] (float32 or float64) into one slab [R][P] (gaps zero). */
export function packSlab(layout: SlabLayout, tensors: Record<string, ArrayLike<number>>, replicas: number): Float32Array<ArrayBuffer> {
  const slab = new Float32Array(replicas * layout.P);
  for (const t of layout.tensors) {
    const values = tensors[t.name];
    if (!values || values.length !== replicas * t.size) throw new RangeError(`slab: ${t.name} has ${values?.length ?? 'no'} values; expected ${replicas} × ${t.shape.join(' × ')}`);
    for (let r = 0; r < replicas; r++) for (let i = 0; i < t.size; i++) slab[r * layout.P + t.offset + i] = values[r * t.size + i];
  }
  return slab;
}

/** A slab [R][P] into per-tensor arrays [R][...shape]. */
export function unpackSlab(layout: SlabLayout, slab: Float32Array, replicas: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const t of layout.tensors) {
    const values = new Float32Array(replicas * t.size);
    for (let r = 0; r < replicas; r++) values.set(slab.subarray(r * layout.P + t.offset, r * layout.P + t.offset + t.size), r * t.size);
    out[t.name] = values;
  }
  return out;
}

/** The binding window of one tensor in a slab buffer: from replica 0's copy to the end of replica R−1's. */
export function slabWindow(layout: SlabLayout, buffer: GPUBuffer, name: string, replicas: number): BufferBinding {
  const t = layout.byName[name];
  if (!t) throw new Error(`slab: no tensor '${name}' (has ${layout.tensors.map((x) => x.name).join(', ')})`);
  return { buffer, offset: 4 * t.offset, size: 4 * ((replicas - 1) * layout.P + t.size) };
}
