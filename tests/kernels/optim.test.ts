// sgdUpdate and sgdMomentum kernels against their float64 references (src/reference/sgdUpdate.ts, sgdMomentum.ts).
import { describe, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { sgdUpdateReference } from '../../src/reference/sgdUpdate';
import { sgdMomentumReference } from '../../src/reference/sgdMomentum';

const PROBE = '/tests/probes/kernels.ts';

describe('sgdUpdate (shaders/sgdUpdate.wgsl)', () => {
  const gpu = useGpu();
  for (const [replicas, size] of [[1, 1], [3, 1000], [5, 257]]) {
    it(`R=${replicas} size=${size}, per-replica learning rates, 3 steps`, async () => {
      const rng = new Random(replicas * 7 + size);
      const param = seededArray(rng, replicas * size);
      const grad = seededArray(rng, replicas * size);
      const lr = seededArray(rng, replicas, 0.1, 10);
      const got = await gpu().call<Float32Array>(PROBE, 'runSgdUpdate', { replicas, size, param, grad, lr, steps: 3 });
      let want: Float64Array = Float64Array.from(param);
      for (let s = 0; s < 3; s++) want = sgdUpdateReference(size, want, grad, lr);
      expectClose(got, want, 1e-6, 'param');
    });
  }
});

describe('sgdMomentum (shaders/sgdMomentum.wgsl), PyTorch semantics', () => {
  const gpu = useGpu();
  // Four elements per thread in few workgroups (CPU adapters' default): 1 group per replica walks the whole slab.
  const variants = [{}, { fourPerThread: true, maxGroups: 1 }];
  for (const [replicas, size, variant] of [[1, 1, variants[0]], [4, 300, variants[0]], [3, 1028, variants[1]], [2, 8, variants[1]]] as const) {
    it(`R=${replicas} size=${size} ${JSON.stringify(variant)}, 4 steps with fresh gradients`, async () => {
      const rng = new Random(99 + size);
      const n = replicas * size;
      const param = seededArray(rng, n);
      const grads = Array.from({ length: 4 }, () => seededArray(rng, n));
      const lr = seededArray(rng, replicas, 0.5, 3);
      const momentum = seededArray(rng, replicas, 0, 0.95);
      const got = await gpu().call<{ param: Float32Array; velocity: Float32Array }>(PROBE, 'runSgdMomentum', {
        replicas, size, param, grads, lr, momentum, variant,
      });
      let state: { param: Float64Array; velocity: Float64Array | null } = { param: Float64Array.from(param), velocity: null };
      for (const g of grads) state = sgdMomentumReference(size, state.param, g, state.velocity, lr, momentum);
      expectClose(got.param, state.param, 1e-6, 'param');
      expectClose(got.velocity, state.velocity!, 1e-6, 'velocity');
    });
  }
});
