import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { gemmReference } from '../../src/reference/gemm';
import type { GemmShape } from '../../src/kernels/gemm';

const PROBE = '/tests/probes/kernels.ts';

// Awkward sizes: dimensions of 1, sizes that are not multiples of the 32-wide tile or the 16-deep K slab,
// broadcast operands, accumulation, and the largest the SwiftShader budget allows (ICL's backward shapes).
const CASES: GemmShape[] = [
  { batch: 1, M: 1, N: 1, K: 1 },
  { batch: 3, M: 7, N: 5, K: 3 },
  { batch: 2, M: 33, N: 31, K: 17, transA: true },
  { batch: 2, M: 40, N: 40, K: 64, transB: true },
  { batch: 4, M: 9, N: 65, K: 40, transA: true, transB: true },
  { batch: 3, M: 20, N: 6, K: 40, shareB: true },
  { batch: 2, M: 12, N: 10, K: 5, alpha: -0.5, beta: 1 },
  { batch: 1, M: 1, N: 40, K: 256, transA: true },
  { batch: 4, M: 256, N: 64, K: 40, transB: true },
  { batch: 2, M: 64, N: 40, K: 256, transA: true, wgSide: 4 },
];

describe('gemm (shaders/gemm.wgsl) against the float64 reference', () => {
  const gpu = useGpu();
  for (const shape of CASES) {
    it(JSON.stringify(shape), async () => {
      const rng = new Random(shape.M * 1000 + shape.N * 10 + shape.K);
      const A = seededArray(rng, (shape.shareA ? 1 : shape.batch) * shape.M * shape.K);
      const B = seededArray(rng, (shape.shareB ? 1 : shape.batch) * shape.K * shape.N);
      const C0 = shape.beta ? seededArray(rng, shape.batch * shape.M * shape.N) : undefined;
      const got = await gpu().call<Float32Array>(PROBE, 'runGemm', { shape, A, B, C0 });
      expectClose(got, gemmReference(shape, A, B, C0), 2e-6 * Math.sqrt(shape.K) + 1e-6, 'C');
    });
  }
});

describe('kernel loader checks', () => {
  const gpu = useGpu();
  it('names the shader, binding, and expected vs given size for a too-small buffer', async () => {
    const msg = await gpu().call<string>(PROBE, 'gemmBindingMismatch', { mismatch: 'small' });
    expect(msg).toMatch(/^BindingError: kernel 'gemm'.*binding 'C' \(@group\(0\) @binding\(2\).*expected at least 120 bytes, given 116 bytes/);
  });
  it('names a missing binding', async () => {
    const msg = await gpu().call<string>(PROBE, 'gemmBindingMismatch', { mismatch: 'missing' });
    expect(msg).toMatch(/kernel 'gemm'.*binding 'C'.*no buffer given/);
  });
  it('rejects a buffer with the wrong usage', async () => {
    const msg = await gpu().call<string>(PROBE, 'gemmBindingMismatch', { mismatch: 'usage' });
    expect(msg).toMatch(/binding 'A'|binding 'C'/);
    expect(msg).toMatch(/expected usage STORAGE/);
  });
  it('rejects a buffer for a binding the shader does not declare', async () => {
    const msg = await gpu().call<string>(PROBE, 'gemmBindingMismatch', { mismatch: 'unknown' });
    expect(msg).toMatch(/buffer given for 'D', which the shader does not declare; it declares A, B, C/);
  });
  it('reports WGSL compile errors with file, line and message', async () => {
    const source = ['@group(0) @binding(0) var<storage, read_write> x: array<f32>;', '@compute @workgroup_size(1)', 'fn main() {', '  x[0] = undefinedThing;', '}'].join('\n');
    const msg = await gpu().call<string>(PROBE, 'compileBroken', { source });
    expect(msg).toMatch(/^WgslCompileError: shaders\/broken\.wgsl:4:\d+: error: .*undefinedThing/);
  });
});
