/**
 * The backend ladder (DESIGN.md, Backends).
 *
 * `INTERN_S1_BACKEND` forces one of `tensorflow`, `wasm`, `cpu`. Otherwise the ladder tries, once
 * and in order: `@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`, `wasm` (loaded from the
 * `.wasm` files inside the npm package, no network), `cpu`. Each step that does not load is
 * remembered with its reason and reported by {@link backendInfo} and `intern-s1 info`.
 *
 * The two libtensorflow bindings are optional peer dependencies loaded by dynamic `import()`:
 * they need libtensorflow 2.9.1 (and CUDA 11.2 + cuDNN 8.1 for the GPU build) downloaded at their
 * own install, so users without them never download anything.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BackendError } from '../errors.js';
import { type ThreadsInfo, threadsInfo } from './threads.js';

/** A backend name accepted by `INTERN_S1_BACKEND` and {@link initBackend}. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** One rung of the ladder and what happened when it was tried. */
export interface BackendAttempt {
  /** What was tried: a package name or a tfjs backend name. */
  readonly candidate: string;
  /** `active` if chosen, `skipped` if it failed to load, `not-tried` if an earlier rung won. */
  readonly status: 'active' | 'skipped' | 'not-tried';
  /** Why it was skipped (the load error), or a note. */
  readonly reason?: string;
}

/** What {@link backendInfo} reports: the active backend, whether it was forced, and every rung of the ladder. */
export interface BackendInfo {
  /** The tfjs backend that is active (`tensorflow`, `wasm` or `cpu`). */
  readonly backend: BackendName;
  /** Whether `INTERN_S1_BACKEND` (or an explicit argument) forced the choice. */
  readonly forced: boolean;
  /** Every rung in ladder order with its status. */
  readonly attempts: readonly BackendAttempt[];
  /** wasm features: SIMD and multithreading as tfjs-wasm detected them (wasm only). */
  readonly wasm?: {
    /** tfjs's `WASM_HAS_SIMD_SUPPORT` flag. */
    readonly simd: boolean;
    /** tfjs's `WASM_HAS_MULTITHREAD_SUPPORT` flag. */
    readonly threads: boolean;
    /** Why the backend is single-threaded in Node regardless of that flag. */
    readonly threadsNote: string;
  };
  /**
   * Threads the fast path uses (issue 15): count, where it came from, the worker pool. Read live:
   * `setThreads` after `initBackend` shows here.
   */
  readonly threads: ThreadsInfo;
}

const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
let info: BackendInfo | undefined;
let wasmRegistered = false;

/** Directory of the `.wasm` binaries shipped inside `@tensorflow/tfjs-backend-wasm` (also the pool workers'). */
export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(pkg), 'dist') + path.sep;
}

async function loadWasm(): Promise<void> {
  if (!wasmRegistered) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDir());
    wasmRegistered = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
}

async function loadNode(pkg: string): Promise<void> {
  // A variable specifier keeps bundlers and tsc from resolving the optional peer dependency.
  const spec = pkg;
  await import(spec);
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
}

async function tryRung(candidate: string): Promise<string | undefined> {
  try {
    if (candidate === 'wasm') await loadWasm();
    else if (candidate === 'cpu') {
      if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
      // tfjs-cpu prints a "install tfjs-node" banner on first use; the ladder already reports
      // which faster backends were tried and why they were skipped (intern-s1 info).
      const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
      if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
    } else await loadNode(candidate);
    return undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return msg.split('\n')[0];
  }
}

function wasmFeatures(): BackendInfo['wasm'] {
  return {
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    threadsNote:
      'tfjs-wasm runs its thread pool on Web Workers, which Node does not provide to it, and caps it at ' +
      'logical cores / 2; each wasm instance is single-threaded, threads come from the worker pool (threads)',
  };
}

/**
 * Resolve the backend once and make it active.
 *
 * @param force - a backend to require; defaults to `INTERN_S1_BACKEND`. A forced backend that
 *   cannot load throws a {@link BackendError} with the reason (no silent fallback).
 * @returns what was chosen and why the other rungs were skipped.
 * @example
 * ```ts
 * import { initBackend } from 'intern-s1-ts';
 * const info = await initBackend('cpu');
 * console.log(info.backend); // => 'cpu'
 * ```
 */
export async function initBackend(force?: BackendName): Promise<BackendInfo> {
  const env = process.env.INTERN_S1_BACKEND?.trim();
  const want = force ?? (env ? (env as BackendName) : undefined);
  if (want !== undefined && !BACKENDS.includes(want)) {
    throw new BackendError(
      `INTERN_S1_BACKEND must be one of ${BACKENDS.join(', ')}, got '${want}'`,
    );
  }
  if (info && (want === undefined || info.backend === want) && tf.getBackend() === info.backend) {
    return info;
  }
  const ladder = want === 'tensorflow' ? ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']
    : want ? [want] : ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'wasm', 'cpu'];
  const attempts: BackendAttempt[] = [];
  let chosen: BackendName | undefined;
  for (const rung of ladder) {
    if (chosen) { attempts.push({ candidate: rung, status: 'not-tried' }); continue; }
    const err = await tryRung(rung);
    if (err === undefined) {
      chosen = rung.startsWith('@') ? 'tensorflow' : (rung as BackendName);
      attempts.push({ candidate: rung, status: 'active' });
    } else attempts.push({ candidate: rung, status: 'skipped', reason: err });
  }
  if (!chosen) {
    const why = attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ');
    throw new BackendError(`backend '${want ?? 'any'}' could not be loaded (${why})`);
  }
  info = Object.freeze({
    backend: chosen,
    forced: want !== undefined,
    attempts: Object.freeze(attempts),
    ...(chosen === 'wasm' ? { wasm: wasmFeatures() } : {}),
    get threads() {
      return threadsInfo();
    },
  });
  return info;
}

/**
 * What the ladder chose, or `undefined` before {@link initBackend} ran.
 *
 * @example
 * ```ts
 * import { initBackend, backendInfo } from 'intern-s1-ts';
 * await initBackend('cpu');
 * console.log(backendInfo()?.attempts.map((a) => `${a.candidate}: ${a.status}`));
 * ```
 */
export function backendInfo(): BackendInfo | undefined {
  return info;
}
