/**
 * Loading helpers for modules built from a {@link WeightSource}: shape-checked tensors by
 * checkpoint name, and all-or-nothing construction (a failed load disposes what it had already
 * loaded, so a bad checkpoint never leaves half-loaded tensors behind: DESIGN.md, Errors).
 *
 * Shared by every model family (InternViT, the Pro vision tower, the Qwen3 text stack, the
 * time-series tower) and `Linear.fromWeights`. Internal: not part of the public API.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors.js';
import type { Disposable } from '../nn/linear.js';
import { checkShape } from './weight-names.js';
import type { WeightSource } from './weights.js';

export { join } from './weight-names.js';

/**
 * Throw a ShapeError naming `op` and the tensor unless checkpoint tensor `name` has shape `want`
 * (`op: 'name' has shape [a, b], expected [c, d]`). A missing tensor is the weight source's
 * CheckpointError (it names the tensor and the location).
 */
export function expectShape(op: string, weights: WeightSource, name: string, want: readonly number[]): void {
  checkShape(op, name, weights.info(name).shape, want);
}

/** The checkpoint tensor `name` (float32), after checking that its shape is `want`. */
export function loadTensor(op: string, weights: WeightSource, name: string, want: readonly number[]): tf.Tensor {
  expectShape(op, weights, name, want);
  return weights.tensor(name);
}

/** Throw a CheckpointError naming `op` when `name` is present although the config says it is not used. */
export function rejectUnused(op: string, weights: WeightSource, name: string, why: string): void {
  if (weights.has(name)) throw new CheckpointError(`${op}: '${name}' is in the checkpoint but ${why}`);
}

/**
 * Run `build(own)`, where `own(x)` registers a freshly loaded part and returns it. If `build`
 * throws, every registered part is disposed before the error propagates.
 */
export function loadAll<T>(build: (own: <D extends Disposable | tf.Tensor>(x: D) => D) => T): T {
  const owned: (Disposable | tf.Tensor)[] = [];
  try {
    return build((x) => {
      owned.push(x);
      return x;
    });
  } catch (e) {
    for (const x of owned) x.dispose();
    throw e;
  }
}
