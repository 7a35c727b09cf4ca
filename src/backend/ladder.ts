/**
 * The browser backend ladder's decision logic, separated from the probing and loading so that it
 * is tested in Node with made-up environment facts (test/backend/ladder.test.ts).
 *
 * Order (DESIGN.md, Backends): `webgpu`, `webgl`, `wasm` (the threaded SIMD build when the page is
 * cross-origin isolated, else the SIMD build), `cpu`. A rung whose prerequisite is missing is
 * skipped with the reason; the loader then tries the remaining rungs in order, and a rung that
 * fails to load is skipped with its load error. A forced backend is the only rung tried.
 *
 * @module
 */

/** A backend name of the browser ladder (and of `initBackend` in the browser entry). */
export type BrowserBackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The browser rungs in ladder order. */
export const BROWSER_LADDER: readonly BrowserBackendName[] = Object.freeze(['webgpu', 'webgl', 'wasm', 'cpu']);

/** What a WebGPU adapter says about itself. */
export interface GpuAdapterFacts {
  /** A readable name: `GPUAdapterInfo` description, else vendor / architecture / device. */
  readonly name: string;
  /** `GPUAdapter.isFallbackAdapter` (or `info.isFallbackAdapter`): a software implementation. */
  readonly isFallbackAdapter: boolean;
}

/** The environment facts the ladder decides on (probed by `src/backend/browser.ts`). */
export interface BrowserFacts {
  /** `navigator.gpu` exists. */
  readonly webgpuApi: boolean;
  /** The adapter `navigator.gpu.requestAdapter()` returned, or null when it returned none. */
  readonly gpuAdapter: GpuAdapterFacts | null;
  /** The highest WebGL version a canvas gives (0: none). */
  readonly webglVersion: 0 | 1 | 2;
  /** The WebGL renderer (`WEBGL_debug_renderer_info`), or '' when unknown. */
  readonly webglRenderer: string;
  /** `WebAssembly` exists. */
  readonly wasm: boolean;
  /** `globalThis.crossOriginIsolated` (COOP + COEP headers on the page). */
  readonly crossOriginIsolated: boolean;
  /** `SharedArrayBuffer` exists (it is only exposed to cross-origin isolated pages). */
  readonly sharedArrayBuffer: boolean;
}

/** One rung the plan excludes before trying it, and why. */
export interface PlannedSkip {
  /** The rung. */
  readonly candidate: BrowserBackendName;
  /** Why (a missing prerequisite). */
  readonly reason: string;
}

/** The rungs to try, the rungs skipped and the wasm build that {@link planBrowserLadder} decides. */
export interface LadderPlan {
  /** The rungs to try, in order. */
  readonly order: readonly BrowserBackendName[];
  /** The rungs excluded before trying, with reasons. */
  readonly skipped: readonly PlannedSkip[];
  /** Whether the wasm rung will use the threaded build (cross-origin isolated + SharedArrayBuffer). */
  readonly wasmThreads: boolean;
}

/** Names of software renderers: SwiftShader, llvmpipe / softpipe (Mesa), Microsoft Basic Render. */
const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render|lavapipe/i;

/**
 * Whether an adapter or renderer is a CPU emulation rather than a GPU: the WebGPU fallback flag,
 * or a renderer name that names a software rasteriser. Its timings are not GPU timings.
 */
export function isSoftwareAdapter(name: string, isFallbackAdapter = false): boolean {
  return isFallbackAdapter || SOFTWARE.test(name);
}

/** Why `rung` cannot run in an environment with `facts`, or undefined when it may be tried. */
export function missingPrerequisite(rung: BrowserBackendName, facts: BrowserFacts): string | undefined {
  switch (rung) {
    case 'webgpu':
      if (!facts.webgpuApi) return 'navigator.gpu is absent (no WebGPU in this browser, or not enabled)';
      if (facts.gpuAdapter === null) return 'navigator.gpu.requestAdapter() returned no adapter';
      return undefined;
    case 'webgl':
      return facts.webglVersion === 0 ? 'no WebGL context could be created' : undefined;
    case 'wasm':
      return facts.wasm ? undefined : 'WebAssembly is absent';
    case 'cpu':
      return undefined;
  }
}

/**
 * The browser ladder for `facts`: which rungs to try in which order, which are skipped and why,
 * and whether wasm will be threaded.
 *
 * @param facts - the probed environment.
 * @param force - a backend to require: the plan is that rung alone (skipped when its
 *   prerequisite is missing, and the loader then throws a BackendError: no silent fallback).
 * @example
 * ```ts
 * import { planBrowserLadder } from 'intern-s1-ts/internals';
 * const plan = planBrowserLadder({
 *   webgpuApi: false, gpuAdapter: null, webglVersion: 2, webglRenderer: 'ANGLE (SwiftShader)',
 *   wasm: true, crossOriginIsolated: true, sharedArrayBuffer: true,
 * });
 * console.log(plan.order, plan.wasmThreads); // => ['webgl', 'wasm', 'cpu'], true
 * ```
 */
export function planBrowserLadder(facts: BrowserFacts, force?: BrowserBackendName): LadderPlan {
  const rungs = force === undefined ? BROWSER_LADDER : [force];
  const order: BrowserBackendName[] = [];
  const skipped: PlannedSkip[] = [];
  for (const rung of rungs) {
    const reason = missingPrerequisite(rung, facts);
    if (reason === undefined) order.push(rung);
    else skipped.push({ candidate: rung, reason });
  }
  return Object.freeze({
    order: Object.freeze(order),
    skipped: Object.freeze(skipped),
    wasmThreads: facts.wasm && facts.crossOriginIsolated && facts.sharedArrayBuffer,
  });
}

/** Whether `name` is a browser backend name (for validating a forced choice). */
export function isBrowserBackendName(name: unknown): name is BrowserBackendName {
  return typeof name === 'string' && (BROWSER_LADDER as readonly string[]).includes(name);
}
