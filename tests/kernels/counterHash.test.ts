// shaders/counterHash.wgsl: the counter hash every GPU draw uses (shaders/lib/counterHash.wgsl), alone, against its
// exact-integer reference (src/reference/counterHash.ts) and the Math.imul twins the CPU generators use
// (src/util/random.ts), bit for bit, at the edges of u32 arithmetic: keys near 0 and 2^32, slots whose
// (slot + 1) · 0x9e3779b9 wraps, seeds and steps that overflow when added.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { counterDraw, dropoutKey, mix32, Random } from '../../src/util/random';
import { counterHashDrawsReference, counterHashDropoutKeysReference, mix32Reference } from '../../src/reference/counterHash';

const PROBE = '/tests/probes/kernels.ts';
const EDGES = [0, 1, 2, 0x7fffffff, 0x80000000, 0x9e3779b9, 0xfffffffe, 0xffffffff];

function inputs(count: number, seed: number): { keys: Uint32Array; tuples: Uint32Array } {
  const rng = new Random(seed);
  const word = (i: number) => (i < EDGES.length ? EDGES[i] : Math.floor(rng.uniform() * 2 ** 32));
  const keys = Uint32Array.from({ length: count }, (_, i) => word(i));
  const tuples = Uint32Array.from({ length: 4 * count }, (_, i) => word((i * 5) % (count + EDGES.length)));
  return { keys, tuples };
}

describe('counterHash (shaders/counterHash.wgsl) against its exact-integer reference', () => {
  const gpu = useGpu();

  it('the reference equals the CPU generators\' Math.imul twins', () => {
    const { keys, tuples } = inputs(300, 5);
    for (const k of keys) expect(mix32Reference(k)).toBe(mix32(k));
    const draws = counterHashDrawsReference(keys, 9);
    keys.forEach((k, i) => { for (let s = 0; s < 9; s++) expect(draws[i * 9 + s]).toBe(counterDraw(k, s)); });
    const dropout = counterHashDropoutKeysReference(tuples);
    dropout.forEach((key, i) => expect(key).toBe(dropoutKey(tuples[4 * i], tuples[4 * i + 1], tuples[4 * i + 2], tuples[4 * i + 3])));
    expect(mix32Reference(0)).toBe(0); // lowbias32's one fixed point: shifts and products of 0
  });

  const cases: Array<{ count: number; slots: number; wg?: number; maxGroups?: number }> = [
    { count: 1, slots: 1 },
    { count: 8, slots: 1 },
    { count: 37, slots: 19, wg: 64 },
    { count: 1000, slots: 5, wg: 32, maxGroups: 3 }, // threads stride over the outputs
    { count: 3, slots: 60_000, wg: 256 }, // slots whose (slot + 1) · 0x9e3779b9 wraps many times
  ];
  for (const c of cases) {
    it(`count ${c.count}, slots ${c.slots}${c.wg ? `, wg ${c.wg}` : ''}${c.maxGroups ? `, at most ${c.maxGroups} workgroups` : ''}: draws and dropout keys, bit for bit`, async () => {
      const { keys, tuples } = inputs(c.count, c.count + c.slots);
      const got = await gpu().call<{ draws: Uint32Array; dropoutKeys: Uint32Array }>(PROBE, 'runCounterHash', { shape: { slots: c.slots, wg: c.wg, maxGroups: c.maxGroups }, keys, tuples });
      expect(got.draws).toEqual(counterHashDrawsReference(keys, c.slots));
      expect(got.dropoutKeys).toEqual(counterHashDropoutKeysReference(tuples));
    });
  }
});
