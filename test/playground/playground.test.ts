/**
 * The docs playground in headless Chromium (issue 14, item 5): the page is built alone
 * (`buildPlayground` of docs/plugins/playground.mjs, what `npm run docs` runs for the site),
 * served by `intern-s1 serve-docs`, opened, and its demo run; the tokens it shows must equal the
 * tokens `intern-s1 demo` prints in Node for the same seed. wasm (threaded: the page is
 * cross-origin isolated) is the equality backend, being the fast one without a GPU; webgpu gets a
 * smoke run. The test fails, with how to install it, when Chromium is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/browser/chromium.js';
import { buildPlayground } from '../../docs/plugins/playground.mjs';
import { DEMO_PROMPT } from '../../src/cli/demo/run.js';
import { InternS1Tokenizer } from '../../src/index.js';
import { spawnCli } from '../support/cli.js';
import { describePro } from '../support/pro-files.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SEED = 5;
const TOKENS = 6;
let tmp = '';
let server: ChildProcess | undefined;
let url = '';
let browser: Browser | undefined;

interface LastRun { backend: { backend: string; adapter?: { name: string; software: boolean }; wasm?: { threads: boolean } }; tokens: number[]; text: string; error?: string }

/** Start `intern-s1 serve-docs` on a free port (with `extra` arguments); resolves with the process and its URL. */
function startServeDocs(docs: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'serve-docs', '--docs', docs, '--port', '0', ...extra], { cwd: root });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /on (http:\/\/[^ ]+)\/ \(playground/.exec(out);
      if (m && out.includes('Ctrl-C to stop')) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve-docs exited with ${code}: ${out}`)));
  });
}

/** Open the playground with `query`, wait for its run to end, and return what it shows. */
async function runPage(query: string): Promise<{ page: Page; run: LastRun; shown: string }> {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/playground/?${query}&run=1`);
  await page.waitForFunction('window.playground?.lastRun != null', null, { timeout: 240_000 });
  expect(errors).toEqual([]);
  const run = (await page.evaluate('window.playground.lastRun')) as LastRun;
  return { page, run, shown: (await page.textContent('#tokens')) ?? '' };
}

beforeAll(async () => {
  browser = await launchChromium(); // fails the file with an install hint when chromium is missing
  tmp = mkdtempSync(path.join(os.tmpdir(), 'playground-'));
  buildPlayground(path.join(tmp, 'playground'));
  writeFileSync(path.join(tmp, 'index.html'), '<!DOCTYPE html><title>docs</title>'); // what serve-docs checks the site by
  ({ child: server, url } = await startServeDocs(tmp));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the playground in headless Chromium', () => {
  it('wasm (threaded): the demo shows the tokens `intern-s1 demo` prints for the same seed', async () => {
    const node = spawnCli(['demo', '--backend', 'wasm', '--seed', String(SEED), '--max-new-tokens', String(TOKENS)]);
    expect(node.code, node.err).toBe(0);
    const nodeTokens = /^\[generate\] ([\d ]+)$/m.exec(node.out)![1].trim().split(' ').map(Number);
    expect(nodeTokens.length).toBeGreaterThan(0); // seed 5 stops at <|im_end|> after 4 tokens: the stop rule is compared too

    const { page, run, shown } = await runPage(`backend=wasm&seed=${SEED}&tokens=${TOKENS}`);
    expect(run.error).toBeUndefined();
    expect(run.backend.backend).toBe('wasm');
    expect(run.backend.wasm?.threads).toBe(true); // serve-docs' COOP/COEP make the page cross-origin isolated
    expect(run.tokens).toEqual(nodeTokens);
    expect(shown.trim().split(' ').map(Number)).toEqual(nodeTokens);
    expect(await page.locator('#stream .tok').count()).toBe(nodeTokens.length);
    expect(await page.locator('#experts tr').count()).toBe(2); // the tiny pro decoder's two MoE layers
    expect(await page.textContent('#timings')).toMatch(/prefill of \d+ tokens/);
    // The tokenizer panel: the demo prompt's pieces, coloured by sub-tokenizer.
    await page.waitForFunction("document.querySelectorAll('#pieces .piece').length > 0");
    const domains = [...new Set(await page.$$eval('#pieces .piece', (els) => els.map((e) => e.getAttribute('data-domain'))))].sort();
    expect(domains).toEqual(['PROT', 'SMILES', 'added', 'text']);
    expect(await page.textContent('#tokenizer-status')).toContain('built-in tiny demo tokenizer');
    await page.close();
  }, 300_000);

  it('webgpu smoke: the ladder reports the adapter; a software adapter is refused with the reason, a GPU runs', async () => {
    const { page, run } = await runPage(`backend=webgpu&seed=${SEED}&tokens=2`);
    expect(run.backend.backend).toBe('webgpu');
    expect(run.backend.adapter?.name).toBeTruthy();
    expect(await page.textContent('#backend-info')).toContain(`adapter ${run.backend.adapter!.name}`);
    if (run.backend.adapter!.software) {
      expect(run.error).toMatch(/software adapter .*synchronous GPU reads return zeros.*pick wasm or webgl/);
    } else {
      expect(run.error).toBeUndefined();
      expect(run.tokens).toHaveLength(2);
    }
    await page.close();
  }, 300_000);
});

describePro('the playground with the real tokenizer (serve-docs --files)', (dir) => {
  it('tokenizes the demo prompt with the served Intern-S1-Pro tokenizer: the ids equal Node\'s InternS1Tokenizer.fromDir', async () => {
    const { child, url: proUrl } = await startServeDocs(tmp, ['--files', dir]);
    try {
      const page = await browser!.newPage();
      await page.goto(`${proUrl}/playground/`);
      await page.waitForFunction("window.playground?.tokenizer !== 'loading' && window.playground.encoded.length > 0", null, { timeout: 120_000 });
      const st = (await page.evaluate('({ tokenizer: window.playground.tokenizer, encoded: window.playground.encoded })')) as { tokenizer: string; encoded: number[] };
      expect(st.tokenizer).toBe('real');
      expect(st.encoded).toEqual(InternS1Tokenizer.fromDir(dir).encode(DEMO_PROMPT).ids);
      expect(await page.textContent('#tokenizer-status')).toContain('/tokenizer/ (flavour intern-s1-pro)');
      await page.close();
    } finally {
      child.kill('SIGTERM');
    }
  }, 300_000);
}, 'tokenizer_config.json');
