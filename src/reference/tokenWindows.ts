// Reference for shaders/tokenWindows.wgsl: the windows of one step, written from the definition (the tutorial's
// batch columns and bptt windows, or counter-hash offsets), [R][batch][T + 1].
import { counterDraw, mix32 } from '../util/random';
import type { TokenWindowsShape } from '../kernels/tokenWindows';

export function tokenWindowsReference(s: TokenWindowsShape, stream: ArrayLike<number>, step: number, seeds: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(s.replicas * s.batch * (s.T + 1));
  const column = Math.floor(s.stream / s.batch);
  const windows = Math.floor((column - 1) / s.T);
  for (let r = 0; r < s.replicas; r++) {
    for (let b = 0; b < s.batch; b++) {
      const start = s.order === 'sequential'
        ? b * column + (step % windows) * s.T
        : counterDraw(mix32((mix32(seeds[r] >>> 0) + step) >>> 0), b) % (s.stream - s.T);
      for (let i = 0; i <= s.T; i++) out[(r * s.batch + b) * (s.T + 1) + i] = stream[start + i];
    }
  }
  return out;
}
