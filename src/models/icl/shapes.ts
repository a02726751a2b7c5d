// The ICL model's names and shapes (SPEC §1): what its parameters, batches and checkpoints are called and how
// big they are. Pure data, no GPU: the trainer, the exchange format and the float64 reference all use it.

export interface IclShapes {
  dX: number;
  dY: number;
  /** Token dimension dX + dY. */
  d: number;
  dA: number;
  dV: number;
  m: number;
}

/** One replica's parameters, row-major: W_Q dA×d, W_K dA×d, W_V dV×d, W_O m×dV. */
export interface IclParams64 {
  W_Q: Float64Array;
  W_K: Float64Array;
  W_V: Float64Array;
  W_O: Float64Array;
}

export const ICL_PARAM_NAMES = ['W_Q', 'W_K', 'W_V', 'W_O'] as const;
export type IclParamName = (typeof ICL_PARAM_NAMES)[number];

export function iclParamShapes(s: IclShapes): Record<IclParamName, [number, number]> {
  return { W_Q: [s.dA, s.d], W_K: [s.dA, s.d], W_V: [s.dV, s.d], W_O: [s.m, s.dV] };
}

/** A batch of dense prompts: P[b] holds the N context columns then the query column, each of length d. */
export interface DenseBatch {
  prompts: number;
  /** Context columns per prompt. */
  N: number;
  P: Float64Array; // [prompts][N + 1][d]
  z: Float64Array; // [prompts]
}

/** a_j = +1/m for j < m/2, −1/m otherwise (SPEC §1). */
export function outputWeight(j: number, m: number): number {
  return j < m / 2 ? 1 / m : -1 / m;
}
