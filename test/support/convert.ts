/** Converters between tf.Tensor (float32 fast path) and NDArray (float64 reference). */
import * as tf from '@tensorflow/tfjs';
import ndarray from 'ndarray';
import type { NDArray } from '../../reference/ndarray.js';
import { toFlat } from '../../reference/ndarray.js';

/** A tensor's values as a float64 NDArray of the same shape. */
export function toNd(t: tf.Tensor): NDArray {
  return ndarray(Float64Array.from(t.dataSync()), t.shape.slice());
}

/** An NDArray as a float32 (or int32) tensor. */
export function toTf(a: NDArray, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const flat = toFlat(a);
  return tf.tensor(dtype === 'int32' ? Int32Array.from(flat) : Float32Array.from(flat), a.shape.slice(), dtype);
}

/** Plain data (shape + values) as both forms; values are rounded to float32 first so both see the same numbers. */
export interface Data { shape: number[]; data: Float64Array }

export function dataToNd(d: Data): NDArray {
  return ndarray(Float64Array.from(d.data, Math.fround), d.shape.slice());
}

export function dataToTf(d: Data, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  return tf.tensor(dtype === 'int32' ? Int32Array.from(d.data) : Float32Array.from(d.data), d.shape.slice(), dtype);
}
