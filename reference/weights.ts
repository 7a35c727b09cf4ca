/**
 * What a reference model needs from a checkpoint: float64 arrays by Hugging Face name (spec 9).
 *
 * This is a structural interface: the fast path's weight sources (`memoryWeights`,
 * `openCheckpoint`, ...) satisfy it, so a reference layer can be built from the very object the
 * fast layer loads from, without the reference importing anything from `src/`.
 *
 * @module
 */
import type { NDArray } from './ndarray.js';

/** Float64 tensors by checkpoint name (a structural subset of the fast path's `WeightSource`). */
export interface WeightSource {
  /** The tensor `name` (FP8 dequantised, BF16 decoded) as a float64 array, `[out, in]` layout. */
  array(name: string): NDArray;
  /** Whether `name` exists. */
  has(name: string): boolean;
}

/**
 * A {@link WeightSource} over arrays held in memory (reference-only tests).
 *
 * @example
 * ```ts
 * import { arrayWeights, fromArray } from 'intern-s1-ts/reference';
 * const w = arrayWeights({ 'model.norm.weight': fromArray([1, 1], [2]) });
 * w.array('model.norm.weight').shape; // => [2]
 * ```
 */
export function arrayWeights(arrays: Record<string, NDArray>): WeightSource {
  return {
    array(name: string): NDArray {
      const a = Object.prototype.hasOwnProperty.call(arrays, name) ? arrays[name] : undefined;
      if (!a) throw new Error(`arrayWeights: no tensor '${name}' (${Object.keys(arrays).length} tensors)`);
      return a;
    },
    has: (name: string) => Object.prototype.hasOwnProperty.call(arrays, name),
  };
}
