import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    reporters: ['./test/summary-reporter.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on a 2-core CI machine that is one, and the
    // suite (mostly waiting on gateway processes, kills and restarts) ran serially: 787 s against 468 s
    // with two workers, measured on the same machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
