// Step plan: the passes of one training step, recorded once as a list of prebuilt dispatches (pipelines and
// bind groups created and checked up front) and replayed: `run(k)` encodes k steps into one command buffer
// and submits it once. Metrics leave the GPU through MetricsRing, a ring of staging buffers mapped
// asynchronously, so the host never waits on the GPU inside the training loop.
import type { Dispatch } from './kernels';

export class StepPlan {
  readonly dispatches: Dispatch[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly label: string,
  ) {}

  add(...dispatches: Dispatch[]): this {
    this.dispatches.push(...dispatches);
    return this;
  }

  /** Records the plan into an encoder as one compute pass (WebGPU orders storage writes between its dispatches). */
  encode(encoder: GPUCommandEncoder): void {
    const pass = encoder.beginComputePass({ label: this.label });
    for (const d of this.dispatches) {
      pass.setPipeline(d.pipeline);
      d.bindGroups.forEach((g, i) => pass.setBindGroup(i, g));
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
    pass.end();
  }

  /** Encodes `steps` repetitions (plus anything `after` adds) and submits them as one command buffer. */
  run(steps = 1, after?: (encoder: GPUCommandEncoder) => void): void {
    const encoder = this.device.createCommandEncoder({ label: this.label });
    for (let s = 0; s < steps; s++) this.encode(encoder);
    after?.(encoder);
    this.device.queue.submit([encoder.finish()]);
  }
}

/**
 * Ring of staging buffers for periodic metrics. `capture(encoder, source)` copies `bytes` of `source` into the
 * next free slot inside the caller's command buffer and starts mapping it once that work is submitted; the
 * returned promise resolves with the values without anyone waiting for it in the loop. Only when every slot is
 * still in flight does `capture` wait for the oldest, which bounds memory when the GPU falls behind.
 */
export class MetricsRing {
  private readonly slots: { buffer: GPUBuffer; pending: Promise<Float32Array> | null }[];
  private next = 0;

  constructor(
    readonly device: GPUDevice,
    readonly bytes: number,
    size = 4,
  ) {
    this.slots = Array.from({ length: size }, (_, i) => ({
      buffer: device.createBuffer({
        label: `metrics ring ${i}`,
        size: Math.ceil(bytes / 4) * 4,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
      pending: null,
    }));
  }

  /** Returns a slot index to pass to `capture`; waits only if the ring is full. */
  async reserve(): Promise<number> {
    const index = this.next;
    this.next = (this.next + 1) % this.slots.length;
    const slot = this.slots[index];
    if (slot.pending) await slot.pending;
    return index;
  }

  /** Records the copy into `encoder`; call `collect(index)` after submitting. */
  record(encoder: GPUCommandEncoder, index: number, source: GPUBuffer, sourceOffset = 0): void {
    encoder.copyBufferToBuffer(source, sourceOffset, this.slots[index].buffer, 0, this.slots[index].buffer.size);
  }

  /** Starts the asynchronous map of a slot whose copy has been submitted. */
  collect(index: number): Promise<Float32Array> {
    const slot = this.slots[index];
    const pending = slot.buffer.mapAsync(GPUMapMode.READ).then(() => {
      const values = new Float32Array(slot.buffer.getMappedRange().slice(0, this.bytes));
      slot.buffer.unmap();
      slot.pending = null;
      return values;
    });
    slot.pending = pending;
    return pending;
  }

  destroy(): void {
    for (const s of this.slots) s.buffer.destroy();
  }
}
