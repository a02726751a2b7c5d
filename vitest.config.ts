import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// GPU tests share one headless Chromium (started in tests/setup/global.ts). SwiftShader already uses both
// cores of the CI machine, so test files run one after another. The CLI's tuning cache goes to a folder of
// this test run, never the user's ~/.cache: the first run of a shape times its kernel variants, later ones reuse.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/setup/global.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    env: { ONELAYER_TUNE_CACHE: process.env.ONELAYER_TUNE_CACHE ?? join(mkdtempSync(join(tmpdir(), 'onelayer-tests-')), 'tuning.json') },
  },
});
