// 'icl': Li et al.'s in-context classification prompts (SPEC §1) as the transformer's real inputs (SPEC §4): a
// prompt's N context columns and its query column are positions 0..N (T = N + 1, dIn = d = dX + dY), its label z
// the ICL head's target. Every prompt comes from the one-layer model's own generators: a training batch is
// iclBatchGenerate's counter-based draw of (seed + r, step) on the GPU, so the transformer and the one-layer model
// with the same seed see the same prompts, and iclPromptBuild's 'sequences' entry expands it in place. The held-out
// set is the one-layer model's unseen-task test set (alphaTest, N contexts, evalSize prompts), uploaded once in
// compact form (16 bytes a column) and expanded chunk by chunk.
import { ConfigValidationError, type ConfigError, type FieldSpec } from '../../../config/schema';
import type { GpuContext } from '../../../runtime/context';
import type { Dispatch } from '../../../runtime/kernels';
import { iclBatchGenerate } from '../../../kernels/iclBatchGenerate';
import { tunedIclPromptBuildSequences } from '../../../kernels/iclPromptBuild';
import { iclSchema, parseIclConfig, type IclConfig } from '../../icl/config';
import { inDomainPatterns, inDomainTestSet, replicaDrawWords, trainingTasks, WORDS_PER_COLUMN, type CompactPrompts, type Patterns } from '../../icl/data';
import { patternTables } from '../../icl/evaluate';
import type { TransformerRunConfig } from '../config';
import type { BatchBuffers, DataSource } from './index';

/** The ICL keys this source adds to the transformer's config (the one-layer model's names and defaults). */
const ICL_KEYS = ['dX', 'dY', 'N', 'M1', 'M2', 'kappaMax', 'alpha', 'alphaTest', 'patterns', 'S1'] as const;

export type IclDataSettings = { [K in (typeof ICL_KEYS)[number]]: IclConfig[K] };

/**
 * The one-layer model's config of the same data (its generators, test sets and analyses read it): the ICL keys,
 * the seed, replicas and batch, and the held-out set as its test set (NTest = N, testSize = evalSize).
 */
export function iclDataConfig(c: TransformerRunConfig, overrides: Partial<IclConfig> = {}): IclConfig {
  const t = c as TransformerRunConfig & IclDataSettings;
  const data = Object.fromEntries(ICL_KEYS.map((k) => [k, t[k]]));
  return parseIclConfig({ ...data, NTest: t.N, testSize: c.evalSize, seed: c.seed, replicas: c.replicas, batch: c.batch, evalTest: false, ...overrides });
}

/**
 * Fixed prompt sets on the GPU: per replica the same number of prompts of the same N, in chunks of `chunk` prompts
 * (one upload each, [R][chunk][N + 1][4 words]; the last chunk padded with z = 0 prompts, which the evaluation
 * skips), and the dispatches that expand chunk i into `target` (inputs [R][chunk][N + 1][d], z [R][chunk]). The
 * pattern tables can be rewritten (the ODR patterns of another S1) without touching the prompts.
 */
export async function promptChunks(
  ctx: GpuContext, c: IclConfig, sets: CompactPrompts[], patterns: Patterns[], chunk: number, target: Required<Pick<BatchBuffers, 'inputs' | 'z'>>, owned: GPUBuffer[],
): Promise<{ fills: Dispatch[]; setPatterns(patterns: Patterns[]): void }> {
  const R = sets.length;
  const { N, prompts } = sets[0];
  const perPrompt = (N + 1) * WORDS_PER_COLUMN;
  const tables = patternTables(patterns);
  const rel = ctx.pool.upload(tables.rel, 'icl data relevant patterns');
  const irr = ctx.pool.upload(tables.irr, 'icl data irrelevant patterns');
  owned.push(rel, irr);
  const build = await tunedIclPromptBuildSequences(ctx, { replicas: R, prompts: chunk, N, dX: c.dX, d: c.dX + c.dY, relCount: patterns[0].relCount, irrCount: patterns[0].irrCount });
  const fills: Dispatch[] = [];
  for (let first = 0; first < prompts; first += chunk) {
    const words = new Uint32Array(R * chunk * perPrompt);
    const count = Math.min(chunk, prompts - first);
    sets.forEach((set, r) => words.set(set.words.subarray(first * perPrompt, (first + count) * perPrompt), r * chunk * perPrompt));
    const columns = ctx.pool.upload(words, `icl data prompts ${first}`);
    owned.push(columns);
    fills.push(build({ columns, relPatterns: rel, irrPatterns: irr, prompts: target.inputs, labels: target.z }, `iclPromptBuild sequences ${first}`));
  }
  return {
    fills,
    setPatterns: (next) => {
      const t = patternTables(next);
      ctx.device.queue.writeBuffer(rel, 0, t.rel.buffer, 0, t.rel.byteLength);
      ctx.device.queue.writeBuffer(irr, 0, t.irr.buffer, 0, t.irr.byteLength);
    },
  };
}

/** Position labels of a compact prompt for attention maps: 'mu3+' (a context of pattern 3 labelled +1), 'query mu3'. */
function promptLabels(set: CompactPrompts): string[] {
  const floats = new Float32Array(set.words.buffer, set.words.byteOffset, set.words.length);
  return Array.from({ length: set.N + 1 }, (_, i) => {
    const pattern = `mu${set.words[i * WORDS_PER_COLUMN] + 1}`;
    return i < set.N ? `${pattern}${floats[i * WORDS_PER_COLUMN + 3] > 0 ? '+' : '-'}` : `query ${pattern}`;
  });
}

const schema: Record<string, FieldSpec> = Object.fromEntries(
  ICL_KEYS.map((k) => [k, { ...iclSchema[k], description: `'icl' data: ${iclSchema[k].description}`, group: 'data' }]),
);

export const iclSource: DataSource = {
  name: 'icl',
  schema,
  shape: (c) => {
    const t = c as TransformerRunConfig & IclDataSettings;
    return { head: 'icl', V: 0, dIn: t.dX + t.dY, T: t.N + 1, description: `Li et al.'s ICL prompts (SPEC §1): N = ${t.N} contexts and a query of d = ${t.dX + t.dY}, M1 = ${t.M1}, M2 = ${t.M2}` };
  },
  check: (c) => {
    if (c.sampleSize > c.evalSize) return [{ key: 'sampleSize', value: c.sampleSize, message: `sampleSize = ${c.sampleSize} is not allowed with 'icl' data: the sample is the first prompts of the held-out set, so sampleSize <= evalSize = ${c.evalSize}` }];
    try {
      iclDataConfig(c);
      return [];
    } catch (error) {
      if (error instanceof ConfigValidationError) return error.errors as ConfigError[];
      throw error;
    }
  },
  build: async (ctx, c, rng) => {
    const ic = iclDataConfig(c);
    const R = c.replicas;
    const d = ic.dX + ic.dY;
    const owned: GPUBuffer[] = [];
    const acquire = (floats: number, label: string) => {
      const b = ctx.pool.acquire(4 * floats, `transformer icl ${label}`);
      owned.push(b);
      return b;
    };
    const batch = { inputs: acquire(R * c.batch * (ic.N + 1) * d, 'inputs'), z: acquire(R * c.batch, 'z') };
    const sample = { inputs: acquire(R * c.sampleSize * (ic.N + 1) * d, 'sample inputs'), z: acquire(R * c.sampleSize, 'sample z') };
    const patterns = Array.from({ length: R }, (_, r) => inDomainPatterns(ic, r));

    // Training: the one-layer model's batch of (seed + r, step), expanded as positions × features.
    const tasks = trainingTasks(ic.M1);
    const generator = await iclBatchGenerate(ctx.kernels, { replicas: R, prompts: c.batch, N: ic.N, relCount: ic.M1, irrCount: ic.M2, tasks: tasks.length, kappaMax: ic.kappaMax });
    const columns = acquire(R * c.batch * (ic.N + 1) * WORDS_PER_COLUMN, 'columns');
    const replicaDraws = ctx.pool.upload(replicaDrawWords(ic), 'transformer icl replica draws');
    const taskTable = ctx.pool.upload(Uint32Array.from(tasks.flat()), 'transformer icl training tasks');
    owned.push(replicaDraws, taskTable);
    const tables = patternTables(patterns);
    const rel = ctx.pool.upload(tables.rel, 'transformer icl relevant patterns');
    const irr = ctx.pool.upload(tables.irr, 'transformer icl irrelevant patterns');
    owned.push(rel, irr);
    const expand = await tunedIclPromptBuildSequences(ctx, { replicas: R, prompts: c.batch, N: ic.N, dX: ic.dX, d, relCount: ic.M1, irrCount: ic.M2 });

    // Held-out: the unseen-task test set in chunks of `batch`; the sample: its first sampleSize prompts.
    const sets = Array.from({ length: R }, (_, r) => inDomainTestSet(ic, r));
    const held = await promptChunks(ctx, ic, sets, patterns, c.batch, batch, owned);
    const sampleSets = sets.map((set) => ({ prompts: c.sampleSize, N: set.N, words: set.words.subarray(0, c.sampleSize * (set.N + 1) * WORDS_PER_COLUMN) }));
    const sampled = await promptChunks(ctx, ic, sampleSets, patterns, c.sampleSize, sample, owned);
    return {
      batch,
      train: [
        generator.generate({ step: rng.step, replicaDraws, tasks: taskTable, columns }),
        expand({ columns, relPatterns: rel, irrPatterns: irr, prompts: batch.inputs, labels: batch.z }, 'iclPromptBuild sequences train'),
      ],
      evalChunks: held.fills.map((fill) => [fill]),
      evalCount: ic.testSize,
      sample: { batch: sample, fill: sampled.fills },
      sampleLabels: promptLabels(sets[0]),
      release: () => owned.forEach((b) => ctx.pool.release(b)),
    };
  },
};
