/**
 * How many threads the fast path uses, and the hand-off point to the worker pool (issue 15).
 *
 * tfjs-wasm cannot run its own thread pool on more than one thread here: its XNNPACK pool is
 * capped at `min(requested, 8, logical cores / 2)` (`init_with_threads_count` in tfjs-backend-wasm's
 * `backend.cc`, which halves the count for hyper-threading), so on a 2-core machine it is 1 whatever
 * `setThreadsCount` asks, in Node and in Chromium alike; in Node its pthread workers also cannot
 * start (they are made from `blob:` URLs). So the parallelism sits above tfjs: a pool of
 * `worker_threads`, each with its own tfjs instance on the same backend, to which the layers hand
 * whole products (`src/backend/pool.ts`, installed by the Node entry). The caller's thread takes one
 * share of every split itself and then waits for the workers synchronously, so every API stays
 * synchronous. Design and costs: docs/guides/backends.md, "Threads".
 *
 * This module is browser-safe (no Node built-ins). In a browser no pool is installed: the main
 * thread of a page may not block (`Atomics.wait` throws there), so the browser build keeps the
 * single-instance path and {@link threadsInfo} says so.
 *
 * The thread count: {@link setThreads} (an option), else `INTERN_S1_THREADS`, else the machine's
 * cores (`os.availableParallelism()`). One thread means no pool at all.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors.js';

/** A weight or operand a worker keeps between calls (sent once, then referred to by key). */
export type WorkerOperand = tf.Tensor2D;

/** `a [rows, K] · b [K, N]` → `[rows, N]` on one worker. */
export interface MatmulTask {
  /** The task kind. */
  readonly kind: 'matmul';
  /** The row block `[rows, K]`, row-major; transferred to the worker (detached after the call). */
  readonly a: Float32Array;
  /** Rows of `a`. */
  readonly rows: number;
  /** The right operand `[K, N]`, sent once and kept by the worker. */
  readonly b: WorkerOperand;
}

/** One expert's block of rows in a {@link SwiGluTask}. */
export interface SwiGluBlock {
  /** Rows of the block. */
  readonly rows: number;
  /** `[gateᵀ | upᵀ]` `[D, 2I]`, kept by the worker. */
  readonly gateUpT: WorkerOperand;
  /** `downᵀ` `[I, D]`, kept by the worker. */
  readonly downT: WorkerOperand;
}

/**
 * SwiGLU experts with SiLU on one worker, one block of rows each: block `j` is the next `rows_j`
 * rows of `x`, its output `down(silu(x·Wg) ⊙ x·Wu)` with `[Wg | Wu] = gateUpT`; the outputs are
 * concatenated like the inputs → `[Σ rows, D]`.
 */
export interface SwiGluTask {
  /** The task kind. */
  readonly kind: 'swiglu';
  /** The blocks' rows `[Σ rows, D]`, row-major; transferred to the worker (detached after the call). */
  readonly x: Float32Array;
  /** The experts, in the order of their rows in `x`. */
  readonly blocks: readonly SwiGluBlock[];
}

/** One unit of work for one worker. Results are float32, row-major. */
export type WorkerTask = MatmulTask | SwiGluTask;

/** The result of a {@link ParallelRunner.run} call: the caller's value and the workers' arrays. */
export interface RunResult<T> {
  /** The value of the caller's own share. */
  local: T;
  /** The workers' results, in task order. */
  results: Float32Array[];
}

/** A running pool: `workers` helper threads beside the caller's. */
export interface ParallelRunner {
  /** Helper threads (the thread count minus the caller's). */
  readonly workers: number;
  /** The tfjs backend the workers run. */
  readonly backend: string;
  /**
   * Hand `tasks[i]` to worker `i` (`tasks.length ≤ workers`), run `local()` on the calling thread
   * meanwhile, then wait for every worker. Returns `local`'s value and the workers' results in task
   * order. An error in a worker is rethrown here as the same `InternS1Error` subclass (or
   * `Error`) with the worker's message, after every worker has finished.
   */
  run<T>(tasks: readonly WorkerTask[], local: () => T): RunResult<T>;
  /** Bytes of operands each worker holds (`[worker]`), for memory reports. */
  cachedBytes(): number[];
  /** Stop the workers (the pool is made again on the next parallel call). */
  terminate(): void;
}

/** What the Node entry installs: the machine's cores, the environment, and a pool factory. */
export interface ThreadHost {
  /** Logical cores (`os.availableParallelism()`). */
  cores(): number;
  /** `INTERN_S1_THREADS`, or undefined. */
  env(): string | undefined;
  /** Start `workers` helper threads on tfjs backend `backend`. */
  create(workers: number, backend: string): ParallelRunner;
}

/** What {@link threadsInfo} (and `backendInfo().threads`, `intern-s1 info`) reports. */
export interface ThreadsInfo {
  /** Threads the fast path uses: the caller's plus `count - 1` workers. */
  readonly count: number;
  /** Where the count came from. */
  readonly source: 'option' | 'INTERN_S1_THREADS' | 'cores' | 'browser';
  /** Logical cores of the machine (1 when unknown). */
  readonly cores: number;
  /** `worker_threads` when a pool serves count > 1; `none` otherwise. */
  readonly pool: 'worker_threads' | 'none';
  /** Whether the workers are running now (they start at the first parallel call). */
  readonly started: boolean;
  /** Why work stays on one thread, or ''. */
  readonly note: string;
}

/** Backends whose work the pool takes (host memory). libtensorflow threads by itself; GPUs do not need it. */
const POOL_BACKENDS = new Set(['wasm', 'cpu']);

let host: ThreadHost | undefined;
let option: number | undefined;
let runner: ParallelRunner | undefined;
let busy = false;

/** Install the Node side (called once by `src/backend/pool.ts`, which the Node entry imports). */
export function installThreadHost(h: ThreadHost): void {
  host = h;
}

function checkCount(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256) {
    throw new BackendError(`${what} must be an integer in [1, 256], got '${String(n)}'`);
  }
  return n;
}

/**
 * Set the number of threads (the caller's plus helpers); `undefined` returns to
 * `INTERN_S1_THREADS` or the machine's cores. A running pool of another size stops at once and
 * the next parallel call starts one of the new size; with 1 the pool stays idle (so a program can
 * compare 1 and N threads without restarting workers; {@link shutdownThreads} stops it).
 *
 * @throws BackendError for a count that is not an integer in [1, 256].
 * @example
 * ```ts
 * import { setThreads, threadsInfo } from 'intern-s1-ts';
 * setThreads(1); // one thread: no workers
 * console.log(threadsInfo().count); // => 1
 * setThreads(undefined);
 * ```
 */
export function setThreads(n: number | undefined): void {
  option = n === undefined ? undefined : checkCount(n, 'setThreads: the thread count');
  const count = threadCount();
  if (runner && count > 1 && runner.workers !== count - 1) shutdownThreads();
}

/**
 * The thread count in force: {@link setThreads}, else `INTERN_S1_THREADS`, else the cores (1 in a browser).
 * @throws BackendError when `INTERN_S1_THREADS` is set but not an integer in [1, 256].
 */
export function threadCount(): number {
  if (option !== undefined) return option;
  if (!host) return 1;
  const env = host.env()?.trim();
  if (env) return checkCount(Number(env), `INTERN_S1_THREADS ('${env}')`);
  return Math.max(1, host.cores());
}

/**
 * The thread count, where it came from, and whether a pool serves it.
 *
 * @example
 * ```ts
 * import { threadsInfo } from 'intern-s1-ts';
 * const t = threadsInfo();
 * console.log(t.count >= 1); // => true  -- t.pool: 'worker_threads' in Node with ≥ 2 threads, else 'none'
 * ```
 */
export function threadsInfo(): ThreadsInfo {
  const count = threadCount();
  const source = option !== undefined ? 'option' : !host ? 'browser' : host.env()?.trim() ? 'INTERN_S1_THREADS' : 'cores';
  const cores = host ? host.cores() : 1;
  const note = !host
    ? 'no worker pool in the browser build (a page may not block its main thread); tfjs-wasm threads need a cross-origin isolated page and >= 4 logical cores'
    : count === 1 ? 'one thread requested' : '';
  return Object.freeze({ count, source, cores, pool: host && count > 1 ? 'worker_threads' : 'none', started: runner !== undefined, note });
}

/**
 * The pool, when work may be split now: more than one thread, a pool installed (Node), the active
 * backend one the pool serves (wasm, cpu), no gradient being recorded (the split paths are
 * forward-only), and not already inside a parallel call (the caller's share never splits again).
 * Starts the workers on first use (blocking until they are ready).
 */
export function parallelRunner(): ParallelRunner | undefined {
  if (busy || !host || tf.engine().state.gradientDepth > 0) return undefined;
  const backend = tf.getBackend();
  if (!POOL_BACKENDS.has(backend)) return undefined;
  const n = threadCount();
  if (n < 2) return undefined;
  if (runner && (runner.workers !== n - 1 || runner.backend !== backend)) shutdownThreads();
  runner ??= host.create(n - 1, backend);
  return runner;
}

/**
 * Run `fn` with nested splitting disabled (the caller's own share inside a parallel call), so a
 * product inside it runs on the caller's thread instead of waiting on the busy pool.
 */
export function withoutPool<T>(fn: () => T): T {
  const was = busy;
  busy = true;
  try {
    return fn();
  } finally {
    busy = was;
  }
}

/**
 * Stop the workers now (they also never keep the process alive: they are unref'd). The next
 * parallel call starts a new pool.
 */
export function shutdownThreads(): void {
  const r = runner;
  runner = undefined;
  r?.terminate();
}
