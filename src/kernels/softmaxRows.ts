// Host wrapper for shaders/softmaxRows.wgsl: row softmax forward and backward over [batch][rows][cols].
// Reference: src/reference/softmaxRows.ts.
import type { KernelLibrary, Dispatch } from '../runtime/kernels';
import { assertPositiveInt, strideGroups } from './grid';

export interface SoftmaxRowsShape {
  /** Leading dimension (replicas x prompts, or whatever the caller flattens into it). */
  batch: number;
  rows: number;
  /** Length of each softmax. */
  cols: number;
}

export interface SoftmaxForwardBuffers {
  x: GPUBuffer;
  y: GPUBuffer;
}

export interface SoftmaxBackwardBuffers {
  /** The forward's output. */
  y: GPUBuffer;
  dy: GPUBuffer;
  dx: GPUBuffer;
}

export async function softmaxRows(kernels: KernelLibrary, s: SoftmaxRowsShape) {
  for (const k of ['batch', 'rows', 'cols'] as const) assertPositiveInt('softmaxRows', k, s[k]);
  const rows = s.batch * s.rows;
  const n = rows * s.cols;
  const constants = { ROWS: rows, COLS: s.cols };
  const [forwardKernel, backwardKernel] = await Promise.all([
    kernels.kernel('softmaxRows', { entryPoint: 'forward', constants }),
    kernels.kernel('softmaxRows', { entryPoint: 'backward', constants }),
  ]);
  const groups = (wg: number): [number] => [strideGroups(rows, wg)];
  return {
    forward: (buffers: SoftmaxForwardBuffers, label = 'softmaxRows.forward'): Dispatch =>
      forwardKernel.dispatch({ ...buffers }, groups(forwardKernel.workgroupSize[0]), {
        label,
        minBytes: { x: 4 * n, y: 4 * n },
        // max, subtract, exp (counted as one), sum, scale
        flops: 5 * n,
        bytes: 4 * (2 * n + 2 * n + n), // x read twice, y written twice and read once
      }),
    backward: (buffers: SoftmaxBackwardBuffers, label = 'softmaxRows.backward'): Dispatch =>
      backwardKernel.dispatch({ ...buffers }, groups(backwardKernel.workgroupSize[0]), {
        label,
        minBytes: { y: 4 * n, dy: 4 * n, dx: 4 * n },
        flops: 4 * n,
        bytes: 4 * (4 * n + n), // y and dy read twice, dx written once
      }),
  };
}
