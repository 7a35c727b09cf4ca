/** Run a block of tests once per backend (DESIGN.md: tests run on cpu, and again on wasm). */
import { beforeAll, describe } from 'vitest';
import { initBackend, type BackendName } from '../../src/backend/index.js';

export type TestBackend = Extract<BackendName, 'cpu' | 'wasm'>;
export const TEST_BACKENDS: readonly TestBackend[] = ['cpu', 'wasm'];

/** `describe('[cpu]')` and `describe('[wasm]')`, each activating its backend first. */
export function forEachBackend(fn: (backend: TestBackend) => void, backends: readonly TestBackend[] = TEST_BACKENDS): void {
  for (const b of backends) {
    describe(`[${b}]`, () => {
      beforeAll(async () => {
        await initBackend(b);
      });
      fn(b);
    });
  }
}
