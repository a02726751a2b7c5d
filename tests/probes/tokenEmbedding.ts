// In-page probe for shaders/tokenEmbedding.wgsl: the forward into a NaN-poisoned x, then the backward `runs`
// times, each from dEmbed0 (NaN where nothing may be written or where everything must be) with its scratch
// NaN-poisoned. Returns the sort and segment scratch of the last run too.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32, readU32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { tokenEmbedding, tokenEmbeddingScratchBytes, type TokenEmbeddingShape } from '../../src/kernels/tokenEmbedding';

export async function runTokenEmbedding(args: {
  shape: TokenEmbeddingShape; tokens: Uint32Array; embed: Float32Array; dx: Float32Array; dEmbed0: Float32Array<ArrayBuffer>; runs: number;
}) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const n = s.replicas * s.batch * s.T * s.dModel;
  const scratch = tokenEmbeddingScratchBytes(s);
  const tokens = pool.upload(args.tokens, 'tokens');
  const embed = pool.upload(args.embed, 'embed');
  const dx = pool.upload(args.dx, 'dx');
  const x = pool.acquire(4 * n, 'x');
  const dEmbed = pool.acquire(args.dEmbed0.byteLength, 'dEmbed');
  const sortedPairs = pool.acquire(scratch.sortedPairs, 'sortedPairs');
  const segmentStarts = pool.acquire(scratch.segmentStarts, 'segmentStarts');
  const op = await tokenEmbedding(ctx.kernels, s);
  poison(device, x);
  new StepPlan(device, 'tokenEmbedding forward test').add(op.forward({ tokens, embed, x })).run();
  const backward = new StepPlan(device, 'tokenEmbedding backward test').add(...op.backward({ tokens, dx, sortedPairs, segmentStarts, dEmbed }));
  const dEmbedRuns: Float32Array[] = [];
  for (let run = 0; run < args.runs; run++) {
    device.queue.writeBuffer(dEmbed, 0, args.dEmbed0);
    poison(device, sortedPairs);
    poison(device, segmentStarts);
    backward.run();
    dEmbedRuns.push(await readF32(device, dEmbed, args.dEmbed0.length));
  }
  const out = {
    x: await readF32(device, x, n),
    dEmbed: dEmbedRuns,
    sortedPairs: await readU32(device, sortedPairs, scratch.sortedPairs / 4),
    segmentStarts: await readU32(device, segmentStarts, scratch.segmentStarts / 4),
  };
  [tokens, embed, dx, x, dEmbed, sortedPairs, segmentStarts].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}
