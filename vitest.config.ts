import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// GPU tests share one headless Chromium (started in tests/setup/global.ts). Two test files run at a time: much of
// the suite waits on single-threaded work (a CLI run starting Chrome and vite, pipeline builds, float64
// references) that overlaps with another file's SwiftShader work on the CI machine's two cores. Measured on it
// back to back (2026-11-28, 584 tests): one file at a time 330 s, two at a time 248 s. The CLI's tuning cache goes
// to a folder of this test run, never the user's ~/.cache: the first run of a shape times its kernel variants,
// later ones reuse (its writes are atomic; two runs writing at once can only drop an entry, retimed later).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/setup/global.ts'],
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 300_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    env: { ONELAYER_TUNE_CACHE: process.env.ONELAYER_TUNE_CACHE ?? join(mkdtempSync(join(tmpdir(), 'onelayer-tests-')), 'tuning.json') },
  },
});
