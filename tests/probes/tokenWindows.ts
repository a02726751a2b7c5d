// In-page probe for shaders/tokenWindows.wgsl: the windows of each given step, the output poisoned first.
import { assertNoDeviceErrors, getContext } from '../../src/runtime/context';
import { poison, readU32 } from '../../src/runtime/buffers';
import { StepPlan } from '../../src/runtime/plan';
import { tokenWindows, type TokenWindowsShape } from '../../src/kernels/tokenWindows';

export async function runTokenWindows(args: { shape: TokenWindowsShape; stream: Uint32Array; seeds: Uint32Array; steps: number[] }): Promise<Uint32Array[]> {
  const ctx = await getContext();
  const s = args.shape;
  const count = s.replicas * s.batch * (s.T + 1);
  const buffers = {
    stream: ctx.pool.upload(args.stream, 'test stream'),
    step: ctx.pool.upload(new Uint32Array(1), 'test step'),
    seeds: ctx.pool.upload(args.seeds, 'test seeds'),
    tokens: ctx.pool.acquire(4 * count, 'test tokens'),
  };
  const plan = new StepPlan(ctx.device, 'tokenWindows test').add((await tokenWindows(ctx.kernels, s))(buffers));
  const out: Uint32Array[] = [];
  for (const step of args.steps) {
    ctx.device.queue.writeBuffer(buffers.step, 0, Uint32Array.of(step));
    poison(ctx.device, buffers.tokens);
    plan.run();
    out.push(await readU32(ctx.device, buffers.tokens, count));
  }
  for (const b of Object.values(buffers)) ctx.pool.release(b);
  assertNoDeviceErrors(ctx);
  return out;
}
