/**
 * `npm run bench -- --browser [ops attention internvit moe] [--quick]`: the browser benchmarks
 * (issue 14, item 6). Bundles `bench/browser/page.ts` with esbuild, serves it with the
 * cross-origin isolation headers (src/server/static.ts, so wasm runs threaded), opens it in
 * headless Chromium (`chromium.ts`: the system browser through playwright-core), runs each suite
 * on webgpu, webgl and wasm (`tasks.ts`: validated against the reference, then timed), and writes
 * `bench/results/browser-<suite>.json`; `bench/run.ts` then regenerates docs/performance.md.
 *
 * Each section labels every row with its backend and adapter: here WebGPU and WebGL run on
 * SwiftShader, a CPU emulation, so those rows are not GPU figures (the same command on a machine
 * with a GPU records GPU figures). The Node suite's wasm rows for the same tasks (single-threaded,
 * from its last saved run) are put beside the browser's threaded wasm rows.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { startStaticServer } from '../../src/server/static.js';
import type { BenchRow } from '../harness.js';
import { launchChromium } from './chromium.js';
import type { BrowserSuiteResult } from './tasks.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const BACKENDS = ['webgpu', 'webgl', 'wasm'] as const;
/** The suites that have browser tasks. */
export const BROWSER_SUITES = ['ops', 'attention', 'internvit', 'moe'];

const TITLES: Record<string, string> = {
  ops: 'Core ops: matmul, softmax, rmsNorm', attention: 'Causal GQA attention', internvit: 'InternViT encoder', moe: 'MoE block',
};

/** What bench/run.ts saves per suite. */
export interface SavedSuite {
  suite: string; title: string; description: string; date: string; machine: string; command: string;
  rows: BenchRow[]; notes?: string;
}

async function bundle(dir: string): Promise<void> {
  await esbuild.build({
    entryPoints: { bench: path.join(here, 'page.ts') }, bundle: true, splitting: true, format: 'esm', platform: 'browser',
    target: 'es2022', outdir: dir, logLevel: 'silent', absWorkingDir: root,
  });
  const wasmDir = path.join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(path.join(wasmDir, f), path.join(dir, f));
  writeFileSync(path.join(dir, 'index.html'), '<!DOCTYPE html><meta charset="utf-8"><title>intern-s1-ts browser bench</title><script type="module" src="bench.js"></script>');
}

/** The Node suite's single-threaded wasm rows for the tasks the browser ran, relabelled. */
function nodeRows(suite: string, tasks: Set<string>, resultsDir: string): { rows: BenchRow[]; note: string } {
  const file = path.join(resultsDir, `${suite}.json`);
  if (!existsSync(file)) return { rows: [], note: `No Node results (bench/results/${suite}.json) to compare with.` };
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedSuite;
  const rows = saved.rows.filter((r) => tasks.has(r.task) && /^fast \(wasm\)/.test(r.impl))
    .map((r) => ({ ...r, impl: r.impl.replace(/^fast \(wasm\)/, 'fast (wasm, Node, single-threaded)') }));
  return { rows, note: `The "wasm, Node" rows are from \`${saved.command}\` (${saved.date}, ${saved.machine}), not from this run.` };
}

function describeBackends(r: BrowserSuiteResult): string {
  return Object.entries(r.backends).map(([b, i]) => {
    if ('error' in i) return `${b}: could not start (${i.error})`;
    if (i.adapter) return `${b}: adapter "${i.adapter.name}"${i.adapter.software ? ' (software: CPU emulation, so these are not GPU figures)' : ' (a GPU)'}`;
    if (i.wasm) return `${b}: SIMD ${i.wasm.simd ? 'on' : 'off'}, threads ${i.wasm.threads ? 'on' : 'off'} (the page is cross-origin isolated)`;
    return b;
  }).join('; ');
}

/** Run the browser suites `wanted` (default all) and save `browser-<suite>.json` in `resultsDir`. */
export async function runBrowserBench(wanted: readonly string[], quick: boolean, resultsDir: string, log: (m: string) => void): Promise<void> {
  const suites = wanted.length ? [...wanted] : BROWSER_SUITES;
  const unknown = suites.filter((s) => !BROWSER_SUITES.includes(s));
  if (unknown.length) throw new Error(`no browser tasks for suite(s) ${unknown.join(', ')}; browser suites: ${BROWSER_SUITES.join(', ')}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'intern-s1-browser-bench-'));
  const srv = await startStaticServer({ root: dir, port: 0 });
  const browser = await launchChromium().catch(async (e) => { await srv.close(); rmSync(dir, { recursive: true, force: true }); throw e; });
  try {
    await bundle(dir);
    const chromeVersion = browser.version();
    for (const suite of suites) {
      const load0 = os.loadavg();
      log(`[browser ${suite}] running on ${BACKENDS.join(', ')} in Chromium ${chromeVersion}`);
      const page = await browser.newPage();
      page.on('console', (m) => { if (m.type() === 'error') log(`[browser ${suite}] console: ${m.text().slice(0, 200)}`); });
      await page.goto(`${srv.url}/index.html`);
      await page.waitForFunction('window.runBench !== undefined', null, { timeout: 60_000 });
      const r = (await page.evaluate(`window.runBench(${JSON.stringify(suite)}, ${JSON.stringify(BACKENDS)}, ${quick})`)) as BrowserSuiteResult;
      await page.close();
      const load1 = os.loadavg();
      const node = nodeRows(suite, new Set(r.rows.map((x) => x.task)), resultsDir);
      const rows = [...r.rows, ...node.rows].sort((a, b) => (a.task === b.task ? 0 : r.rows.findIndex((x) => x.task === a.task) - r.rows.findIndex((x) => x.task === b.task)));
      for (const s of r.skipped) log(`[browser ${suite}] not timed: ${s}`);
      const saved: SavedSuite = {
        suite: `browser-${suite}`, title: `In the browser (Chromium): ${TITLES[suite]}`,
        description: `The ${suite} tasks in headless Chromium ${chromeVersion} on webgpu, webgl and wasm (threaded SIMD: the page is served `
          + 'with COOP/COEP), each fast result validated against the float64 reference (run in the page) before it is timed; results are '
          + 'read back with `await data()` inside the timing. Backends and adapters: ' + describeBackends(r) + '. '
          + 'SwiftShader rows measure a CPU emulation of a GPU: they show the backend runs correctly, not GPU speed.',
        rows, date: new Date().toISOString().slice(0, 10),
        machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Chromium ${chromeVersion}`,
        command: `npm run bench -- --browser ${suite}${quick ? ' --quick' : ''}`,
        notes: [
          r.skipped.length ? `Not timed: ${r.skipped.join('; ')}.` : '',
          node.note,
          `1-minute load average ${load0[0].toFixed(1)} at the start and ${load1[0].toFixed(1)} at the end on ${os.cpus().length} cores `
            + '(the machine was shared with other jobs: these are not idle figures).',
        ].filter(Boolean).join(' '),
      };
      writeFileSync(path.join(resultsDir, `browser-${suite}.json`), JSON.stringify(saved, null, 2));
      log(`[browser ${suite}] ${r.rows.length} rows saved`);
    }
  } finally {
    await browser.close();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
