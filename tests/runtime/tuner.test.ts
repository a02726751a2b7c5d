// The tuner's rules (src/runtime/tuner.ts), with a stand-in clock: a recorded choice wins over everything, a cached
// choice is reused without timing while it is still offered, mode 'defaults' takes the first variant, 'tune' times
// every variant once per site and shape and keeps the fastest; cache files are checked before they are trusted.
import { describe, expect, it } from 'vitest';
import { mergeChoices, tuneCacheProblem, Tuner, type TuneChoice } from '../../src/runtime/tuner';
import type { Dispatch } from '../../src/runtime/kernels';

const device = {} as GPUDevice;
/** A clock where variant {v: n} takes `costs[n]` ms; records what it timed. */
function clock(costs: number[]) {
  const timed: number[] = [];
  const measure = async (_d: GPUDevice, dispatches: Dispatch[]) => {
    const v = Number(dispatches[0].label);
    timed.push(v);
    return costs[v];
  };
  return { timed, measure };
}
const variants = [{ v: 0 }, { v: 1 }, { v: 2 }];
const build = async (variant: { v: number }) => [{ label: String(variant.v) } as Dispatch];

describe('Tuner', () => {
  it("'tune' times each variant once per site and shape, keeps the fastest, and reuses it", async () => {
    const c = clock([5, 2, 9]);
    const tuner = new Tuner('tune', [], [], c.measure);
    expect(await tuner.pick(device, 'gemm', { M: 4 }, variants, build)).toEqual({ v: 1 });
    expect(await tuner.pick(device, 'gemm', { M: 4 }, variants, build)).toEqual({ v: 1 });
    expect(c.timed).toEqual([0, 1, 2]);
    expect(await tuner.pick(device, 'gemm', { M: 8 }, variants, build)).toEqual({ v: 1 });
    expect(c.timed).toEqual([0, 1, 2, 0, 1, 2]); // another shape is another choice
    expect(tuner.measured.map((m) => m.key)).toEqual(['{"M":4}', '{"M":8}']);
    expect(tuner.measured[0].timings!.map((t) => t.ms)).toEqual([5, 2, 9]);
    expect(tuner.used.length).toBe(2);
  });

  it('a cached choice is reused without timing; one no longer offered is timed again', async () => {
    const cached: TuneChoice[] = [
      { site: 'gemm', key: '{"M":4}', variant: { v: 2 } },
      { site: 'gemm', key: '{"M":8}', variant: { v: 7 } },
    ];
    const c = clock([5, 2, 9]);
    const tuner = new Tuner('tune', cached, [], c.measure);
    expect(await tuner.pick(device, 'gemm', { M: 4 }, variants, build)).toEqual({ v: 2 });
    expect(c.timed).toEqual([]);
    expect(await tuner.pick(device, 'gemm', { M: 8 }, variants, build)).toEqual({ v: 1 });
    expect(c.timed).toEqual([0, 1, 2]);
  });

  it('a cached choice timed against fewer variants than are offered now is timed again', async () => {
    const timedTwo: TuneChoice[] = [{ site: 'gemm', key: '{"M":4}', variant: { v: 0 }, timings: [{ variant: { v: 0 }, ms: 5 }, { variant: { v: 2 }, ms: 9 }] }];
    const c = clock([5, 2, 9]);
    expect(await new Tuner('tune', timedTwo, [], c.measure).pick(device, 'gemm', { M: 4 }, variants, build)).toEqual({ v: 1 });
    expect(c.timed).toEqual([0, 1, 2]);
    // Timed against all of them (or more): reused. In mode 'defaults' a cached choice is reused as before.
    const timedAll: TuneChoice[] = [{ ...timedTwo[0], timings: [0, 1, 2, 3].map((v) => ({ variant: { v }, ms: 1 })) }];
    expect(await new Tuner('tune', timedAll, [], c.measure).pick(device, 'gemm', { M: 4 }, variants, build)).toEqual({ v: 0 });
    expect(await new Tuner('defaults', timedTwo, [], c.measure).pick(device, 'gemm', { M: 4 }, variants, build)).toEqual({ v: 0 });
    expect(c.timed).toEqual([0, 1, 2]);
  });

  it("'defaults' takes the first variant and times nothing; a recorded choice wins over cache and mode", async () => {
    const c = clock([5, 2, 9]);
    expect(await new Tuner('defaults', [], [], c.measure).pick(device, 'gemm', { M: 4 }, variants, build)).toEqual({ v: 0 });
    const fixed = [{ site: 'gemm', key: '{"M":4}', variant: { v: 2 } }];
    const cached = [{ site: 'gemm', key: '{"M":4}', variant: { v: 1 } }];
    expect(await new Tuner('tune', cached, fixed, c.measure).pick(device, 'gemm', { M: 4 }, variants, build)).toEqual({ v: 2 });
    expect(c.timed).toEqual([]);
    await expect(new Tuner('tune', [], [{ site: 'gemm', key: '{"M":4}', variant: { v: 5 } }], c.measure).pick(device, 'gemm', { M: 4 }, variants, build))
      .rejects.toThrow(/recorded choice \{"v":5\} at gemm \{"M":4\} is not one of this build's variants/);
    // A variant an older build offered, no longer offered but still runnable (the call site's retired): a resume
    // keeps it, untimed; a cached choice of it does not count, and one the site does not accept is still an error.
    const retired = (v: Record<string, unknown>) => v.v === 5;
    const resumed = new Tuner('tune', [], [{ site: 'gemm', key: '{"M":4}', variant: { v: 5 } }], c.measure);
    expect(await resumed.pick(device, 'gemm', { M: 4 }, variants, build, undefined, retired)).toEqual({ v: 5 });
    expect(resumed.used).toEqual([{ site: 'gemm', key: '{"M":4}', variant: { v: 5 } }]);
    expect(c.timed).toEqual([]);
    const fresh = new Tuner('tune', [{ site: 'gemm', key: '{"M":4}', variant: { v: 5 } }], [], c.measure);
    expect(await fresh.pick(device, 'gemm', { M: 4 }, variants, build, undefined, retired)).toEqual({ v: 1 });
    await expect(new Tuner('tune', [], [{ site: 'gemm', key: '{"M":4}', variant: { v: 6 } }], c.measure).pick(device, 'gemm', { M: 4 }, variants, build, undefined, retired))
      .rejects.toThrow(/recorded choice \{"v":6\} at gemm/);
  });

  it('cache files are checked field by field; merging replaces a site and shape with the newer choice', () => {
    expect(tuneCacheProblem({ format: 'onelayer-tuning/1', adapters: { a: [{ site: 's', key: 'k', variant: { v: 1 } }] } })).toBeNull();
    expect(tuneCacheProblem([])).toBe('not a JSON object');
    expect(tuneCacheProblem({ format: 'x', adapters: {} })).toMatch(/format = "x"/);
    expect(tuneCacheProblem({ format: 'onelayer-tuning/1', adapters: { a: [{ site: 's', key: 'k' }] } })).toMatch(/adapters\["a"\]\[0\] is not a \{site, key, variant\} choice/);
    const merged = mergeChoices([{ site: 's', key: 'k', variant: { v: 1 } }, { site: 's', key: 'j', variant: { v: 1 } }], [{ site: 's', key: 'k', variant: { v: 2 } }]);
    expect(merged).toEqual([{ site: 's', key: 'k', variant: { v: 2 } }, { site: 's', key: 'j', variant: { v: 1 } }]);
  });
});
