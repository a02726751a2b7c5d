import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

// One vite config serves: the training page (index.html) and the bench page (bench.html), both for
// `npm run dev` and built by `npm run build`; the harness page that tests, bench and CLI drive through puppeteer
// (src/harness/page.html); and shader sources as raw text.
export default defineConfig({
  server: { fs: { allow: ['.'] } },
  worker: { format: 'es' },
  build: { target: 'es2022', rollupOptions: { input: { index: page('index.html'), bench: page('bench.html') } } },
  esbuild: { target: 'es2022' },
});
