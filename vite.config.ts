import { defineConfig } from 'vite';

// One vite config serves three things: the training page (`npm run dev` / `npm run build`), the harness page
// that tests, bench and CLI drive through puppeteer (src/harness/page.html), and shader sources as raw text.
export default defineConfig({
  server: { fs: { allow: ['.'] } },
  worker: { format: 'es' },
  build: { target: 'es2022' },
  esbuild: { target: 'es2022' },
});
