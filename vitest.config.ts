import { defineConfig } from 'vitest/config';

// GPU tests share one headless Chromium (started in tests/setup/global.ts). SwiftShader already uses both
// cores of the CI machine, so test files run one after another.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/setup/global.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
