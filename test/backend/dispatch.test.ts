/** backend/dispatch.ts: the per-backend implementation table and its lookup. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DISPATCH, kernelFor } from '../../src/backend/dispatch.js';
import { forEachBackend } from '../support/backends.js';

describe('DISPATCH', () => {
  it('names the measured choices per backend', () => {
    expect(kernelFor('matmul', 'wasm')).toBe('lowered-2d');
    expect(kernelFor('matmul', 'cpu')).toBe('native');
    expect(kernelFor('matmul', 'tensorflow')).toBe('native');
    expect(kernelFor('moeCombine', 'wasm')).toBe('host');
    expect(kernelFor('moeCombine', 'cpu')).toBe('host');
    expect(kernelFor('moeCombine', 'tensorflow')).toBe('tensor');
    expect(kernelFor('equalBlockAttention', 'wasm')).toBe('host-rows');
    expect(kernelFor('equalBlockAttention', 'webgpu')).toBe('batched');
    // GPU shaders need not follow IEEE 754 for NaN / ±Inf (measured in Chromium, test/browser-suite).
    expect(kernelFor('nonFinite', 'webgpu')).toBe('ieee'); // masks misbehave there: see DISPATCH
    expect(kernelFor('nonFinite', 'webgl')).toBe('guarded');
    expect(kernelFor('nonFinite', 'wasm')).toBe('ieee');
    expect(kernelFor('nonFinite', 'cpu')).toBe('ieee');
    // GPU sin / cos of large angles are imprecise: RoPE / FoPE tables are computed in JS there.
    expect(kernelFor('angleTables', 'webgl')).toBe('host');
    expect(kernelFor('angleTables', 'wasm')).toBe('tensor');
  });
  it('falls back to the default for unknown backends, also for names of Object.prototype', () => {
    for (const op of Object.keys(DISPATCH) as (keyof typeof DISPATCH)[]) {
      expect(kernelFor(op, 'some-future-backend')).toBe(DISPATCH[op].default);
      expect(kernelFor(op, 'constructor')).toBe(DISPATCH[op].default);
      expect(kernelFor(op, 'toString')).toBe(DISPATCH[op].default);
    }
  });
});

forEachBackend((backend) => {
  it('looks up the active backend by default', () => {
    expect(tf.getBackend()).toBe(backend);
    expect(kernelFor('matmul')).toBe(kernelFor('matmul', backend));
  });
});
