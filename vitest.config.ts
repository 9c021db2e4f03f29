import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    // PGlite starts in seconds and the browser test starts Chromium: generous but bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: integration files each start engines; run two at a time.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
