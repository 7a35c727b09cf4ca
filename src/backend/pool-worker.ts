/**
 * The source of one pool worker (a `worker_threads` thread with its own tfjs on the caller's
 * backend), run with `new Worker(POOL_WORKER_SOURCE, { eval: true })`.
 *
 * Decision: the worker is a JavaScript string, not a `.ts` file, because it must start unchanged
 * from the TypeScript sources (vitest, tsx: Node 20 cannot run a `.ts` worker), from `dist/`, and
 * from a user's bundle, and a file path would differ in each. It is kept small: it computes only
 * the two task kinds of `WorkerTask` (threads.ts), with the same tfjs ops in the same order as the
 * caller's one-thread path (`matMul`; SwiGLU as `matMul`, `split`, `x·sigmoid(x)`, `mul`, `matMul`),
 * so a split product equals the unsplit one on the same backend.
 *
 * Protocol (synchronous for the caller): the caller posts `{ task, drop }` on the worker's
 * `MessagePort`; the worker computes, posts `{ ok }` or `{ error: { name, message } }` and then
 * sets `state[0] = 1` and notifies; the caller, blocked in `Atomics.wait` on `state`, takes the
 * reply with `receiveMessageOnPort`. Operands (`{ key, shape, data? }`) are sent once with their
 * data and then by key; `drop` lists keys whose tensors the caller disposed. `state[0] = 2` means
 * the worker is gone.
 *
 * @module
 */

/** The worker's JavaScript (CommonJS, evaluated). `workerData`: `{ port, state, tfjsPath, wasmPath, wasmDir, backend }`. */
export const POOL_WORKER_SOURCE = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
const { port, state, tfjsPath, wasmPath, wasmDir, backend } = workerData;
const cache = new Map(); // key -> tf.Tensor2D
let tf;

function signal(v) { Atomics.store(state, 0, v); Atomics.notify(state, 0); }
function fail(name, message) { const e = new Error(message); e.name = name; return e; }
function own(v) { return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice(); }

function operand(r) {
  if (r.data) {
    const old = cache.get(r.key);
    if (old) old.dispose();
    cache.set(r.key, tf.tensor2d(r.data, r.shape));
  }
  const t = cache.get(r.key);
  if (!t) throw fail('BackendError', 'thread pool worker: operand ' + r.key + ' was never sent to this worker');
  return t;
}

function read(y) {
  try { return own(y.dataSync()); } finally { y.dispose(); }
}

function matmul(t) {
  const b = operand(t.b);
  const K = b.shape[0];
  if (t.a.length !== t.rows * K) {
    throw fail('ShapeError', "thread pool matmul: 'a' has " + t.a.length + ' values, expected rows ' + t.rows + ' x K ' + K);
  }
  return read(tf.tidy(() => tf.matMul(tf.tensor2d(t.a, [t.rows, K]), b)));
}

function swiglu(t) {
  const parts = [];
  let off = 0;
  let total = 0;
  let D = 0;
  for (const blk of t.blocks) {
    const gu = operand(blk.gateUpT);
    const dn = operand(blk.downT);
    D = gu.shape[0];
    if (dn.shape[1] !== D || gu.shape[1] !== 2 * dn.shape[0]) {
      throw fail('ShapeError', 'thread pool swiglu: gateUpT [' + gu.shape + '] and downT [' + dn.shape + '] do not form a SwiGLU');
    }
    if ((off + blk.rows) * D > t.x.length) throw fail('ShapeError', "thread pool swiglu: 'x' has " + t.x.length + ' values, fewer than the blocks need');
    const x = t.x.subarray(off * D, (off + blk.rows) * D);
    parts.push(read(tf.tidy(() => {
      const [g, u] = tf.split(tf.matMul(tf.tensor2d(x, [blk.rows, D]), gu), 2, -1);
      return tf.matMul(tf.mul(tf.mul(g, tf.sigmoid(g)), u), dn);
    })));
    off += blk.rows;
    total += blk.rows * D;
  }
  if (off * D !== t.x.length) {
    throw fail('ShapeError', "thread pool swiglu: 'x' has " + t.x.length + ' values, more than the blocks use');
  }
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

port.on('message', (msg) => {
  let reply;
  let transfer = [];
  try {
    for (const k of msg.drop) { const t = cache.get(k); if (t) t.dispose(); cache.delete(k); }
    const t = msg.task;
    const out = t.kind === 'matmul' ? matmul(t) : t.kind === 'swiglu' ? swiglu(t) : null;
    if (out === null) throw fail('BackendError', 'thread pool worker: unknown task kind ' + t.kind);
    reply = { ok: out };
    transfer = [out.buffer];
  } catch (e) {
    reply = { error: { name: (e && e.name) || 'Error', message: String((e && e.message) || e) } };
  }
  port.postMessage(reply, transfer);
  signal(1);
});

process.on('exit', () => signal(2));

(async () => {
  tf = require(tfjsPath);
  if (backend === 'wasm') require(wasmPath).setWasmPaths(wasmDir);
  if (!(await tf.setBackend(backend))) throw new Error('tf.setBackend("' + backend + '") returned false');
  await tf.ready();
  const cpu = tf.findBackend('cpu');
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
})().then(
  () => { port.postMessage({ ok: null }); signal(1); },
  (e) => { port.postMessage({ error: { name: 'BackendError', message: String((e && e.message) || e) } }); signal(1); },
);
`;
