/**
 * The Node worker pool behind {@link ParallelRunner} (threads.ts): `workers` `worker_threads`, each
 * with its own tfjs on the caller's backend (wasm or cpu), started lazily at the first parallel
 * call and unref'd, so they never keep the process alive. Installed by importing this module (the
 * Node entry does, through `src/platform/node.ts`); never reachable from the browser entry.
 *
 * Synchronous hand-off: tasks go out by `postMessage` (the row blocks transferred, not copied), the
 * caller computes its own share, then blocks in `Atomics.wait` on each worker's flag and reads the
 * reply with `receiveMessageOnPort` (pool-worker.ts has the protocol). Operands that outlive a call
 * (weights) are sent to a worker once and kept there, keyed by their tfjs `dataId`; when the
 * caller's tensor is disposed the worker's copy is dropped at the next call, and past
 * {@link WORKER_CACHE_BYTES} per worker the least recently used copies are dropped.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import * as errors from '../errors.js';
import { wasmDir } from './index.js';
import { POOL_WORKER_SOURCE } from './pool-worker.js';
import { installThreadHost, type ParallelRunner, type RunResult, withoutPool, type WorkerOperand, type WorkerTask } from './threads.js';

/**
 * Most bytes of operands one worker keeps (1.5 GiB). Decision: under wasm32's 4 GiB heap with room
 * for activations; the 300M InternViT (1.2 GB float32) fits, a larger model's layers are re-sent
 * when they fall out (a copy, ~1 ms per 4 MB).
 */
export const WORKER_CACHE_BYTES = 1.5 * 2 ** 30;

/** A reference to an operand on the wire: its data the first time, then only its key. */
interface WireOperand {
  key: number;
  shape: [number, number];
  data?: Float32Array;
}

interface Entry {
  ref: WeakRef<tf.Tensor>;
  dataId: object;
  bytes: number;
  used: number;
}

const keys = new WeakMap<object, number>();
let nextKey = 1;

/** A stable key per tensor data (`dataId` changes when a variable is assigned, so new data gets a new key). */
function keyOf(t: tf.Tensor): number {
  const id = t.dataId as object;
  let k = keys.get(id);
  if (k === undefined) {
    k = nextKey++;
    keys.set(id, k);
  }
  return k;
}

/** Rebuild a worker's error as the library's class of the same name (else `Error`), same message. */
function rebuild(e: { name: string; message: string }): Error {
  const cls = (errors as Record<string, unknown>)[e.name];
  if (typeof cls === 'function' && (cls === errors.InternS1Error || cls.prototype instanceof errors.InternS1Error)) {
    return new (cls as new (m: string) => Error)(e.message);
  }
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

class PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly state = new Int32Array(new SharedArrayBuffer(4));
  readonly cache = new Map<number, Entry>();
  bytes = 0;

  constructor(backend: string) {
    const require = createRequire(import.meta.url);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(POOL_WORKER_SOURCE, {
      eval: true,
      workerData: {
        port: port2, state: this.state, backend, wasmDir: wasmDir(),
        tfjsPath: require.resolve('@tensorflow/tfjs'), wasmPath: require.resolve('@tensorflow/tfjs-backend-wasm'),
      },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.unref();
    this.worker.on('error', () => { /* reported through the state flag: the caller is blocked, not listening */ });
  }

  /** Block until the worker replies; its result, or its error rethrown. */
  receive(): Float32Array | null {
    while (Atomics.load(this.state, 0) === 0) Atomics.wait(this.state, 0, 0);
    const s = Atomics.exchange(this.state, 0, 0);
    const msg = receiveMessageOnPort(this.port)?.message as { ok?: Float32Array | null; error?: { name: string; message: string } } | undefined;
    if (!msg) throw new errors.BackendError(`thread pool: a worker stopped${s === 2 ? '' : ' without replying'} (out of memory or terminated)`);
    if (msg.error) throw rebuild(msg.error);
    return msg.ok ?? null;
  }

  /** Drop the copies of disposed tensors, and least recently used ones past the budget; returns their keys. */
  sweep(incoming: number, stamp: number): number[] {
    const drop: number[] = [];
    const remove = (k: number, e: Entry) => { drop.push(k); this.bytes -= e.bytes; this.cache.delete(k); };
    for (const [k, e] of this.cache) {
      const t = e.ref.deref();
      if (!t || t.isDisposed || t.dataId !== e.dataId) remove(k, e);
    }
    if (this.bytes + incoming > WORKER_CACHE_BYTES) {
      const old = [...this.cache].filter(([, e]) => e.used !== stamp).sort((x, y) => x[1].used - y[1].used);
      for (const [k, e] of old) {
        if (this.bytes + incoming <= WORKER_CACHE_BYTES) break;
        remove(k, e);
      }
    }
    return drop;
  }
}

class WorkerPool implements ParallelRunner {
  private readonly pool: PoolWorker[];
  private stamp = 0;

  constructor(readonly workers: number, readonly backend: string) {
    this.pool = Array.from({ length: workers }, () => new PoolWorker(backend));
    let failure: unknown;
    for (const w of this.pool) {
      try {
        w.receive();
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) {
      this.terminate();
      const why = failure instanceof Error ? failure.message : String(failure);
      throw new errors.BackendError(`thread pool: a worker could not start tfjs backend '${backend}': ${why}`);
    }
  }

  /** The wire form of an operand for worker `w`: data only if `w` does not hold it yet. */
  private operand(w: PoolWorker, t: WorkerOperand, fresh: Map<number, Float32Array>): WireOperand {
    const key = keyOf(t);
    const shape = t.shape as [number, number];
    const held = w.cache.get(key);
    if (held) {
      held.used = this.stamp;
      return { key, shape };
    }
    let data = fresh.get(key);
    if (!data) {
      data = (t.dataSync() as Float32Array).slice(); // a copy: cpu's dataSync is the tensor's own array
      fresh.set(key, data);
    }
    w.cache.set(key, { ref: new WeakRef(t), dataId: t.dataId as object, bytes: data.byteLength, used: this.stamp });
    w.bytes += data.byteLength;
    return { key, shape, data };
  }

  private post(w: PoolWorker, task: WorkerTask): void {
    const operands = task.kind === 'matmul' ? [task.b] : task.blocks.flatMap((b) => [b.gateUpT, b.downT]);
    const incoming = operands.filter((t) => !w.cache.has(keyOf(t))).reduce((s, t) => s + 4 * t.size, 0);
    const drop = w.sweep(incoming, this.stamp);
    const fresh = new Map<number, Float32Array>();
    const wire = task.kind === 'matmul'
      ? { kind: task.kind, a: task.a, rows: task.rows, b: this.operand(w, task.b, fresh) }
      : {
        kind: task.kind, x: task.x,
        blocks: task.blocks.map((b) => ({ rows: b.rows, gateUpT: this.operand(w, b.gateUpT, fresh), downT: this.operand(w, b.downT, fresh) })),
      };
    const rows = task.kind === 'matmul' ? task.a : task.x;
    w.port.postMessage({ task: wire, drop }, [rows.buffer as ArrayBuffer]);
  }

  run<T>(tasks: readonly WorkerTask[], local: () => T): RunResult<T> {
    if (tasks.length > this.pool.length) throw new errors.BackendError(`thread pool: ${tasks.length} tasks for ${this.pool.length} workers`);
    this.stamp++;
    const posted: PoolWorker[] = [];
    let failure: unknown;
    try {
      tasks.forEach((t, i) => {
        this.post(this.pool[i], t);
        posted.push(this.pool[i]);
      });
    } catch (e) {
      failure = e;
    }
    let value: T | undefined;
    if (failure === undefined) {
      try {
        value = withoutPool(local);
      } catch (e) {
        failure = e;
      }
    }
    const results: Float32Array[] = [];
    let workerFailure: unknown;
    for (const w of posted) {
      try {
        results.push(w.receive() as Float32Array);
      } catch (e) {
        workerFailure ??= e;
      }
    }
    if (workerFailure !== undefined) throw workerFailure;
    if (failure !== undefined) throw failure;
    return { local: value as T, results };
  }

  cachedBytes(): number[] {
    return this.pool.map((w) => w.bytes);
  }

  terminate(): void {
    for (const w of this.pool) {
      w.port.close();
      void w.worker.terminate().catch(() => undefined);
    }
  }
}

installThreadHost({
  cores: () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length),
  env: () => process.env.INTERN_S1_THREADS,
  create: (workers, backend) => new WorkerPool(workers, backend),
});
