// Model-specific views computed from a TrainerState snapshot (read between training chunks, never per step):
// the formulas of SPEC §1 written plainly for one sample prompt (ICL), and the query row of Z (Scan & Snap; its
// c_n and entropies arrive as metrics); the transformer's from the attention its metrics already read (the fixed
// sample's, at the last metrics point). Runs in the worker; uses the models' data modules for prompts and layout.
import type { TrainerState } from '../engine/types';
import { densePrompts, inDomainPatterns, inDomainTestSet, WORDS_PER_COLUMN } from '../models/icl/data';
import type { IclConfig } from '../models/icl/config';
import { tokenLayout, type ScanSnapDataSettings } from '../models/scansnap/data';

export interface IclView {
  kind: 'icl';
  step: number;
  /** Attention of each replica's sample prompt's query over its contexts. */
  attention: number[][];
  /** Contexts of replica 0's sample prompt whose relevant pattern equals the query's (marked on the heat map). */
  samePattern: boolean[];
  /** Σ attention over the same-pattern contexts, per replica (the sample prompt's concentration). */
  concentration: number[];
  /** ‖W_O row j‖₂ sorted ascending, per replica. */
  neuronNorms: number[][];
}

export interface ScanSnapView {
  kind: 'scansnap';
  step: number;
  /** Z[ψ(0)][·] (length M), per replica, and the token groups along it (c_n and entropies come as metrics). */
  zRow: number[][];
  groups: { start: number; label: string }[];
}

export interface TransformerView {
  kind: 'transformer';
  step: number;
  /** The first sample sequence's tokens (positions for data without words). */
  labels: string[];
  /** Its attention per replica, layer and head: [query t][key s]. */
  attention: number[][][][][];
}

export type ModelView = IclView | ScanSnapView | TransformerView;

function slice(state: TrainerState, name: string, r: number): Float32Array {
  const size = state.shapes[name].reduce((a, b) => a * b, 1);
  return state.params[name].subarray(r * size, (r + 1) * size);
}

function softmax(s: number[]): number[] {
  const max = Math.max(...s);
  const e = s.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function matVec(W: Float32Array, rows: number, cols: number, v: number[]): number[] {
  const out = new Array<number>(rows).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i] += W[i * cols + j] * v[j];
  return out;
}

/** The first prompt of replica r's fixed test set, dense, with the contexts that share the query's pattern. */
function iclSamplePrompt(config: IclConfig, r: number): { columns: number[][]; query: number[]; samePattern: boolean[] } {
  const set = inDomainTestSet(config, r, 1);
  const dense = densePrompts(config, set, inDomainPatterns(config, r));
  const d = dense.P.length / (set.N + 1);
  const column = (i: number) => Array.from(dense.P.subarray(i * d, (i + 1) * d));
  const patternOf = (i: number) => set.words[i * WORDS_PER_COLUMN];
  return {
    columns: Array.from({ length: set.N }, (_, i) => column(i)),
    query: column(set.N),
    samePattern: Array.from({ length: set.N }, (_, i) => patternOf(i) === patternOf(set.N)),
  };
}

export function iclView(state: TrainerState, config: IclConfig): IclView {
  const [dA, d] = state.shapes.W_Q;
  const [m, dV] = state.shapes.W_O;
  const attention: number[][] = [];
  const concentration: number[] = [];
  const neuronNorms: number[][] = [];
  let samePattern: boolean[] = [];
  for (let r = 0; r < state.replicas; r++) {
    const prompt = iclSamplePrompt(config, r);
    if (r === 0) samePattern = prompt.samePattern;
    const query = matVec(slice(state, 'W_Q', r), dA, d, prompt.query);
    const WK = slice(state, 'W_K', r);
    const scores = prompt.columns.map((p) => matVec(WK, dA, d, p).reduce((acc, k, i) => acc + k * query[i], 0));
    const attn = softmax(scores);
    attention.push(attn);
    concentration.push(attn.reduce((acc, w, i) => acc + (prompt.samePattern[i] ? w : 0), 0));
    const WO = slice(state, 'W_O', r);
    const norms = Array.from({ length: m }, (_, j) => Math.hypot(...WO.subarray(j * dV, (j + 1) * dV)));
    neuronNorms.push(norms.sort((x, y) => x - y));
  }
  return { kind: 'icl', step: state.step, attention, samePattern, concentration, neuronNorms };
}

export function scanSnapView(state: TrainerState, config: ScanSnapDataSettings): ScanSnapView {
  const layout = tokenLayout(config);
  const M = state.shapes.Z[0];
  const groups = [
    { start: 0, label: 'common' },
    { start: layout.distinctBase, label: 'distinct' },
    { start: layout.queryBase, label: 'query' },
    { start: layout.nextBase, label: 'next' },
  ];
  const q = layout.queryOf(0);
  const zRow = Array.from({ length: state.replicas }, (_, r) => Array.from(slice(state, 'Z', r).subarray(q * M, (q + 1) * M)));
  return { kind: 'scansnap', step: state.step, zRow, groups };
}

/** The first sample sequence's maps from the trainer's sample attention ([replica][layer] of [sampleSize][nHeads][T][T]). */
export function transformerView(step: number, sample: Float32Array[][], labels: string[], nHeads: number): TransformerView {
  const T = labels.length;
  const attention = sample.map((layers) => layers.map((probs) =>
    Array.from({ length: nHeads }, (_, h) => Array.from({ length: T }, (_, t) => Array.from(probs.subarray((h * T + t) * T, (h * T + t + 1) * T))))));
  return { kind: 'transformer', step, labels, attention };
}
