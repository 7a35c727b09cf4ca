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
 * FC_SEED and FC_NUM_RUNS as in the Node suite (see browserRuns); BROWSER_TESTS (comma-separated
 * globs) and BROWSER_BACKENDS (e.g. `webgl,wasm`) narrow a run while developing;
 * INTERN_S1_PRO_FILES (the real tokenizer folder) is served to the page for the tokenizer test.
 */
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
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

/**
 * Node built-ins imported by modules the suite loads but whose Node-only functions it never calls
 * (src/io/tiny.ts writes checkpoints to disk beside the in-memory `tinyTensors`; test support
 * files read fixtures): each resolves to a stub with the same export names whose functions throw
 * "Node only" when called. Vite's own browser stub throws already at a named import.
 */
function nodeStubs(): Plugin {
  const PREFIX = '\0node-stub:';
  return {
    name: 'node-stubs',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || importer.includes('/node_modules/')) return null;
      const name = source.startsWith('node:') ? source.slice(5) : builtinModules.includes(source) ? source : undefined;
      return name === undefined ? null : PREFIX + name;
    },
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      const keys = Object.keys(await import(`node:${name}`)).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      const fail = `(...a) => { throw new Error('node:${name}: Node only, called in the browser suite'); }`;
      const proxy = `new Proxy({}, { get: (_, k) => k === 'then' ? undefined : ${fail} })`;
      return `export default ${proxy};\n${keys.map((k) => `export const ${k} = ${fail};`).join('\n')}\n`;
    },
  };
}

// Cross-origin isolation (SharedArrayBuffer), so tfjs-wasm loads its threaded SIMD build.
const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
// SwiftShader gives a WebGPU adapter and WebGL2 without a GPU (CPU emulation: slow, but exact enough).
const args = ['--no-sandbox', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/**
 * The Node suite's files that run here (the op records on webgpu, webgl and wasm; the layer,
 * block and model files on webgl and wasm, see support/backends.ts), plus this folder's own.
 * Not here: files about Node itself (CLI, file I/O, server, training checkpoints, fuzzing of
 * parsers) and the model / component files that write checkpoints to disk.
 */
const PRO_FILES = process.env.INTERN_S1_PRO_FILES ? path.resolve(process.env.INTERN_S1_PRO_FILES) : undefined;

const INCLUDE = [
  'test/ops/*.test.ts',
  'test/nn/{activation,fope,linear,mlp,norm}.test.ts',
  'test/models/qwen3/{attention,decoder,mlp,moe,rotary}.test.ts',
  'test/models/internvit/{layer,model}.test.ts',
  'test/models/pro-vision/{block,merger}.test.ts',
  'test/models/time-series/patch-encoder.test.ts',
  'test/browser-suite/**/*.test.ts',
];

/**
 * The browser suite's runs multiplier: a quarter of every property's Node runs (SwiftShader
 * emulates the GPU on the CPU; the Node suite already makes the full runs of the same properties
 * on cpu and wasm), times FC_NUM_RUNS when set. An invalid FC_NUM_RUNS is passed on unchanged
 * so that test/support/runs.ts rejects it.
 */
function browserRuns(env: string | undefined): string {
  if (env === undefined || env.trim() === '') return '0.25';
  const m = Number(env);
  return Number.isFinite(m) && m > 0 ? String(m * 0.25) : env;
}

export default defineConfig({
  root,
  plugins: [
    nodeStubs(),
    swap('test/support/backends.ts', 'test/browser-suite/support/backends.ts'),
    swap('test/support/opspec.ts', 'test/browser-suite/support/opspec.ts'),
  ],
  // The browser has no `process`: the suite's knobs are passed in by value.
  define: {
    'process.env': JSON.stringify({ FC_SEED: process.env.FC_SEED ?? '', FC_NUM_RUNS: browserRuns(process.env.FC_NUM_RUNS) }),
    __PRO_FILES_URL__: JSON.stringify(PRO_FILES ? `/@fs${PRO_FILES}/` : ''),
    __BROWSER_BACKENDS__: JSON.stringify(process.env.BROWSER_BACKENDS ?? 'webgpu,webgl,wasm'),
  },
  // INTERN_S1_PRO_FILES: the real Intern-S1-Pro tokenizer folder, served to the page under /@fs/.
  server: { headers, fs: { allow: [root, ...(PRO_FILES ? [PRO_FILES] : [])] } },
  // Bundle every dependency before the first test file: one found later (a backend imported on
  // demand) makes vite re-optimise and reload the page in the middle of a run.
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'fast-check', 'ndarray',
      'protobufjs/light.js', 'jpeg-js', 'pngjs',
    ],
  },
  test: {
    include: process.env.BROWSER_TESTS ? process.env.BROWSER_TESTS.split(',') : INCLUDE,
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
