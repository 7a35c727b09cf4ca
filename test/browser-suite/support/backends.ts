/**
 * Browser twin of test/support/backends.ts, swapped in for it by test/browser-suite/vitest.config.ts:
 * `forEachBackend` runs a block once per browser backend of the current project (`webgpu`,
 * `webgl`, `wasm`; the list is the project's `__BROWSER_BACKENDS__`), each activated with the
 * browser ladder (src/backend/browser.ts) forced to it. A backend that cannot load fails the
 * block's `beforeAll` with the ladder's reason: never a silent skip.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe } from 'vitest';
import { initBackend, type BackendName } from '../../../src/backend/browser.js';

declare const __BROWSER_BACKENDS__: string;

export type TestBackend = BackendName;
/** Every backend of the project: what the op records (async reads) run on. */
export const ALL_BACKENDS: readonly TestBackend[] = __BROWSER_BACKENDS__.split(',') as TestBackend[];
/**
 * The backends on which a test may read results with `dataSync()`: all but webgpu. On webgpu a
 * synchronous read is a canvas copy that, on SwiftShader in headless Chromium 156, returns zeros
 * and loses the GPU process (every WebGL context of the page with it); those tests run on webgpu
 * through the async twins instead (opspec.ts, test/browser-suite/webgpu-blocks.test.ts).
 */
export const TEST_BACKENDS: readonly TestBackend[] = ALL_BACKENDS.filter((b) => b !== 'webgpu');

/** Where the vite server serves tfjs-wasm's binaries (the package folder itself). */
export const WASM_PATHS = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

/** Activate `b` (forced: a BackendError when it cannot load). */
export async function useBackend(b: TestBackend): Promise<void> {
  await initBackend(b, { wasmPaths: WASM_PATHS });
  if (b === 'webgpu') guardSyncReads();
  // Shape-generic webgl shaders: without this tfjs compiles a program per tensor shape, and on
  // SwiftShader each compile costs tens of ms (generation, where shapes grow each step, took
  // minutes). The shader arithmetic is the same.
  if (b === 'webgl') tf.env().set('WEBGL_USE_SHAPES_UNIFORMS', true);
}

/**
 * Make a synchronous GPU read on webgpu fail loudly instead of returning zeros and losing the
 * device for the rest of the page (see {@link TEST_BACKENDS}). Data still on the CPU (a tensor
 * made from values and not yet uploaded) reads as before.
 */
function guardSyncReads(): void {
  const backend = tf.backend() as unknown as { readSync(id: object): unknown; tensorMap: { get(id: object): { values?: unknown } } };
  if ((backend as { guarded?: boolean }).guarded) return;
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (id) => {
    if (backend.tensorMap.get(id)?.values == null) {
      throw new Error('dataSync() of a tensor on the GPU under webgpu: unsupported in this suite (SwiftShader loses the device); read with await data()');
    }
    return readSync(id);
  };
  (backend as { guarded?: boolean }).guarded = true;
}

/** `describe('[webgpu]')`, `describe('[webgl]')`, `describe('[wasm]')`, each activating its backend first. */
export function forEachBackend(fn: (backend: TestBackend) => void, backends: readonly string[] = TEST_BACKENDS): void {
  // A Node test that names its backends (facts about one backend: ['wasm']) keeps those that the
  // browser has (wasm); its cpu blocks are Node-only. The default means every sync-read backend.
  const list = backends === ALL_BACKENDS || backends === TEST_BACKENDS ? backends as readonly TestBackend[]
    : TEST_BACKENDS.filter((b) => backends.includes(b));
  for (const b of list) {
    describe(`[${b}]`, () => {
      beforeAll(() => useBackend(b));
      fn(b);
    });
  }
}
