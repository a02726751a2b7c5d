// float64 reference for shaders/iclPromptBuild.wgsl: compact columns [R][prompts][N + 1][4 words] (relevant and
// irrelevant pattern index, kappa and label as float32 bits) and per-replica pattern tables rel [R][relCount][dX],
// irr [R][irrCount][dX] give dense columns p = [mu_rel + kappa nu_irr ; label q] with q = e_1 of the label space:
// contexts [R][prompts][N][d], queries [R][prompts][d] (label part zero), labels [R][prompts] (the query's z).
import type { IclPromptBuildShape } from '../kernels/iclPromptBuild';

export function iclPromptBuildReference(s: IclPromptBuildShape, columns: Uint32Array, relPatterns: ArrayLike<number>, irrPatterns: ArrayLike<number>) {
  const { N, dX, d } = s;
  const floats = new Float32Array(columns.buffer, columns.byteOffset, columns.length);
  const contexts = new Float64Array(s.replicas * s.prompts * N * d);
  const queries = new Float64Array(s.replicas * s.prompts * d);
  const labels = new Float64Array(s.replicas * s.prompts);
  for (let r = 0; r < s.replicas; r++) {
    for (let b = 0; b < s.prompts; b++) {
      const prompt = r * s.prompts + b;
      for (let i = 0; i <= N; i++) {
        const w = (prompt * (N + 1) + i) * 4;
        const rel = columns[w];
        const irr = columns[w + 1];
        const kappa = floats[w + 2];
        const label = floats[w + 3];
        const column = new Float64Array(d);
        for (let k = 0; k < dX; k++) column[k] = relPatterns[(r * s.relCount + rel) * dX + k] + kappa * irrPatterns[(r * s.irrCount + irr) * dX + k];
        if (i < N) {
          column[dX] = label;
          contexts.set(column, (prompt * N + i) * d);
        } else {
          queries.set(column, prompt * d);
          labels[prompt] = label;
        }
      }
    }
  }
  return { contexts, queries, labels };
}

/** Entry 'sequences': the same columns as whole prompts, positions × features [R][prompts][N + 1][d], and labels. */
export function iclPromptBuildSequencesReference(s: IclPromptBuildShape, columns: Uint32Array, relPatterns: ArrayLike<number>, irrPatterns: ArrayLike<number>) {
  const { contexts, queries, labels } = iclPromptBuildReference(s, columns, relPatterns, irrPatterns);
  const { N, d } = s;
  const prompts = new Float64Array(s.replicas * s.prompts * (N + 1) * d);
  for (let p = 0; p < s.replicas * s.prompts; p++) {
    prompts.set(contexts.subarray(p * N * d, (p + 1) * N * d), p * (N + 1) * d);
    prompts.set(queries.subarray(p * d, (p + 1) * d), (p * (N + 1) + N) * d);
  }
  return { prompts, labels };
}
