/**
 * The browser backend ladder (issue 14, item 2), decided in Node from injected environment facts:
 * order webgpu, webgl, wasm, cpu; each missing prerequisite skipped with its reason; wasm threaded
 * only on a cross-origin isolated page; a forced backend tried alone, never a silent fallback; the
 * adapter named and flagged when it is a software renderer. `initBackend` of the browser entry is
 * run with an injected probe and loaders (no browser runs here), the cpu rung for real.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend as initBrowserBackend, wasmCdnPath } from '../../src/backend/browser.js';
import { initBackend } from '../../src/backend/index.js';
import { type BrowserFacts, isSoftwareAdapter, planBrowserLadder } from '../../src/backend/ladder.js';
import { BackendError } from '../../src/errors.js';

const GPU_PAGE: BrowserFacts = {
  webgpuApi: true, gpuAdapter: { name: 'NVIDIA GeForce RTX 4090', isFallbackAdapter: false }, webglVersion: 2,
  webglRenderer: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 4090 Direct3D11 vs_5_0 ps_5_0)', wasm: true,
  crossOriginIsolated: true, sharedArrayBuffer: true,
};

describe('planBrowserLadder', () => {
  it('a page with everything tries webgpu, webgl, wasm (threaded), cpu in that order', () => {
    expect(planBrowserLadder(GPU_PAGE)).toEqual({ order: ['webgpu', 'webgl', 'wasm', 'cpu'], skipped: [], wasmThreads: true });
  });

  it('each missing prerequisite skips its rung with the reason', () => {
    const plan = planBrowserLadder({ ...GPU_PAGE, webgpuApi: false, gpuAdapter: null, webglVersion: 0, webglRenderer: '' });
    expect(plan.order).toEqual(['wasm', 'cpu']);
    expect(plan.skipped).toEqual([
      { candidate: 'webgpu', reason: 'navigator.gpu is absent (no WebGPU in this browser, or not enabled)' },
      { candidate: 'webgl', reason: 'no WebGL context could be created' },
    ]);
    const noAdapter = planBrowserLadder({ ...GPU_PAGE, gpuAdapter: null });
    expect(noAdapter.skipped).toEqual([{ candidate: 'webgpu', reason: 'navigator.gpu.requestAdapter() returned no adapter' }]);
    expect(planBrowserLadder({ ...GPU_PAGE, wasm: false }).order).toEqual(['webgpu', 'webgl', 'cpu']);
  });

  it('wasm is threaded only when the page is cross-origin isolated and has SharedArrayBuffer', () => {
    expect(planBrowserLadder({ ...GPU_PAGE, crossOriginIsolated: false }).wasmThreads).toBe(false);
    expect(planBrowserLadder({ ...GPU_PAGE, sharedArrayBuffer: false }).wasmThreads).toBe(false);
    expect(planBrowserLadder({ ...GPU_PAGE, wasm: false }).wasmThreads).toBe(false);
  });

  it('a forced backend is the only rung; skipped when its prerequisite is missing', () => {
    expect(planBrowserLadder(GPU_PAGE, 'webgl').order).toEqual(['webgl']);
    const p = planBrowserLadder({ ...GPU_PAGE, webgpuApi: false }, 'webgpu');
    expect(p.order).toEqual([]);
    expect(p.skipped.map((s) => s.candidate)).toEqual(['webgpu']);
  });

  it('software adapters are recognised by the fallback flag or the renderer name', () => {
    for (const n of ['Google SwiftShader', 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)', 'llvmpipe (LLVM 15.0.6, 256 bits)', 'Microsoft Basic Render Driver']) {
      expect(isSoftwareAdapter(n), n).toBe(true);
    }
    expect(isSoftwareAdapter('NVIDIA GeForce RTX 4090')).toBe(false);
    expect(isSoftwareAdapter('Apple M2', true)).toBe(true);
  });
});

describe('initBackend of the browser entry (injected probe and loaders)', () => {
  afterAll(async () => {
    await initBackend('cpu'); // leave the Node ladder's choice active for later tests
  });
  const failing = (msg: string) => async () => {
    throw new Error(`${msg}\nsecond line`);
  };

  it('falls down the ladder past rungs that fail to load, recording each reason; cpu loads for real', async () => {
    const info = await initBrowserBackend(undefined, {
      probe: async () => ({ ...GPU_PAGE, crossOriginIsolated: false, gpuAdapter: { name: 'SwiftShader', isFallbackAdapter: true } }),
      loaders: { webgpu: failing('webgpu kernels failed'), webgl: failing('webgl context lost'), wasm: failing('wasm fetch 404') },
    });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.forced).toBe(false);
    expect(info.attempts).toEqual([
      { candidate: 'webgpu', status: 'skipped', reason: 'webgpu kernels failed' },
      { candidate: 'webgl', status: 'skipped', reason: 'webgl context lost' },
      { candidate: 'wasm', status: 'skipped', reason: 'wasm fetch 404' },
      { candidate: 'cpu', status: 'active' },
    ]);
  });

  it('reports the WebGPU adapter and whether it is software; later rungs are not tried', async () => {
    const loaded: string[] = [];
    const info = await initBrowserBackend('webgpu', {
      probe: async () => ({ ...GPU_PAGE, gpuAdapter: { name: 'SwiftShader', isFallbackAdapter: true } }),
      loaders: { webgpu: async () => { loaded.push('webgpu'); await tf.setBackend('cpu'); } },
    });
    expect(loaded).toEqual(['webgpu']);
    expect(info.adapter).toEqual({ name: 'SwiftShader', software: true });
    expect(info.forced).toBe(true);
    expect(info.attempts).toEqual([{ candidate: 'webgpu', status: 'active' }]);
    const all = await initBrowserBackend(undefined, {
      probe: async () => GPU_PAGE,
      loaders: { webgpu: failing('no'), webgl: async () => { await tf.setBackend('cpu'); } },
    });
    expect(all.backend).toBe('webgl');
    expect(all.adapter).toEqual({ name: GPU_PAGE.webglRenderer, software: false });
    expect(all.attempts.map((a) => a.status)).toEqual(['skipped', 'active', 'not-tried', 'not-tried']);
  });

  it('a forced backend that cannot run is a BackendError with the reason; an unknown name too', async () => {
    const noGpu = async () => ({ ...GPU_PAGE, webgpuApi: false, gpuAdapter: null });
    await expect(initBrowserBackend('webgpu', { probe: noGpu })).rejects.toThrow(BackendError);
    await expect(initBrowserBackend('webgpu', { probe: noGpu })).rejects.toThrow(/webgpu: navigator\.gpu is absent/);
    await expect(initBrowserBackend('wasm', { probe: async () => GPU_PAGE, loaders: { wasm: failing('404 tfjs-backend-wasm-simd.wasm') } }))
      .rejects.toThrow(/wasm: 404 tfjs-backend-wasm-simd\.wasm/);
    await expect(initBrowserBackend('tensorflow' as never, { probe: async () => GPU_PAGE })).rejects.toThrow(/must be one of webgpu, webgl, wasm, cpu/);
  });

  it('wasm binaries: the default CDN path is the installed tfjs-backend-wasm version', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/package.json', import.meta.url), 'utf8'));
    expect(wasmCdnPath()).toBe(`https://cdn.jsdelivr.net/npm/@tensorflow/tfjs-backend-wasm@${version}/dist/`);
    expect(wasmCdnPath('4.21.0')).toMatch(/@4\.21\.0\/dist\/$/);
  });
});
