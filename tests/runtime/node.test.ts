// The Node runtime (src/runtime/env-node.ts, Dawn through the `webgpu` package) in the vitest process itself:
// the same probes the page runs, compared with the same float64 references. On a machine without a GPU
// driver, env-node falls back to SwiftShader by itself (VK_ICD_FILENAMES is not set for this test).
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { gemmReference } from '../../src/reference/gemm';
import { softmaxRowsReference } from '../../src/reference/softmaxRows';
import { reduceRowsReference } from '../../src/reference/reduceRows';
import type { GemmShape } from '../../src/kernels/gemm';
import type { AdapterReport } from '../../src/runtime/device';

// Loaded after env-node: the probes' runtime modules need the WebGPU globals it installs.
let probes: typeof import('../probes/kernels');
const icdBefore = process.env.VK_ICD_FILENAMES;

describe('kernels through Dawn in Node (env-node.ts)', () => {
  let adapter: AdapterReport;
  beforeAll(async () => {
    const env = await import('../../src/runtime/env-node');
    const { adapterLine } = await import('../../src/runtime/device');
    adapter = (await env.createNodeContext()).adapter;
    probes = await import('../probes/kernels');
    console.log(`[onelayer] Node/Dawn adapter: ${adapterLine(adapter)}`);
  });

  it('has a Dawn adapter', async () => {
    expect(adapter.runtime).toBe('node');
    expect(adapter.features).toContain('timestamp-query');
    // Started without VK_ICD_FILENAMES on a machine with no GPU driver (this one), env-node must have found
    // SwiftShader by setting it itself; where a GPU driver answered first, it must have left it alone.
    if (!icdBefore) {
      const { SWIFTSHADER_ICD } = await import('../../src/runtime/env-node');
      expect(process.env.VK_ICD_FILENAMES).toBe(adapter.isSoftware ? SWIFTSHADER_ICD : undefined);
    }
  });

  // One shape: each gemm pipeline takes seconds to compile on SwiftShader through Dawn.
  it('gemm matches the float64 reference', async () => {
    const shape: GemmShape = { batch: 3, M: 33, N: 17, K: 40, transB: true, alpha: 0.5 };
    const rng = new Random(shape.M + shape.N + shape.K);
    const A = seededArray(rng, shape.batch * shape.M * shape.K);
    const B = seededArray(rng, shape.batch * shape.K * shape.N);
    const got = await probes.runGemm({ shape, A, B });
    expectClose(got, gemmReference(shape, A, B), 1e-5, 'C');
  });

  it('softmaxRows forward matches the float64 reference', async () => {
    const shape = { batch: 5, rows: 3, cols: 21 };
    const n = 5 * 3 * 21;
    const rng = new Random(3);
    const x = seededArray(rng, n, -10, 10);
    const got = await probes.runSoftmaxRows({ shape, x, y: new Float32Array(n), dy: new Float32Array(n) });
    expectClose(got.y, softmaxRowsReference(shape, x), 1e-5, 'y');
  });

  it('reduceRows matches the reference and repeats bit for bit', async () => {
    const shape = { rows: 2, batch: 300, cols: 19, scale: 1 / 300 };
    const x = seededArray(new Random(4), 2 * 300 * 19);
    const [first, second] = await probes.runReduceRows({ shape, x, runs: 2 });
    expectClose(first, reduceRowsReference(shape, x), 1e-6, 'out');
    expect(new Uint32Array(second.buffer)).toEqual(new Uint32Array(first.buffer));
  });
});
