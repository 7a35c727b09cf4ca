/**
 * The backend ladder of the browser entry: `webgpu`, `webgl`, `wasm` (threaded SIMD when the page
 * is cross-origin isolated, else SIMD), `cpu`. The decision is {@link planBrowserLadder}
 * (`ladder.ts`); this module probes the page for the facts it needs, loads each rung in order and
 * records why the others were skipped, with the same `initBackend(force)` / `backendInfo()` shape
 * as the Node ladder (`src/backend/index.ts`).
 *
 * `@tensorflow/tfjs-backend-webgpu` and `@tensorflow/tfjs-backend-wasm` are loaded by dynamic
 * `import()`, so a bundler splits them into chunks fetched only when their rung is tried, and Node
 * never loads the WebGPU package. WebGL and cpu ship in `@tensorflow/tfjs`.
 *
 * wasm binaries: by default tfjs-wasm fetches its `.wasm` files relative to the script that loads
 * it, i.e. next to your bundle (copy `node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm`
 * there). `wasmPaths` overrides that, e.g. with {@link wasmCdnPath} for jsDelivr.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors.js';
import { type ThreadsInfo, threadsInfo } from './threads.js';
import {
  BROWSER_LADDER, type BrowserBackendName, type BrowserFacts, type GpuAdapterFacts, isBrowserBackendName,
  isSoftwareAdapter, planBrowserLadder,
} from './ladder.js';

/** A backend name accepted by {@link initBackend} in the browser entry. */
export type BackendName = BrowserBackendName;

/** One rung of the ladder and what happened when it was tried. */
export interface BackendAttempt {
  /** The tfjs backend name. */
  readonly candidate: BrowserBackendName;
  /** `active` if chosen, `skipped` if its prerequisite is missing or it failed to load, `not-tried` if an earlier rung won. */
  readonly status: 'active' | 'skipped' | 'not-tried';
  /** Why it was skipped, or a note. */
  readonly reason?: string;
}

/** What {@link backendInfo} reports in a browser. */
export interface BackendInfo {
  /** The active tfjs backend. */
  readonly backend: BrowserBackendName;
  /** Whether the choice was forced by the `force` argument. */
  readonly forced: boolean;
  /** Every rung in ladder order with its status. */
  readonly attempts: readonly BackendAttempt[];
  /** The GPU the active backend runs on (webgpu: the adapter; webgl: the renderer). */
  readonly adapter?: {
    /** Adapter description or WebGL renderer string. */
    readonly name: string;
    /** True for a CPU emulation (SwiftShader, llvmpipe, a WebGPU fallback adapter): not GPU speed. */
    readonly software: boolean;
  };
  /** wasm only: the build tfjs-wasm chose. */
  readonly wasm?: {
    /** tfjs's `WASM_HAS_SIMD_SUPPORT` flag. */
    readonly simd: boolean;
    /** tfjs's `WASM_HAS_MULTITHREAD_SUPPORT` flag (needs a cross-origin isolated page). */
    readonly threads: boolean;
    /** Why threads are off when they are (COOP/COEP headers missing), or ''. */
    readonly threadsNote: string;
  };
  /** The library's own threads: one in a browser (no worker pool; see {@link threadsInfo}). */
  readonly threads: ThreadsInfo;
}

/** Options of the browser {@link initBackend}. */
export interface BrowserBackendOptions {
  /**
   * Where tfjs-wasm fetches its `.wasm` files: a URL prefix ending in `/` (a CDN, see
   * {@link wasmCdnPath}) or a map from file name to URL. Default: next to the bundle.
   */
  readonly wasmPaths?: string | Readonly<Record<string, string>>;
  /** Replace the environment probe (tests; pages that know better). */
  readonly probe?: () => Promise<BrowserFacts>;
  /** Replace a rung's loader (tests). A loader resolves once its backend is active. */
  readonly loaders?: Partial<Record<BrowserBackendName, (opts: BrowserBackendOptions) => Promise<void>>>;
}

/** The jsDelivr folder of the `.wasm` files of a tfjs-backend-wasm version (default: this library's). */
export function wasmCdnPath(version = '4.22.0'): string {
  return `https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-wasm@${version}/dist/`;
}

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let info: BackendInfo | undefined;
let gpuAdapter: GpuAdapterFacts | null = null;

async function probeGpu(g: Loose): Promise<GpuAdapterFacts | null> {
  const nav = g.navigator as Loose | undefined;
  if (!nav?.gpu) return null;
  const adapter = (await nav.gpu.requestAdapter().catch(() => null)) as Loose | null;
  if (!adapter) return null;
  const i = (adapter.info ?? {}) as Loose;
  const name = [i.description, [i.vendor, i.architecture, i.device].filter(Boolean).join(' ')].find((s) => s) ?? 'unknown adapter';
  return { name: String(name), isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? i.isFallbackAdapter) };
}

function probeWebgl(g: Loose): { version: 0 | 1 | 2; renderer: string } {
  let canvas: Loose | undefined;
  if (typeof g.OffscreenCanvas === 'function') canvas = new g.OffscreenCanvas(1, 1);
  else if (g.document?.createElement) canvas = g.document.createElement('canvas');
  if (!canvas) return { version: 0, renderer: '' };
  for (const [version, kind] of [[2, 'webgl2'], [1, 'webgl']] as const) {
    const gl = canvas.getContext(kind) as Loose | null;
    if (!gl) continue;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    return { version, renderer };
  }
  return { version: 0, renderer: '' };
}

/** Probe the page: WebGPU adapter, WebGL version and renderer, WebAssembly, cross-origin isolation. */
export async function probeBrowser(): Promise<BrowserFacts> {
  const g = globalThis as unknown as Loose;
  const adapter = await probeGpu(g);
  const webgl = probeWebgl(g);
  return {
    webgpuApi: Boolean(g.navigator?.gpu), gpuAdapter: adapter, webglVersion: webgl.version, webglRenderer: webgl.renderer,
    wasm: typeof g.WebAssembly === 'object', crossOriginIsolated: g.crossOriginIsolated === true,
    sharedArrayBuffer: typeof g.SharedArrayBuffer === 'function',
  };
}

async function activate(name: BrowserBackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") returned false`);
  await tf.ready();
}

const LOADERS: Record<BrowserBackendName, (opts: BrowserBackendOptions) => Promise<void>> = {
  webgpu: async () => {
    await import('@tensorflow/tfjs-backend-webgpu'); // registers 'webgpu'
    await activate('webgpu');
  },
  webgl: () => activate('webgl'),
  wasm: async (opts) => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (opts.wasmPaths !== undefined) wasm.setWasmPaths(opts.wasmPaths as string);
    await activate('wasm');
  },
  cpu: () => activate('cpu'),
};

function describe(name: BrowserBackendName, facts: BrowserFacts, wasmThreads: boolean): Partial<BackendInfo> {
  if (name === 'webgpu' && facts.gpuAdapter) {
    const a = facts.gpuAdapter;
    return { adapter: { name: a.name, software: isSoftwareAdapter(a.name, a.isFallbackAdapter) } };
  }
  if (name === 'webgl') return { adapter: { name: facts.webglRenderer, software: isSoftwareAdapter(facts.webglRenderer) } };
  if (name === 'wasm') {
    const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
    return {
      wasm: {
        simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads,
        threadsNote: threads || wasmThreads ? '' : 'the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp) so tfjs-wasm runs single-threaded',
      },
    };
  }
  return {};
}

/**
 * Resolve the browser backend once and make it active.
 *
 * @param force - a backend to require (`webgpu`, `webgl`, `wasm`, `cpu`); one that cannot load
 *   throws a {@link BackendError} with the reason (no silent fallback).
 * @param opts - where the wasm binaries are; test hooks.
 * @returns what was chosen, the adapter, the wasm build, and why the other rungs were skipped.
 * @example
 * In a page (the browser entry; a ```html block because it needs a browser to run):
 * ```html
 * <script type="module">
 *   import { initBackend } from 'intern-s1-ts';
 *   const info = await initBackend(undefined, { wasmPaths: '/wasm/' });
 *   console.log(info.backend, info.adapter?.name, info.adapter?.software, info.wasm?.threads);
 * </script>
 * ```
 */
export async function initBackend(force?: BrowserBackendName, opts: BrowserBackendOptions = {}): Promise<BackendInfo> {
  if (force !== undefined && !isBrowserBackendName(force)) {
    throw new BackendError(`initBackend: the browser backend must be one of ${BROWSER_LADDER.join(', ')}, got '${String(force)}'`);
  }
  if (info && (force === undefined || info.backend === force) && tf.getBackend() === info.backend) return info;
  const facts = await (opts.probe ?? probeBrowser)();
  gpuAdapter = facts.gpuAdapter;
  const plan = planBrowserLadder(facts, force);
  const reasons = new Map<BrowserBackendName, string>(plan.skipped.map((s) => [s.candidate, s.reason]));
  let chosen: BrowserBackendName | undefined;
  for (const rung of plan.order) {
    if (chosen) break;
    try {
      await (opts.loaders?.[rung] ?? LOADERS[rung])(opts);
      chosen = rung;
    } catch (e) {
      reasons.set(rung, (e instanceof Error ? e.message : String(e)).split('\n')[0]);
    }
  }
  const rungs = force === undefined ? BROWSER_LADDER : [force];
  const attempts: BackendAttempt[] = rungs.map((candidate) => (candidate === chosen ? { candidate, status: 'active' as const }
    : reasons.has(candidate) ? { candidate, status: 'skipped' as const, reason: reasons.get(candidate) }
      : { candidate, status: 'not-tried' as const }));
  if (!chosen) {
    const why = attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ');
    throw new BackendError(`backend '${force ?? 'any'}' could not be loaded (${why})`);
  }
  info = Object.freeze({ backend: chosen, forced: force !== undefined, attempts: Object.freeze(attempts), ...describe(chosen, facts, plan.wasmThreads), get threads() { return threadsInfo(); } });
  return info;
}

/** What the browser ladder chose, or `undefined` before {@link initBackend} ran. */
export function backendInfo(): BackendInfo | undefined {
  return info;
}

/** The WebGPU adapter found by the last probe (null when none), for reports. */
export function lastGpuAdapter(): GpuAdapterFacts | null {
  return gpuAdapter;
}
