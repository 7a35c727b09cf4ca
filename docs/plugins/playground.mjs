// @ts-check
/**
 * typedoc plugin: the playground page of the docs site (issue 14, item 5).
 *
 * When the site is written, `docs/playground/main.ts` (which imports the library's browser-safe
 * modules from `src/`) is bundled with esbuild for the browser into `<out>/playground/`
 * (`playground.js` plus the chunks of the backends it loads on demand), tfjs-wasm's `.wasm`
 * binaries are copied next to it, and `docs/playground/index.html` is copied as the page. The
 * navigation links to it (`docs/typedoc.json`, "Playground"). `intern-s1 serve-docs` serves the
 * site with the COOP/COEP headers the page needs for threaded wasm.
 *
 * {@link buildPlayground} is exported so that the playground's browser test can build the page
 * alone (seconds) instead of the whole site.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { RendererEvent } from 'typedoc';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WASM_DIR = path.join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/**
 * Bundle the playground into `outDir` (created; emptied first): index.html, playground.js and its
 * chunks, the wasm binaries. Throws esbuild's error when the bundle fails (a Node built-in
 * reached from the page is one).
 *
 * @param {string} outDir
 * @param {{ minify?: boolean }} [opts]
 * @returns {{ files: string[], bytes: number }}
 */
export function buildPlayground(outDir, opts = {}) {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  esbuild.buildSync({
    entryPoints: { playground: path.join(ROOT, 'docs/playground/main.ts') },
    bundle: true, splitting: true, format: 'esm', platform: 'browser', target: 'es2022', outdir: outDir,
    minify: opts.minify ?? true, legalComments: 'none', logLevel: 'silent', absWorkingDir: ROOT,
    // tfjs-backend-wasm's emscripten glue names Node modules behind runtime checks; its package's
    // browser field maps them away, which platform 'browser' honours.
  });
  for (const f of WASM_FILES) fs.copyFileSync(path.join(WASM_DIR, f), path.join(outDir, f));
  fs.copyFileSync(path.join(ROOT, 'docs/playground/index.html'), path.join(outDir, 'index.html'));
  const files = fs.readdirSync(outDir).sort();
  const bytes = files.reduce((s, f) => s + fs.statSync(path.join(outDir, f)).size, 0);
  return { files, bytes };
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.renderer.on(RendererEvent.END, (event) => {
    const started = Date.now();
    const { files, bytes } = buildPlayground(path.join(event.outputDirectory, 'playground'));
    app.logger.verbose(`playground: ${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${Date.now() - started} ms`);
  });
}
