import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Unit tests of web/ (node environment: the client and models are DOM-free). */
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['web/src/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
