// In-page probe for shaders/hingeReadout.wgsl: the training dispatches (run `runs` times into freshly poisoned
// outputs; the gradient slab is uploaded NaN-filled each time, so only w_out's and b_out's gradients may change)
// and the evaluation over test batches (the first overwrites the statistics, the others accumulate).
import { getContext, assertNoDeviceErrors } from '../../src/runtime/context';
import { poison, readF32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { hingeReadout, type HingeReadoutShape } from '../../src/kernels/hingeReadout';

export async function runHingeReadoutTrain(args: { shape: HingeReadoutShape; x: Float32Array; z: Float32Array; params: Float32Array; runs: number }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const prompts = s.replicas * s.batch;
  const activations = prompts * s.T * s.dModel;
  const slab = s.replicas * s.slabSize;
  const x = pool.upload(args.x, 'x');
  const z = pool.upload(args.z, 'z');
  const params = pool.upload(args.params, 'params');
  const grads = pool.acquire(4 * slab, 'grads');
  const F = pool.acquire(4 * prompts, 'F');
  const dF = pool.acquire(4 * prompts, 'dF');
  const dx = pool.acquire(4 * activations, 'dx');
  const loss = pool.acquire(4 * s.replicas, 'loss');
  const op = await hingeReadout(ctx.kernels, s);
  const plan = new StepPlan(device, 'hingeReadout train test').add(...op.train({ x, z, params, F, dF, dx, grads, loss }));
  const results = [];
  for (let run = 0; run < args.runs; run++) {
    [grads, F, dF, dx, loss].forEach((b) => poison(device, b));
    plan.run();
    results.push({
      F: await readF32(device, F, prompts),
      dx: await readF32(device, dx, activations),
      grads: await readF32(device, grads, slab),
      loss: await readF32(device, loss, s.replicas),
    });
  }
  [x, z, params, grads, F, dF, dx, loss].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return results;
}

export async function runHingeReadoutEvaluate(args: { shape: HingeReadoutShape; batches: { x: Float32Array; z: Float32Array }[]; params: Float32Array }) {
  const ctx = await getContext();
  const { device, pool } = ctx;
  const s = args.shape;
  const prompts = s.replicas * s.batch;
  const params = pool.upload(args.params, 'params');
  const F = pool.acquire(4 * prompts, 'F');
  const evalStats = pool.acquire(8 * s.replicas, 'eval stats');
  poison(device, evalStats);
  const op = await hingeReadout(ctx.kernels, s);
  const uploaded = args.batches.map((b, i) => ({ x: pool.upload(b.x, `x ${i}`), z: pool.upload(b.z, `z ${i}`) }));
  const plan = new StepPlan(device, 'hingeReadout evaluate test');
  uploaded.forEach((b, i) => plan.add(op.evaluate({ ...b, params, F, evalStats }, { accumulate: i > 0 })));
  poison(device, F);
  plan.run();
  const out = { F: await readF32(device, F, prompts), evalStats: await readF32(device, evalStats, 2 * s.replicas) };
  [params, F, evalStats, ...uploaded.flatMap((b) => [b.x, b.z])].forEach((b) => pool.release(b));
  assertNoDeviceErrors(ctx);
  return out;
}
