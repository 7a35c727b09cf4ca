/**
 * `intern-s1 serve` as a user runs it: a spawned process on a saved tiny checkpoint, a request
 * through the openai client, then SIGTERM (or SIGINT): exit code 0 and a clean shutdown line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCheckpoint, saveDemo } from '../../src/cli/demo/checkpoint.js';
import { buildDemoTokenizer } from '../../src/cli/demo/tokenizer.js';
import { runCli } from '../support/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'serve-'));
  const tok = buildDemoTokenizer();
  saveDemo(dir, demoCheckpoint('mini', tok, 1), tok);
  writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ do_sample: false, eos_token_id: [tok.added['<|im_end|>'], tok.added['<|endoftext|>']] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Start `intern-s1 serve dir --port 0 ...`; resolves with the URL it prints and the process. */
function startServe(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'serve', dir, '--port', '0', '--backend', 'cpu', ...args], { cwd: root, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /on (http:\/\/[\d.]+:\d+)\/v1/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`serve exited early: ${out}${err}`)));
  });
  return { child, url, exited, output: () => ({ out, err }) };
}

describe('intern-s1 serve', () => {
  it('answers the openai client, then shuts down cleanly on SIGTERM and on SIGINT', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const s = startServe(['--model-name', 'tiny']);
      const url = await s.url;
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      expect((await client.models.list()).data[0].id).toBe('tiny');
      const r = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3 });
      expect(r.usage?.completion_tokens).toBeLessThanOrEqual(3);
      s.child.kill(sig);
      expect(await s.exited).toBe(0);
      expect(s.output().err).toContain(`${sig}: shut down (1 served, 0 refused with 429)`);
    }
  });

  it('bad flags are usage errors (exit 2)', async () => {
    for (const [flag, value] of [['--port', '70000'], ['--port', 'x'], ['--concurrency', '0'], ['--max-queue', '-1']]) {
      const r = await runCli(['serve', dir, flag, value]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(flag);
    }
    expect((await runCli(['serve'])).code).toBe(2);
  });
});
