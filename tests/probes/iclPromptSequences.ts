// In-page probe for iclPromptBuild's 'sequences' entry (whole prompts as positions × features): the output and
// labels NaN-poisoned first, and the 'main' entry run on the same columns so that the two layouts can be compared
// bit for bit.
import { assertNoDeviceErrors, getContext } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { iclPromptBuild, iclPromptBuildSequences, type IclPromptBuildShape } from '../../src/kernels/iclPromptBuild';

export async function runPromptSequences(args: { shape: IclPromptBuildShape; columns: Uint32Array; relPatterns: Float32Array; irrPatterns: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const count = s.replicas * s.prompts;
  const columns = pool.upload(args.columns, 'columns');
  const relPatterns = pool.upload(args.relPatterns, 'rel patterns');
  const irrPatterns = pool.upload(args.irrPatterns, 'irr patterns');
  const prompts = pool.acquire(4 * count * (s.N + 1) * s.d, 'prompts');
  const labels = pool.acquire(4 * count, 'labels');
  const contexts = pool.acquire(4 * count * s.N * s.d, 'contexts');
  const queries = pool.acquire(4 * count * s.d, 'queries');
  const mainLabels = pool.acquire(4 * count, 'main labels');
  [prompts, labels, contexts, queries, mainLabels].forEach((b) => poison(device, b));
  const [sequences, main] = await Promise.all([iclPromptBuildSequences(ctx.kernels, s), iclPromptBuild(ctx.kernels, s)]);
  new StepPlan(device, 'iclPromptBuild sequences test').add(
    sequences({ columns, relPatterns, irrPatterns, prompts, labels }),
    main({ columns, relPatterns, irrPatterns, contexts, queries, labels: mainLabels }),
  ).run();
  const out = {
    prompts: await readF32(device, prompts, count * (s.N + 1) * s.d),
    labels: await readF32(device, labels, count),
    contexts: await readF32(device, contexts, count * s.N * s.d),
    queries: await readF32(device, queries, count * s.d),
  };
  [columns, relPatterns, irrPatterns, prompts, labels, contexts, queries, mainLabels].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}
