import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites create their own databases; two at a time suits a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    env: { TZ: 'UTC' },
  },
});
