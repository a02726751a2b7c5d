// In-page probes for the ICL kernels, each run alone: upload the kernel's inputs, NaN-poison its outputs, run the
// host wrapper's dispatch through a StepPlan, read the outputs back. The float64 references are in src/reference/.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32, readU32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { iclPromptBuild, type IclPromptBuildShape } from '../../src/kernels/iclPromptBuild';
import { iclAttentionForward, type IclAttentionShape } from '../../src/kernels/iclAttentionForward';
import { iclAttentionBackward } from '../../src/kernels/iclAttentionBackward';
import { iclHingeEvaluate, iclHingeTrain, type IclMlpHingeShape } from '../../src/kernels/iclMlpHinge';
import { iclBatchGenerate, type IclBatchGenerateShape } from '../../src/kernels/iclBatchGenerate';

export async function runPromptBuild(args: { shape: IclPromptBuildShape; columns: Uint32Array; relPatterns: Float32Array; irrPatterns: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const prompts = s.replicas * s.prompts;
  const columns = pool.upload(args.columns, 'columns');
  const relPatterns = pool.upload(args.relPatterns, 'rel patterns');
  const irrPatterns = pool.upload(args.irrPatterns, 'irr patterns');
  const contexts = pool.acquire(4 * prompts * s.N * s.d, 'contexts');
  const queries = pool.acquire(4 * prompts * s.d, 'queries');
  const labels = pool.acquire(4 * prompts, 'labels');
  [contexts, queries, labels].forEach((b) => poison(device, b));
  const op = await iclPromptBuild(ctx.kernels, s);
  new StepPlan(device, 'iclPromptBuild test').add(op({ columns, relPatterns, irrPatterns, contexts, queries, labels })).run();
  const out = {
    contexts: await readF32(device, contexts, prompts * s.N * s.d),
    queries: await readF32(device, queries, prompts * s.d),
    labels: await readF32(device, labels, prompts),
  };
  [columns, relPatterns, irrPatterns, contexts, queries, labels].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

export async function runAttentionForward(args: { shape: IclAttentionShape; contexts: Float32Array; keyQuery: Float32Array; columns: Uint32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const prompts = s.replicas * s.prompts;
  const contexts = pool.upload(args.contexts, 'contexts');
  const keyQuery = pool.upload(args.keyQuery, 'keyQuery');
  const columns = pool.upload(args.columns, 'columns');
  const attn = pool.acquire(4 * prompts * s.N, 'attn');
  const pooled = pool.acquire(4 * prompts * s.d, 'pooled');
  const samePatternMass = pool.acquire(4 * prompts, 'same-pattern mass');
  [attn, pooled, samePatternMass].forEach((b) => poison(device, b));
  const op = await iclAttentionForward(ctx.kernels, s);
  new StepPlan(device, 'iclAttentionForward test').add(op({ contexts, keyQuery, columns, attn, pooled, samePatternMass })).run();
  const out = {
    attn: await readF32(device, attn, prompts * s.N),
    pooled: await readF32(device, pooled, prompts * s.d),
    samePatternMass: await readF32(device, samePatternMass, prompts),
  };
  [contexts, keyQuery, columns, attn, pooled, samePatternMass].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

export async function runAttentionBackward(args: { shape: IclAttentionShape; contexts: Float32Array; attn: Float32Array; pooledGrad: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const prompts = s.replicas * s.prompts;
  const contexts = pool.upload(args.contexts, 'contexts');
  const attn = pool.upload(args.attn, 'attn');
  const pooledGrad = pool.upload(args.pooledGrad, 'dpbar');
  const keyQueryGrad = pool.acquire(4 * prompts * s.d, 'dkeyQuery');
  poison(device, keyQueryGrad);
  const op = await iclAttentionBackward(ctx.kernels, s);
  new StepPlan(device, 'iclAttentionBackward test').add(op({ contexts, attn, pooledGrad, keyQueryGrad })).run();
  const out = await readF32(device, keyQueryGrad, prompts * s.d);
  [contexts, attn, pooledGrad, keyQueryGrad].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

export async function runHingeTrain(args: { shape: IclMlpHingeShape; mlpInput: Float32Array; labels: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const rows = s.replicas * s.prompts;
  const mlpInput = pool.upload(args.mlpInput, 'u');
  const labels = pool.upload(args.labels, 'z');
  const mlpInputGrad = pool.acquire(4 * rows * s.m, 'du');
  const trainStats = pool.acquire(8 * s.replicas, 'train stats');
  [mlpInputGrad, trainStats].forEach((b) => poison(device, b));
  const op = await iclHingeTrain(ctx.kernels, s);
  new StepPlan(device, 'iclHingeTrain test').add(op({ mlpInput, labels, mlpInputGrad, trainStats })).run();
  const out = {
    mlpInputGrad: await readF32(device, mlpInputGrad, rows * s.m),
    trainStats: await readF32(device, trainStats, 2 * s.replicas),
  };
  [mlpInput, labels, mlpInputGrad, trainStats].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

export async function runHingeEvaluate(args: { shape: IclMlpHingeShape; mlpInput: Float32Array; labels: Float32Array; samePatternMass: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const mlpInput = pool.upload(args.mlpInput, 'u');
  const labels = pool.upload(args.labels, 'z');
  const samePatternMass = pool.upload(args.samePatternMass, 'same-pattern mass');
  const evalStats = pool.acquire(16 * s.replicas, 'eval stats');
  poison(device, evalStats);
  const op = await iclHingeEvaluate(ctx.kernels, s);
  new StepPlan(device, 'iclHingeEvaluate test').add(op({ mlpInput, labels, samePatternMass, evalStats })).run();
  const out = await readF32(device, evalStats, 4 * s.replicas);
  [mlpInput, labels, samePatternMass, evalStats].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}

/** Both entry points: `generate` for `step`, then `advanceStep`; returns the words and the counter after. */
export async function runBatchGenerate(args: { shape: IclBatchGenerateShape; step: number; replicaDraws: Uint32Array; tasks: Uint32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const words = s.replicas * s.prompts * (s.N + 1) * 4;
  const step = pool.upload(new Uint32Array([args.step]), 'step');
  const replicaDraws = pool.upload(args.replicaDraws, 'replica draws');
  const tasks = pool.upload(args.tasks, 'tasks');
  const columns = pool.acquire(4 * words, 'columns');
  poison(device, columns);
  const op = await iclBatchGenerate(ctx.kernels, s);
  new StepPlan(device, 'iclBatchGenerate test').add(op.generate({ step, replicaDraws, tasks, columns }), op.advanceStep(step)).run();
  const out = { columns: await readU32(device, columns, words), stepAfter: (await readU32(device, step, 1))[0] };
  [step, replicaDraws, tasks, columns].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}
