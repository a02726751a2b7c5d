// iclPromptBuild's 'sequences' entry (shaders/iclPromptBuild.wgsl): compact prompts as whole prompts, positions ×
// features [R][prompts][N + 1][d] (the transformer's real inputs), against the float64 reference, both variants
// (a thread per element, and per column with a partial last workgroup) bit for bit, and the same bits as the
// 'main' entry's context and query columns.
import { describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { expectClose, seededArray } from '../compare';
import { Random } from '../../src/util/random';
import { iclPromptBuildSequencesReference } from '../../src/reference/iclPromptBuild';
import type { IclPromptBuildShape } from '../../src/kernels/iclPromptBuild';

const PROBE = '/tests/probes/iclPromptSequences.ts';

type Built = { prompts: Float32Array; labels: Float32Array; contexts: Float32Array; queries: Float32Array };

const f32Bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0];
const words = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function randomColumns(rng: Random, prompts: number, N: number, relCount: number, irrCount: number): Uint32Array {
  const out = new Uint32Array(prompts * (N + 1) * 4);
  for (let c = 0; c < prompts * (N + 1); c++) out.set([rng.int(relCount), rng.int(irrCount), f32Bits(rng.range(-0.7, 0.7)), f32Bits(rng.int(2) === 1 ? 1 : -1)], 4 * c);
  return out;
}

// N = 1 with d = dX + 1; an odd d and R = 3; a shape past several 256-thread groups; dY > 1 (zeros past the label).
const CASES: (Omit<IclPromptBuildShape, 'd'> & { dY: number })[] = [
  { replicas: 1, prompts: 1, N: 1, dX: 4, dY: 1, relCount: 3, irrCount: 1 },
  { replicas: 3, prompts: 5, N: 7, dX: 9, dY: 2, relCount: 4, irrCount: 5 },
  { replicas: 2, prompts: 37, N: 20, dX: 16, dY: 5, relCount: 6, irrCount: 9 },
];

describe("iclPromptBuild 'sequences' (shaders/iclPromptBuild.wgsl) against its float64 reference", () => {
  const gpu = useGpu();
  for (const k of CASES) {
    it(JSON.stringify(k), async () => {
      const rng = new Random(k.prompts * 31 + k.N, 9);
      const d = k.dX + k.dY;
      const shape: IclPromptBuildShape = { replicas: k.replicas, prompts: k.prompts, N: k.N, dX: k.dX, d, relCount: k.relCount, irrCount: k.irrCount };
      const columns = randomColumns(rng, k.replicas * k.prompts, k.N, k.relCount, k.irrCount);
      const relPatterns = seededArray(rng, k.replicas * k.relCount * k.dX);
      const irrPatterns = seededArray(rng, k.replicas * k.irrCount * k.dX);
      const got = await gpu().call<Built>(PROBE, 'runPromptSequences', { shape, columns, relPatterns, irrPatterns });
      const want = iclPromptBuildSequencesReference(shape, columns, relPatterns, irrPatterns);
      expectClose(got.prompts, want.prompts, 1e-6, 'prompts');
      expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
      const byColumn = await gpu().call<Built>(PROBE, 'runPromptSequences', { shape: { ...shape, wholeColumns: true, wg: 3 }, columns, relPatterns, irrPatterns });
      expect(words(byColumn.prompts), 'a thread per column: the same bits').toEqual(words(got.prompts));
      expect(words(byColumn.labels)).toEqual(words(got.labels));
      // The one-layer model's layout holds the same bits: contexts at positions 0..N−1, the query at N.
      for (let p = 0; p < k.replicas * k.prompts; p++) {
        const prompt = got.prompts.subarray(p * (k.N + 1) * d, (p + 1) * (k.N + 1) * d);
        expect(words(prompt.subarray(0, k.N * d)), `prompt ${p} contexts`).toEqual(words(got.contexts.subarray(p * k.N * d, (p + 1) * k.N * d)));
        expect(words(prompt.subarray(k.N * d)), `prompt ${p} query`).toEqual(words(got.queries.subarray(p * d, (p + 1) * d)));
      }
    });
  }
});
