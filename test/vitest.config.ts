import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  // Doc examples import the package by name; resolve it to the sources (test/docs/examples.test.ts).
  resolve: {
    alias: [
      { find: /^intern-s1-ts\/reference$/, replacement: `${root}reference/index.ts` },
      { find: /^intern-s1-ts\/internals$/, replacement: `${root}src/internals.ts` },
      { find: /^intern-s1-ts$/, replacement: `${root}src/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // The browser suite runs in Chromium with its own config (test/browser-suite/vitest.config.ts).
    exclude: ['test/browser-suite/**', '**/node_modules/**'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { TF_CPP_MIN_LOG_LEVEL: '2' },
  },
});
