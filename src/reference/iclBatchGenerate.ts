// Reference for shaders/iclBatchGenerate.wgsl, written from the documented counter-based draws (independent of
// the model's CPU twin writeTrainingBatch in src/models/icl/data.ts). Prompt b of replica r at step t draws
// x_i = draw(key, i) with key = h(h(h(seed + r) + t) + b), h = mix32 and draw as in src/util/random.ts, in fixed
// slots: 0 the task (a, b), 1 the query's label coin, 2 its irrelevant pattern, 3 its kappa; then five per context
// i at 4 + 5i: pattern a / b / another one (top 24 bits against alpha/2 and alpha as 24-bit thresholds), the other
// pattern, its label coin, the irrelevant pattern, kappa. Integers in 0..n−1 are (top 16 bits · n) >> 16; kappa is
// ((top 24 bits) / 2^23 − 1) · kappaMax, rounded once to float32.
// Inputs as the kernel's: replicaDraws [R][3] (seed + r, the two thresholds), tasks [tasks][2]; output columns
// [R][prompts][N + 1][4 words] (relevant index, irrelevant index, kappa and label as float32 bits; query last).
import type { IclBatchGenerateShape } from '../kernels/iclBatchGenerate';
import { counterDraw, mix32 } from '../util/random';

function below(x: number, n: number): number {
  return Math.floor(Math.floor(x / 2 ** 16) * n / 2 ** 16);
}

export function iclBatchGenerateReference(s: IclBatchGenerateShape, step: number, replicaDraws: ArrayLike<number>, tasks: ArrayLike<number>): Uint32Array {
  const words = new Uint32Array(s.replicas * s.prompts * (s.N + 1) * 4);
  const floats = new Float32Array(words.buffer);
  const kappaMax = Math.fround(s.kappaMax);
  const kappaOf = (x: number) => Math.fround((Math.floor(x / 2 ** 8) / 2 ** 23 - 1) * kappaMax);
  const top24 = (x: number) => Math.floor(x / 2 ** 8);
  for (let r = 0; r < s.replicas; r++) {
    const [seed, thresholdA, thresholdB] = [replicaDraws[3 * r], replicaDraws[3 * r + 1], replicaDraws[3 * r + 2]];
    for (let b = 0; b < s.prompts; b++) {
      const key = mix32(mix32(mix32(seed) + step) + b);
      const x = (slot: number) => counterDraw(key, slot);
      const task = below(x(0), s.tasks);
      const a = tasks[2 * task];
      const other = tasks[2 * task + 1];
      const column = (i: number, rel: number, irr: number, kappa: number, label: number) => {
        const w = ((r * s.prompts + b) * (s.N + 1) + i) * 4;
        words[w] = rel;
        words[w + 1] = irr;
        floats[w + 2] = kappa;
        floats[w + 3] = label;
      };
      const positive = x(1) % 2 === 1;
      column(s.N, positive ? a : other, below(x(2), s.irrCount), kappaOf(x(3)), positive ? 1 : -1);
      for (let i = 0; i < s.N; i++) {
        const slot = 4 + 5 * i;
        const pick = top24(x(slot));
        let rel: number;
        let label: number;
        if (pick < thresholdA) {
          rel = a;
          label = 1;
        } else if (pick < thresholdB) {
          rel = other;
          label = -1;
        } else {
          // The index among the relCount − 2 patterns other than a and b, skipping a and b in pattern order.
          rel = below(x(slot + 1), s.relCount - 2);
          for (const taken of [Math.min(a, other), Math.max(a, other)]) if (rel >= taken) rel++;
          label = x(slot + 2) % 2 === 1 ? 1 : -1;
        }
        column(i, rel, below(x(slot + 3), s.irrCount), kappaOf(x(slot + 4)), label);
      }
    }
  }
  return words;
}
