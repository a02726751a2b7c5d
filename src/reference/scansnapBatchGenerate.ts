// Reference for shaders/scansnapBatchGenerate.wgsl, written from the documented counter-based draws (independent
// of the model's CPU twin SequenceSampler in src/models/scansnap/data.ts). Sequence b of replica r at step t draws
// x_i = draw(key, i) with key = h(h(h(seed + r) + t) + b), h = mix32 and draw as in src/util/random.ts: slot 0 the
// next token n = (top 16 bits · K) >> 16, slot 1 + t the t-th context token, the j-th of n's allowed tokens (the
// common ones, then n's distinct ones) where j counts the cumulative thresholds (P(l|n) · 2^24, computed by the
// host) that the draw's top 24 bits reach. Inputs as the kernel's: replicaSeeds [R] (seed + r), thresholds;
// output ids [R][batch][L + 1]: L − 1 context tokens, the query ψ(n) = queryBase + floor(n / nextPerQuery), next n.
import type { ScansnapBatchGenerateShape } from '../kernels/scansnapBatchGenerate';
import { counterDraw, mix32 } from '../util/random';

export function scansnapBatchGenerateReference(s: Omit<ScansnapBatchGenerateShape, 'thresholdValues'>, step: number, replicaSeeds: ArrayLike<number>, thresholds: ArrayLike<number>): Uint32Array {
  const { layout } = s;
  const allowed = layout.numCommon + layout.distinctPerNext;
  const ids = new Uint32Array(s.replicas * s.batch * (s.L + 1));
  for (let r = 0; r < s.replicas; r++) {
    for (let b = 0; b < s.batch; b++) {
      const key = mix32(mix32(mix32(replicaSeeds[r]) + step) + b);
      const n = Math.floor(Math.floor(counterDraw(key, 0) / 2 ** 16) * layout.K / 2 ** 16);
      const sequence = (r * s.batch + b) * (s.L + 1);
      for (let t = 0; t < s.L - 1; t++) {
        const u = Math.floor(counterDraw(key, t + 1) / 2 ** 8);
        let j = 0;
        for (let k = 0; k < allowed - 1; k++) if (u >= thresholds[k]) j++;
        ids[sequence + t] = j < layout.numCommon ? j : layout.distinctBase + n * layout.distinctPerNext + (j - layout.numCommon);
      }
      ids[sequence + s.L - 1] = layout.queryBase + Math.floor(n / s.nextPerQuery);
      ids[sequence + s.L] = layout.nextBase + n;
    }
  }
  return ids;
}
