// TensorFlow.js, the bench's peer, set up once per page or worker: its WebGPU, WASM and CPU backends registered,
// the WASM binaries located, and a switch between backends. The peers (bench/peers/icl.ts, scansnap.ts) are
// written against tfjs-core as a TF.js user would write them; this module only chooses where they run.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradients; the @tensorflow/tfjs bundle registers them the same way.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { PeerBackend } from './rows';

export { tf };

// The WASM backend fetches its binaries at run time. These URLs are relative to this module, so vite serves
// them from node_modules in the dev server (the harness page) and copies them into dist/ for the built bench
// page, with no network and no public/ copy to keep in step with the installed version. The threaded binary is
// only fetched in a cross-origin-isolated page (SharedArrayBuffer); the harness and bench pages are not.
const wasmFiles: Record<string, URL> = {
  'tfjs-backend-wasm.wasm': new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm', import.meta.url),
  'tfjs-backend-wasm-simd.wasm': new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', import.meta.url),
  'tfjs-backend-wasm-threaded-simd.wasm': new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm', import.meta.url),
};
// In Node (the device bench's bundle, bench/device/) the binaries are read from disk: a path, not a file: URL.
const inNode = Boolean((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node);
setWasmPaths(Object.fromEntries(Object.entries(wasmFiles).map(([name, url]) => [name, inNode ? decodeURIComponent(url.pathname) : url.href])));

/** Makes `backend` TF.js's current backend (starting it the first time); throws if it cannot start here. */
export async function usePeerBackend(backend: PeerBackend): Promise<void> {
  if (tf.getBackend() === backend) return;
  if (!(await tf.setBackend(backend))) {
    throw new Error(`TF.js ${tf.version_core} could not start its ${backend} backend in this ${typeof document === 'undefined' ? 'worker' : 'page'} (its reason is in the console)`);
  }
}

