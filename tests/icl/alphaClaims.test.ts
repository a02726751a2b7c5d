// Li et al.'s claims about alpha' (the share of a test prompt's contexts that carry the query's relevant pattern),
// on the one-layer model at a size SwiftShader trains in seconds (SPEC defaults, 2 seeds, 1000-prompt test sets):
// the larger alpha', the shorter the context needed for a given error, and the larger the pruning ratio tolerated.
import { beforeAll, describe, expect, it } from 'vitest';
import { useGpu } from '../gpu';
import { contextNeeded, pivotByAlpha, toleratedPruning } from '../../src/models/icl/analysis';
import type { ResultTable } from '../../src/engine/types';

const ALPHAS = [0.4, 0.6, 0.8, 1.0];

describe("ICL: alpha' against context length and pruning (Li et al.)", () => {
  const gpu = useGpu();
  let context: ResultTable;
  let pruning: ResultTable;

  beforeAll(async () => {
    ({ context, pruning } = await gpu().call<{ context: ResultTable; pruning: ResultTable }>('/tests/probes/icl.ts', 'alphaSweeps', {
      config: { replicas: 2, testSize: 1000 }, steps: 300, alphaTests: ALPHAS, NTests: [2, 4, 8, 16, 32], ratios: [0, 0.1, 0.2, 0.3, 0.4, 0.5], draws: 3,
    }));
  });

  it("at every context length from 4 on, the error falls as alpha' rises", () => {
    const table = pivotByAlpha(context, 'NTest', 'error');
    for (const row of table.rows.filter((r) => r[0] >= 4 && r[0] <= 8)) {
      const errors = row.slice(1);
      for (let i = 1; i < errors.length; i++) expect(errors[i], `NTest ${row[0]}: alpha' ${ALPHAS[i]} vs ${ALPHAS[i - 1]}`).toBeLessThan(errors[i - 1]);
    }
  });

  it("the context needed for an error of 2% shrinks as alpha' rises", () => {
    const needed = contextNeeded(context, 0.02).rows.map((r) => r[1]);
    for (let i = 1; i < needed.length; i++) expect(needed[i]).toBeLessThanOrEqual(needed[i - 1]);
    expect(needed[needed.length - 1]).toBeLessThan(needed[0]);
  });

  it("the pruning ratio tolerated at a hinge loss of 0.05 grows with alpha', and each ratio hurts less at a larger alpha'", () => {
    const tolerated = toleratedPruning(pruning, 0.05).rows.map((r) => r[1]);
    for (let i = 1; i < tolerated.length; i++) expect(tolerated[i]).toBeGreaterThanOrEqual(tolerated[i - 1]);
    expect(tolerated[tolerated.length - 1]).toBeGreaterThan(tolerated[0]);
    for (const row of pivotByAlpha(pruning, 'ratio', 'magnitudeHinge').rows.filter((r) => r[0] <= 0.3)) {
      const hinges = row.slice(1);
      for (let i = 1; i < hinges.length; i++) expect(hinges[i], `ratio ${row[0]}`).toBeLessThan(hinges[i - 1]);
    }
  });
});
