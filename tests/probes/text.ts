// In-page probes for the 'text' data: the corpus as the page reads it (fetched through the dev server), and the
// training windows of a stream uploaded in pieces, step by step as the trainer would ask for them.
import { assertNoDeviceErrors, getContext } from '../../src/runtime/context';
import { readU32 } from '../../src/runtime/buffers';
import { parseTransformerConfig } from '../../src/models/transformer/config';
import { prepareData } from '../../src/models/transformer/data/index';
import { textData } from '../../src/models/transformer/data/text';
import { buildTokenStreamData } from '../../src/models/transformer/data/tokenStream';

/** FNV-1a over a token stream: the page's streams are compared with the host's without shipping megabytes. */
function fingerprint(stream: Uint32Array): number {
  let h = 0x811c9dc5;
  for (const v of stream) h = Math.imul(h ^ v, 0x01000193) >>> 0;
  return h;
}

export async function pageTextData(args: { raw: Record<string, unknown> }) {
  await prepareData(args.raw);
  const c = parseTransformerConfig(args.raw);
  const data = textData(c as never);
  return {
    V: data.vocabulary.length, head: data.vocabulary.slice(0, 12), train: data.train.length, valid: data.valid.length,
    fingerprints: [fingerprint(data.train), fingerprint(data.valid), fingerprint(data.test)], unigramEntropy: data.unigramEntropy,
  };
}

/**
 * The training batch of every step in `submissions` (steps first .. first + count − 1 per submission, as
 * ReplayTrainer submits them) from a stream uploaded in pieces of `chunkTokens`: [step][replica][batch][T + 1].
 * The pieced kernel reads its window from the per-step copies, never the step counter, so none is kept here.
 */
export async function trainingWindows(args: { raw: Record<string, unknown>; stream: Uint32Array<ArrayBuffer>; chunkTokens: number; submissions: { first: number; count: number }[] }) {
  const ctx = await getContext();
  const c = parseTransformerConfig(args.raw);
  const seeds = ctx.pool.upload(Uint32Array.from({ length: c.replicas }, (_, r) => c.seed + r), 'probe seeds');
  const step = ctx.pool.upload(new Uint32Array(1), 'probe step');
  const held = args.stream.slice(0, Math.max(c.batch, c.sampleSize) * (c.T + 1) * 2);
  const data = await buildTokenStreamData(ctx, c, { seeds, step }, { train: args.stream, held }, String, 'sequential', { chunkTokens: args.chunkTokens });
  const perStep = c.replicas * c.batch * (c.T + 1);
  const total = args.submissions.reduce((n, s) => n + s.count, 0);
  const out = ctx.pool.acquire(4 * perStep * total, 'probe windows');
  let k = 0;
  for (const { first, count } of args.submissions) {
    const before = data.hostInputs?.(first, count);
    const encoder = ctx.device.createCommandEncoder();
    for (let i = 0; i < count; i++) {
      if (before) before(encoder, i);
      const pass = encoder.beginComputePass();
      for (const d of data.train) {
        pass.setPipeline(d.pipeline);
        d.bindGroups.forEach((g, j) => pass.setBindGroup(j, g));
        pass.dispatchWorkgroups(...d.workgroups);
      }
      pass.end();
      encoder.copyBufferToBuffer(data.batch.tokens!, 0, out, 4 * perStep * k++, 4 * perStep);
    }
    ctx.device.queue.submit([encoder.finish()]);
  }
  const windows = await readU32(ctx.device, out, perStep * total);
  assertNoDeviceErrors(ctx);
  data.release();
  for (const b of [seeds, step, out]) ctx.pool.release(b);
  return { windows, pieced: data.hostInputs !== undefined };
}
