/**
 * The thread count and the worker pool (issue 15): where the count comes from, lazy start, errors
 * inside a worker reaching the caller as the same class and message, no tensor leaks, and a
 * process that exits by itself with the workers still running.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { backendInfo, initBackend } from '../../src/backend/index.js';
import { parallelRunner, setThreads, shutdownThreads, threadCount, threadsInfo, type WorkerTask } from '../../src/backend/threads.js';
import { BackendError, ShapeError } from '../../src/errors.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { forEachBackend } from '../support/backends.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const savedEnv = process.env.INTERN_S1_THREADS;

afterEach(() => {
  if (savedEnv === undefined) delete process.env.INTERN_S1_THREADS;
  else process.env.INTERN_S1_THREADS = savedEnv;
  setThreads(undefined);
});
afterAll(() => shutdownThreads());

describe('thread count', () => {
  it('defaults to the machine cores, then INTERN_S1_THREADS, then setThreads', () => {
    delete process.env.INTERN_S1_THREADS;
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    expect(threadsInfo()).toMatchObject({ count: cores, source: 'cores', cores });
    process.env.INTERN_S1_THREADS = '3';
    expect(threadsInfo()).toMatchObject({ count: 3, source: 'INTERN_S1_THREADS', pool: 'worker_threads' });
    setThreads(1);
    expect(threadsInfo()).toMatchObject({ count: 1, source: 'option', pool: 'none', note: 'one thread requested' });
  });

  it('rejects a count that is not an integer in [1, 256] with a BackendError naming where it came from', () => {
    expect(() => setThreads(0)).toThrow(BackendError);
    expect(() => setThreads(1.5)).toThrow(/setThreads: the thread count must be an integer in \[1, 256\], got '1.5'/);
    process.env.INTERN_S1_THREADS = 'many';
    expect(() => threadCount()).toThrow(/INTERN_S1_THREADS \('many'\) must be an integer in \[1, 256\], got 'NaN'/);
  });

  it('backendInfo().threads and intern-s1 info report it', async () => {
    setThreads(2);
    const bi = await initBackend('cpu');
    expect(bi.threads).toMatchObject({ count: 2, source: 'option', pool: 'worker_threads' });
    expect(backendInfo()?.threads.count).toBe(2);
    setThreads(1);
    expect(backendInfo()?.threads.count).toBe(1); // live, not a snapshot
  });
});

forEachBackend((backend) => {
  describe('worker pool', () => {
    it('starts lazily, only for more than one thread, and not while a gradient is recorded', () => {
      shutdownThreads();
      setThreads(1);
      expect(parallelRunner()).toBeUndefined();
      setThreads(3);
      expect(threadsInfo().started).toBe(false);
      const r = parallelRunner();
      expect(r?.workers).toBe(2);
      expect(r?.backend).toBe(backend);
      expect(threadsInfo().started).toBe(true);
      tf.grad((x: tf.Tensor) => {
        expect(parallelRunner()).toBeUndefined();
        return tf.sum(x);
      })(tf.ones([2])).dispose();
      setThreads(2); // another size: the pool of 3 stops, the next call starts one of 2
      expect(threadsInfo().started).toBe(false);
      expect(parallelRunner()?.workers).toBe(1);
    });

    it('runs tasks on the workers while the caller computes its share', async () => {
      setThreads(3);
      const r = parallelRunner()!;
      const b = tf.tensor2d([[1, 2], [3, 4], [5, 6]]); // [3, 2]
      await expectNoLeak(() => {
        const tasks: WorkerTask[] = [
          { kind: 'matmul', a: new Float32Array([1, 0, 0, 0, 1, 0]), rows: 2, b: b as tf.Tensor2D },
          { kind: 'matmul', a: new Float32Array([1, 1, 1]), rows: 1, b: b as tf.Tensor2D },
        ];
        const { local, results } = r.run(tasks, () => 'mine');
        expect(local).toBe('mine');
        expect(Array.from(results[0])).toEqual([1, 2, 3, 4]);
        expect(Array.from(results[1])).toEqual([9, 12]);
      }, 'pool run');
      expect(Math.min(...r.cachedBytes())).toBe(24); // b, sent once to each worker
      b.dispose();
      r.run([{ kind: 'matmul', a: new Float32Array([1, 1]), rows: 1, b: tf.tensor2d([[1], [1]]) as tf.Tensor2D }], () => 0);
      expect(r.cachedBytes()[0]).toBe(8); // the disposed b was dropped, the new operand kept
    });

    it('an error inside a worker reaches the caller as the same class and message, after every worker finished', async () => {
      setThreads(3);
      const r = parallelRunner()!;
      const b = tf.ones([4, 2]) as tf.Tensor2D;
      await expectThrowsNoLeak(
        () => r.run([
          { kind: 'matmul', a: new Float32Array(4), rows: 1, b },
          { kind: 'matmul', a: new Float32Array(7), rows: 2, b },
        ], () => 0),
        ShapeError, /^thread pool matmul: 'a' has 7 values, expected rows 2 x K 4$/,
      );
      // an error thrown by tfjs inside the worker: a plain Error with tfjs's own message
      let tfjsMessage = '';
      try {
        tf.tensor2d(new Float32Array(0), [-1, 4]);
      } catch (e) {
        tfjsMessage = (e as Error).message;
      }
      expect(tfjsMessage).not.toBe('');
      const w = { gateUpT: tf.ones([4, 6]) as tf.Tensor2D, downT: tf.ones([3, 4]) as tf.Tensor2D };
      let thrown: unknown;
      try {
        r.run([{ kind: 'swiglu', x: new Float32Array(0), blocks: [{ rows: -1, ...w }] }], () => 0);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).constructor).toBe(Error);
      expect((thrown as Error).message).toBe(tfjsMessage);
      tf.dispose([w.gateUpT, w.downT]);
      // an error of the caller's own share is rethrown too, and the pool stays usable
      expect(() => r.run([{ kind: 'matmul', a: new Float32Array(4), rows: 1, b }], () => { throw new ShapeError('mine'); })).toThrow('mine');
      expect(Array.from(r.run([{ kind: 'matmul', a: new Float32Array([1, 1, 1, 1]), rows: 1, b }], () => 0).results[0])).toEqual([4, 4]);
      b.dispose();
    });
  });
}, ['cpu', 'wasm']);

describe('process lifetime', () => {
  it('a program that used the pool exits by itself (workers are unref\'d), with its result', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'intern-s1-threads-'));
    const script = path.join(dir, 'main.mts');
    writeFileSync(script, [
      `import { createRequire } from 'node:module';`,
      `import { initBackend, setThreads, threadsInfo, dense } from ${JSON.stringify(path.join(root, 'src/index.ts'))};`,
      `const tf = createRequire(${JSON.stringify(path.join(root, 'package.json'))})('@tensorflow/tfjs');`,
      `await initBackend('wasm');`,
      `setThreads(2);`,
      `const y = dense(tf.ones([256, 256]), tf.ones([256, 256]));`,
      `console.log(threadsInfo().started, y.dataSync()[0]);`,
    ].join('\n'));
    try {
      const res = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0); // a hang would end in the timeout with status null
      expect(res.stdout.trim()).toBe('true 256');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
