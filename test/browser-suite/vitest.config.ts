/**
 * The browser suite: the fast == reference property tests in headless Chromium on webgpu, webgl
 * and wasm (issue 14), with vitest's browser mode and its playwright provider on playwright-core,
 * launching the system Chromium (never a downloaded browser). See README.md ("Tests") and
 * docs/guides/fast-vs-reference.md ("In the browser") for what runs on which backend and why.
 *
 * The Node suite's test files run here unchanged: this config swaps two support modules for their
 * browser twins (test/browser-suite/support/): `backends.ts` (the browser backends instead of cpu
 * and wasm) and `opspec.ts` (results read with `await data()`, never `dataSync()`).
 *
 * Environment: CHROMIUM (default /usr/bin/chromium, then chromium-browser, google-chrome);
 * FC_SEED and FC_NUM_RUNS as in the Node suite.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The system Chromium, or a failure that says how to install it (never a silent skip). */
function chromium(): string {
  const candidates = process.env.CHROMIUM ? [process.env.CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  throw new Error(
    `The browser suite needs Chromium and found none at ${candidates.join(', ')}. ` +
      'Install it (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROMIUM=/path/to/chromium. ' +
      'No browser is downloaded by npm.',
  );
}

/** Resolve relative imports of `from` (a file under the root) to `to`, except from `to` itself. */
function swap(from: string, to: string): Plugin {
  const [f, t] = [path.join(root, from), path.join(root, to)];
  return {
    name: `swap:${from}`,
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.') || importer === t) return null;
      const abs = path.resolve(path.dirname(importer), source.replace(/\.js$/, '.ts'));
      return abs === f ? t : null;
    },
  };
}

// Cross-origin isolation (SharedArrayBuffer), so tfjs-wasm loads its threaded SIMD build.
const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
// SwiftShader gives a WebGPU adapter and WebGL2 without a GPU (CPU emulation: slow, but exact enough).
const args = ['--no-sandbox', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

export default defineConfig({
  root,
  plugins: [
    swap('test/support/backends.ts', 'test/browser-suite/support/backends.ts'),
    swap('test/support/opspec.ts', 'test/browser-suite/support/opspec.ts'),
  ],
  // The browser has no `process`: the suite's knobs are passed in by value.
  define: {
    'process.env': JSON.stringify({ FC_SEED: process.env.FC_SEED ?? '', FC_NUM_RUNS: process.env.FC_NUM_RUNS ?? '' }),
    __BROWSER_BACKENDS__: JSON.stringify(process.env.BS_BACKENDS ?? 'webgpu,webgl,wasm'),
  },
  server: { headers },
  test: {
    include: (process.env.BS_INCLUDE ?? 'test/ops/*.test.ts').split(','),
    setupFiles: ['test/browser-suite/support/setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath: chromium(), args } }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
