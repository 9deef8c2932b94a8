import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // A hook may wait for another file's rebuild of dist/ (test/sweep/helpers.ts, ensureBuilt).
    hookTimeout: 120_000,
    pool: 'threads',
  },
});
