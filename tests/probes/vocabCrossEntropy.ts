// In-page probe for the chunked LM head (shaders/vocabCrossEntropy.wgsl through vocabCrossEntropyHead): the
// training or evaluation dispatch list, run `runs` times into freshly poisoned outputs. The gradient slab is
// NaN-filled before every run, so only the decoder's and b_dec's gradients may appear in it.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { vocabCrossEntropyHead, type VocabHeadShape } from '../../src/kernels/vocabCrossEntropy';

export async function runVocabHead(args: {
  shape: VocabHeadShape; x: Float32Array; tokens: Uint32Array; params: Float32Array; mode: 'training' | 'evaluation'; runs: number;
}) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const rows = s.replicas * s.batch * s.T;
  const slab = s.replicas * s.slabSize;
  const x = pool.upload(args.x, 'x');
  const tokens = pool.upload(args.tokens, 'tokens');
  const params = pool.upload(args.params, 'params');
  const grads = pool.acquire(4 * slab, 'grads');
  const dx = pool.acquire(4 * rows * s.dModel, 'dx');
  const rowLoss = pool.acquire(4 * rows, 'row loss');
  const loss = pool.acquire(4 * s.replicas, 'loss');
  const head = await vocabCrossEntropyHead(ctx, s);
  const buffers = { x, tokens, params, rowLoss, loss };
  const dispatches = args.mode === 'training' ? head.training({ ...buffers, grads, dx }) : head.evaluation(buffers);
  const plan = new StepPlan(device, 'vocabCrossEntropy test').add(...dispatches);
  const results = [];
  for (let run = 0; run < args.runs; run++) {
    [grads, dx, rowLoss, loss, head.logits, head.rowStats].forEach((b) => poison(device, b));
    plan.run();
    results.push({
      rowLoss: await readF32(device, rowLoss, rows),
      loss: await readF32(device, loss, s.replicas),
      ...(args.mode === 'training' && { dx: await readF32(device, dx, rows * s.dModel), grads: await readF32(device, grads, slab) }),
    });
  }
  head.release();
  [x, tokens, params, grads, dx, rowLoss, loss].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return { results, chunks: head.chunks, vocabChunk: head.vocabChunk, dispatches: dispatches.length };
}
