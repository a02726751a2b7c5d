// In-page probe for shaders/layerNorm.wgsl: forward, backward and backwardParams each run alone (`runs` times)
// on uploaded inputs, every output and the partials scratch NaN-poisoned before each run. The backward
// entries read the mean and rstd given here, not the forward's, so each is checked on its own.
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { layerNorm, layerNormPartialsBytes, type LayerNormShape } from '../../src/kernels/layerNorm';

interface LayerNormRun {
  y: Float32Array;
  mean: Float32Array;
  rstd: Float32Array;
  dx: Float32Array;
  dg: Float32Array;
  db: Float32Array;
}

export async function runLayerNorm(args: {
  shape: LayerNormShape; x: Float32Array; g: Float32Array; b: Float32Array; dy: Float32Array;
  mean: Float32Array; rstd: Float32Array; runs: number;
  /** With shape.accumulate: dx's value before the backward adds to it (else dx is poisoned). */
  dx0?: Float32Array<ArrayBuffer>;
}): Promise<LayerNormRun[]> {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const n = args.x.length;
  const rows = s.replicas * s.rows;
  const inputs = {
    x: pool.upload(args.x, 'x'), g: pool.upload(args.g, 'g'), b: pool.upload(args.b, 'b'), dy: pool.upload(args.dy, 'dy'),
    savedMean: pool.upload(args.mean, 'saved mean'), savedRstd: pool.upload(args.rstd, 'saved rstd'),
  };
  const outputs = {
    y: pool.acquire(4 * n, 'y'), mean: pool.acquire(4 * rows, 'mean'), rstd: pool.acquire(4 * rows, 'rstd'),
    dx: pool.acquire(4 * n, 'dx'), dg: pool.acquire(4 * args.g.length, 'dg'), db: pool.acquire(4 * args.b.length, 'db'),
    partials: pool.acquire(layerNormPartialsBytes(s), 'partials'),
  };
  const op = await layerNorm(ctx.kernels, s);
  const { x, g, b, dy, savedMean, savedRstd } = inputs;
  const plan = new StepPlan(device, 'layerNorm test').add(
    op.forward({ x, g, b, y: outputs.y, mean: outputs.mean, rstd: outputs.rstd }),
    op.backward({ x, g, mean: savedMean, rstd: savedRstd, dy, dx: outputs.dx }),
    ...op.backwardParams({ x, mean: savedMean, rstd: savedRstd, dy, partials: outputs.partials, dg: outputs.dg, db: outputs.db }),
  );
  const results: LayerNormRun[] = [];
  for (let run = 0; run < args.runs; run++) {
    Object.values(outputs).forEach((buffer) => poison(device, buffer));
    if (args.dx0) device.queue.writeBuffer(outputs.dx, 0, args.dx0);
    plan.run();
    results.push({
      y: await readF32(device, outputs.y, n), mean: await readF32(device, outputs.mean, rows), rstd: await readF32(device, outputs.rstd, rows),
      dx: await readF32(device, outputs.dx, n), dg: await readF32(device, outputs.dg, args.g.length), db: await readF32(device, outputs.db, args.b.length),
    });
  }
  [...Object.values(inputs), ...Object.values(outputs)].forEach((buffer) => pool.release(buffer));
  assertNoDeviceErrors(ctx);
  return results;
}
