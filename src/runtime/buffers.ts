// Buffer arena: a model allocates all of its buffers once, when its step plan is built, and the training loop
// allocates nothing. Released buffers go back to a free list keyed by (size, usage) so that evaluation and
// test temporaries are reused instead of re-created.

// GPUBufferUsage STORAGE | COPY_SRC | COPY_DST, spelled as the spec's fixed values so that this module loads
// in Node before Dawn has installed the WebGPU globals (a CLI imports the runtime before choosing one).
export const STORAGE = 0x0080 | 0x0004 | 0x0008;

export type TypedArray = Float32Array | Uint32Array | Int32Array;

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private allocatedBytes = 0;

  constructor(readonly device: GPUDevice) {}

  /** A storage buffer of at least `bytes` (rounded up to 16), reused from the free list when possible. */
  acquire(bytes: number, label: string, usage: number = STORAGE): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const maxSize = this.device.limits.maxBufferSize;
    if (size > maxSize) {
      throw new RangeError(`buffer '${label}' needs ${size} bytes; this adapter allows at most ${maxSize} bytes per buffer`);
    }
    const key = `${size}:${usage}`;
    const reused = this.free.get(key)?.pop();
    const buffer = reused ?? this.device.createBuffer({ label, size, usage });
    if (!reused) this.allocatedBytes += size;
    this.live.add(buffer);
    return buffer;
  }

  /** A storage buffer holding `data`. */
  upload(data: TypedArray, label: string, usage: number = STORAGE): GPUBuffer {
    const buffer = this.acquire(data.byteLength, label, usage);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const key = `${buffer.size}:${buffer.usage}`;
    const list = this.free.get(key) ?? [];
    list.push(buffer);
    this.free.set(key, list);
  }

  /** Bytes ever allocated by this pool (a training step that allocates leaves this unchanged). */
  get bytesAllocated(): number {
    return this.allocatedBytes;
  }

  destroy(): void {
    for (const b of this.live) b.destroy();
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.live.clear();
    this.free.clear();
  }
}

/** Fills a buffer with NaN (f32 bit pattern 0x7fc00000) so that any element a kernel fails to write shows. */
export function poison(device: GPUDevice, buffer: GPUBuffer, bytes = buffer.size): void {
  const words = new Uint32Array(Math.ceil(bytes / 4)).fill(0x7fc00000);
  device.queue.writeBuffer(buffer, 0, words);
}

/**
 * Reads a buffer back. For tests, evaluation and checkpoints only: the training loop reads metrics through
 * MetricsRing (plan.ts), never through this.
 */
export async function readBuffer(device: GPUDevice, buffer: GPUBuffer, bytes = buffer.size, offset = 0): Promise<ArrayBuffer> {
  const size = Math.ceil(bytes / 4) * 4;
  const staging = device.createBuffer({ label: `read ${buffer.label}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return copy;
}

export async function readF32(device: GPUDevice, buffer: GPUBuffer, count: number, offset = 0): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, buffer, count * 4, offset * 4));
}

export async function readU32(device: GPUDevice, buffer: GPUBuffer, count: number, offset = 0): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(device, buffer, count * 4, offset * 4));
}
