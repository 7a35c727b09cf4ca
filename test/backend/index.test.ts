/**
 * The backend ladder (DESIGN.md, Backends): forced backends, the order of the rungs, the reasons
 * recorded for skipped ones, wasm loading from the package's own files, and `intern-s1 info`.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backendInfo, initBackend } from '../../src/backend/index.js';
import { main } from '../../src/cli/main.js';
import { BackendError } from '../../src/errors.js';
import { VERSION } from '../../src/version.js';

const saved = process.env.INTERN_S1_BACKEND;
afterEach(() => {
  if (saved === undefined) delete process.env.INTERN_S1_BACKEND;
  else process.env.INTERN_S1_BACKEND = saved;
});

function capture(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let s = '';
  const stream = new Writable({ write(c, _e, cb) { s += c.toString(); cb(); } });
  return { stream, text: () => s };
}

describe('backend ladder', () => {
  it('forces cpu and wasm, and reports wasm SIMD / threads', async () => {
    const cpu = await initBackend('cpu');
    expect(cpu.backend).toBe('cpu');
    expect(cpu.forced).toBe(true);
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initBackend('wasm');
    expect(wasm.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(typeof wasm.wasm?.simd).toBe('boolean');
    expect(wasm.wasm?.threads).toBe(false); // Node gives tfjs-wasm no Web Workers
    expect(backendInfo()).toBe(wasm);
  });

  it('a forced backend that cannot load is a BackendError with the reason, not a fallback', async () => {
    await initBackend('cpu');
    await expect(initBackend('tensorflow')).rejects.toThrow(BackendError);
    await expect(initBackend('tensorflow')).rejects.toThrow(/tfjs-node-gpu: .*tfjs-node: /);
    expect(tf.getBackend()).toBe('cpu');
    process.env.INTERN_S1_BACKEND = 'webgpu';
    await expect(initBackend()).rejects.toThrow(/INTERN_S1_BACKEND must be one of tensorflow, wasm, cpu, got 'webgpu'/);
  });

  it('INTERN_S1_BACKEND selects the backend', async () => {
    process.env.INTERN_S1_BACKEND = 'cpu';
    expect((await initBackend()).backend).toBe('cpu');
    process.env.INTERN_S1_BACKEND = 'wasm';
    expect((await initBackend()).backend).toBe('wasm');
  });
});

describe('intern-s1 info', () => {
  it('prints the version, the active backend and the skipped rungs', async () => {
    const out = capture();
    const err = capture();
    const code = await main(['info', '--backend', 'wasm'], { stdout: out.stream, stderr: err.stream, stdin: process.stdin });
    expect(code).toBe(0);
    expect(out.text()).toMatch(new RegExp(`^intern-s1-ts ${VERSION.replace(/\./g, '\\.')} `));
    expect(out.text()).toMatch(/backend: wasm \(forced\)/);
    expect(out.text()).toMatch(/wasm: SIMD (on|off), threads off/);
    expect(out.text()).toMatch(/\nthreads: \d+ \((the machine's \d+ cores|INTERN_S1_THREADS|option); pool: (worker_threads|none)\)/);
  });

  it('--json gives the same facts to machines; a bad --backend is a usage error (2), a bad INTERN_S1_BACKEND exit 1', async () => {
    const out = capture();
    expect(await main(['info', '--json', '--backend', 'cpu'], { stdout: out.stream, stderr: process.stderr, stdin: process.stdin })).toBe(0);
    const j = JSON.parse(out.text());
    expect(j.version).toBe(VERSION);
    expect(j.backend).toBe('cpu');
    expect(j.threads.count).toBeGreaterThanOrEqual(1);
    const err = capture();
    expect(await main(['info', '--backend', 'tpu'], { stdout: out.stream, stderr: err.stream, stdin: process.stdin })).toBe(2);
    expect(err.text().trim().split('\n')).toHaveLength(1);
    expect(err.text()).toMatch(/^intern-s1: --backend must be one of tensorflow, wasm, cpu, got 'tpu'/);
    const envErr = capture();
    const saved = process.env.INTERN_S1_BACKEND;
    process.env.INTERN_S1_BACKEND = 'tpu';
    try {
      expect(await main(['info'], { stdout: out.stream, stderr: envErr.stream, stdin: process.stdin })).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.INTERN_S1_BACKEND;
      else process.env.INTERN_S1_BACKEND = saved;
    }
    expect(envErr.text().trim().split('\n')).toHaveLength(1);
    expect(envErr.text()).toMatch(/^intern-s1: INTERN_S1_BACKEND must be one of/);
  });

  it('VERSION equals package.json', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });
});

// Last: it resets the module registry, after which lazily imported modules are fresh instances.
describe('backend ladder from a fresh start', () => {
  it('without a forced backend tries tfjs-node-gpu, tfjs-node, wasm, cpu in order and records why each was skipped', async () => {
    delete process.env.INTERN_S1_BACKEND;
    vi.resetModules(); // a fresh module: the ladder resolves once per process, like a new program start
    const fresh = (await import('../../src/backend/index.js')) as typeof import('../../src/backend/index.js');
    const info = await fresh.initBackend();
    expect(info.forced).toBe(false);
    expect(info.attempts.map((a) => a.candidate)).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'wasm', 'cpu']);
    // The libtensorflow bindings are not installed here: skipped with the load error as the reason.
    for (const a of info.attempts.slice(0, 2)) {
      expect(a.status).toBe('skipped');
      expect(a.reason).toMatch(/tfjs-node/);
    }
    expect(info.attempts[2].status).toBe('active');
    expect(info.attempts[3].status).toBe('not-tried');
    expect(info.backend).toBe('wasm');
  });
});
