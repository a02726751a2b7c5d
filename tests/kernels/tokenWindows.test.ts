// tokenWindows (shaders/tokenWindows.wgsl) against its reference (src/reference/tokenWindows.ts), word for word:
// the tutorial's sequential windows (epochs wrap), random offsets per replica, and shapes that barely fit.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { tokenWindowsReference } from '../../src/reference/tokenWindows';
import { tokenWindows, type TokenWindowsShape } from '../../src/kernels/tokenWindows';
import type { KernelLibrary } from '../../src/runtime/kernels';

const PROBE = '/tests/probes/tokenWindows.ts';

const CASES: TokenWindowsShape[] = [
  { replicas: 1, batch: 1, T: 1, stream: 2, order: 'sequential' },
  { replicas: 2, batch: 3, T: 5, stream: 50, order: 'sequential' },
  { replicas: 3, batch: 20, T: 35, stream: 4000, order: 'sequential' },
  { replicas: 3, batch: 7, T: 4, stream: 30, order: 'random' },
  { replicas: 2, batch: 5, T: 16, stream: 17, order: 'random' },
];

describe('tokenWindows (shaders/tokenWindows.wgsl) against its reference', () => {
  const gpu = useGpu();
  for (const shape of CASES) {
    it(JSON.stringify(shape), async () => {
      const stream = Uint32Array.from({ length: shape.stream }, (_, i) => (i * 7919 + 13) % 65521);
      const seeds = Uint32Array.from({ length: shape.replicas }, (_, r) => 5 + r);
      const steps = [0, 1, 2, 1000003];
      const got = await gpu().call<Uint32Array[]>(PROBE, 'runTokenWindows', { shape, stream, seeds, steps });
      steps.forEach((step, k) => expect(Array.from(got[k]), `step ${step}`).toEqual(Array.from(tokenWindowsReference(shape, stream, step, seeds))));
      if (shape.order === 'random' && shape.replicas > 1 && shape.stream > 2 * shape.T) {
        const perReplica = shape.batch * (shape.T + 1);
        expect(got[0].slice(0, perReplica), 'replicas draw their own windows').not.toEqual(got[0].slice(perReplica, 2 * perReplica));
      }
    });
  }

  it('the tutorial order: window w of every column, epochs wrap, targets are the inputs shifted by one', () => {
    const shape: TokenWindowsShape = { replicas: 1, batch: 2, T: 3, stream: 20, order: 'sequential' };
    const stream = Uint32Array.from({ length: 20 }, (_, i) => i);
    // columns of 10: windows start at 0, 3, 6 (then wrap) in column 0 and 10, 13, 16 in column 1
    expect(Array.from(tokenWindowsReference(shape, stream, 1, [0]))).toEqual([3, 4, 5, 6, 13, 14, 15, 16]);
    expect(Array.from(tokenWindowsReference(shape, stream, 3, [0]))).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
  });

  it('refuses a stream too short for one window, naming the sizes', async () => {
    const none = {} as KernelLibrary;
    await expect(tokenWindows(none, { replicas: 1, batch: 4, T: 5, stream: 20, order: 'sequential' })).rejects.toThrow(/20 tokens in 4 columns has 5 per column; a window of T \+ 1 = 6 does not fit/);
    await expect(tokenWindows(none, { replicas: 1, batch: 4, T: 5, stream: 5, order: 'random' })).rejects.toThrow(/stream = 5 tokens; a window of T \+ 1 = 6 does not fit/);
  });
});
