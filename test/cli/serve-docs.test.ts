/**
 * `intern-s1 serve-docs` (issue 14, item 5) and the static server under it (src/server/static.ts):
 * the cross-origin isolation headers on every answer, folders to index.html, Range requests (the
 * library's URL readers need 206), no path out of the served folders, the tokenizer folder of
 * `--files` under /tokenizer/; and its errors: docs not built (says `npm run docs`), a bad
 * tokenizer folder, a port in use.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange } from '../../src/server/static.js';
import { runCli } from '../support/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let tmp = '';
let docs = '';
let tok = '';

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'serve-docs-'));
  docs = path.join(tmp, 'site');
  mkdirSync(path.join(docs, 'playground'), { recursive: true });
  writeFileSync(path.join(docs, 'index.html'), '<!DOCTYPE html><title>site</title>');
  writeFileSync(path.join(docs, 'playground', 'index.html'), '<!DOCTYPE html><title>playground</title>');
  writeFileSync(path.join(docs, 'playground', 'x.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(path.join(tmp, 'secret.txt'), 'outside the site');
  symlinkSync(path.join(tmp, 'secret.txt'), path.join(docs, 'link.txt'));
  tok = path.join(tmp, 'tok');
  mkdirSync(tok);
  for (const f of ['tokenizer_config.json', 'vocab.json']) writeFileSync(path.join(tok, f), '{}');
  writeFileSync(path.join(tok, 'merges.txt'), '#version: 0.2\nabcdefghij\n');
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('intern-s1 serve-docs: errors', () => {
  it('docs not built: a FileError that says to run npm run docs', async () => {
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    const r = await runCli(['serve-docs', '--docs', empty, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the docs are not built: '.*empty\/index\.html' does not exist \(run 'npm run docs'/);
  });

  it('a bad --files folder: missing, a file, or without the tokenizer files (named)', async () => {
    const missing = await runCli(['serve-docs', '--docs', docs, '--files', path.join(tmp, 'nope')]);
    expect([missing.code, missing.err]).toEqual([1, expect.stringMatching(/--files '.*nope' does not exist/)]);
    const file = await runCli(['serve-docs', '--docs', docs, '--files', path.join(tmp, 'secret.txt')]);
    expect([file.code, file.err]).toEqual([1, expect.stringMatching(/--files '.*secret\.txt' is not a folder/)]);
    const notTok = await runCli(['serve-docs', '--docs', docs, '--files', docs]);
    expect([notTok.code, notTok.err]).toEqual([1, expect.stringMatching(/is not a tokenizer folder: tokenizer_config\.json, vocab\.json, merges\.txt missing/)]);
  });

  it('a port in use: a usage error naming the port; a bad --port value or a positional argument: usage errors', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve-docs', '--docs', docs, '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`port ${port} on 127.0.0.1 is already in use (EADDRINUSE)`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect((await runCli(['serve-docs', '--port', 'eighty'])).err).toMatch(/--port must be an integer from 0 to 65535, got 'eighty'/);
    expect((await runCli(['serve-docs', docs])).code).toBe(2);
  });
});

describe('parseRange', () => {
  it('reads a-b, a-, -n; clamps the end; refuses what cannot be served', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual([0, 0]);
    expect(parseRange('bytes=2-', 10)).toEqual([2, 9]);
    expect(parseRange('bytes=-3', 10)).toEqual([7, 9]);
    expect(parseRange('bytes=5-100', 10)).toEqual([5, 9]);
    for (const bad of ['bytes=10-12', 'bytes=5-2', 'bytes=-', 'items=0-1', 'bytes=0-1,3-4']) expect(parseRange(bad, 10)).toBeNull();
  });
});

describe('intern-s1 serve-docs: serving', () => {
  it('serves the site and the tokenizer folder with COOP/COEP, ranges, no escape; stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'serve-docs', '--docs', docs, '--files', tok, '--port', '0'], { cwd: root });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          const m = /on (http:\/\/[^ ]+)\/ \(playground/.exec(out);
          if (m && out.includes('Ctrl-C to stop')) resolve(m[1]);
        });
        child.on('exit', () => reject(new Error(`serve-docs exited: ${out} ${err}`)));
      });
      expect(out).toContain(`tokenizer: ${tok} at ${url}/tokenizer/`);
      const home = await fetch(`${url}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(home.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(home.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await home.text()).toContain('<title>site</title>');
      const play = await fetch(`${url}/playground/`);
      expect(await play.text()).toContain('<title>playground</title>');
      const wasm = await fetch(`${url}/playground/x.wasm`);
      expect([wasm.headers.get('content-type'), wasm.headers.get('cross-origin-resource-policy')]).toEqual(['application/wasm', 'same-origin']);
      const merges = await fetch(`${url}/tokenizer/merges.txt`, { headers: { Range: 'bytes=14-17' } });
      expect(merges.status).toBe(206);
      expect(merges.headers.get('content-range')).toBe('bytes 14-17/25');
      expect(await merges.text()).toBe('abcd');
      expect((await fetch(`${url}/tokenizer/merges.txt`, { headers: { Range: 'bytes=30-' } })).status).toBe(416);
      expect((await fetch(`${url}/tokenizer/vocab.json`, { method: 'HEAD' })).headers.get('content-length')).toBe('2');
      for (const escape of ['/%2e%2e/secret.txt', '/playground/%2e%2e/%2e%2e/secret.txt', '/link.txt', '/tokenizer/..%2fsite%2findex.html', '/missing.html']) {
        const r = await fetch(`${url}${escape}`);
        expect(r.status, escape).toBe(404);
        expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      }
      expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(405);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(err).toContain('SIGTERM: stopped');
  }, 120_000);
});
