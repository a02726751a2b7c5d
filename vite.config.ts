import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

// One vite config serves: the training page (index.html) and the bench page (bench.html), both for
// `npm run dev` and built by `npm run build`; the harness page that tests, bench and CLI drive through puppeteer
// (src/harness/page.html); and shader sources as raw text.
export default defineConfig({
  server: { fs: { allow: ['.'] } },
  // TensorFlow.js (the bench's peers, dev dependencies) mixes ESM with CommonJS pieces (seedrandom, long, the
  // WASM backend's emscripten glue), which the browser can only load pre-bundled. Named here because the
  // harness's dev server turns dependency discovery off; these are bundled once and cached in node_modules/.vite.
  optimizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-core/dist/register_all_gradients', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm'] },
  worker: { format: 'es' },
  build: { target: 'es2022', rollupOptions: { input: { index: page('index.html'), bench: page('bench.html') } } },
  esbuild: { target: 'es2022' },
});
