/**
 * Reference shape helpers (spec section 2), float64, one element at a time.
 *
 * @module
 */
import { type NDArray, contiguous, fromArray, full, normAxis, toFlat, unravel, zeros } from '../ndarray.js';

/** Concatenate along `axis`: output position `j` on `axis` comes from the input that covers it. */
export function concat(tensors: NDArray[], axis = 0): NDArray {
  const ax = normAxis(axis, tensors[0].shape.length);
  const shape = tensors[0].shape.slice();
  shape[ax] = tensors.reduce((s, t) => s + t.shape[ax], 0);
  const out = zeros(shape);
  let offset = 0;
  for (const t of tensors) {
    for (let n = 0; n < t.size; n++) {
      const idx = unravel(n, t.shape);
      const at = idx.slice();
      at[ax] += offset;
      out.set(...at, t.get(...idx));
    }
    offset += t.shape[ax];
  }
  return out;
}

/** `y[i...] = x[begin + i...]` for `0 ≤ i < size` (-1: to the end of the axis). */
export function slice(x: NDArray, begin: number[], size?: number[]): NDArray {
  const shape = x.shape.map((d, k) => (size === undefined || size[k] === -1 ? d - begin[k] : size[k]));
  const out = zeros(shape);
  for (let n = 0; n < out.size; n++) {
    const idx = unravel(n, shape);
    out.data[n] = x.get(...idx.map((i, k) => i + begin[k]));
  }
  return out;
}

/** Surround axis k with `paddings[k] = [before, after]` entries equal to `value`. */
export function pad(x: NDArray, paddings: [number, number][], value = 0): NDArray {
  const out = full(x.shape.map((d, k) => paddings[k][0] + d + paddings[k][1]), value);
  for (let n = 0; n < x.size; n++) {
    const idx = unravel(n, x.shape);
    out.set(...idx.map((i, k) => i + paddings[k][0]), x.get(...idx));
  }
  return out;
}

/** Axis k of the result is axis `perm[k]` of `x` (default: reversed axes). */
export function transpose(x: NDArray, perm?: number[]): NDArray {
  const p = perm ?? x.shape.map((_, k) => x.shape.length - 1 - k);
  return contiguous(x.transpose(...p));
}

/** Same row-major elements, new shape; one dim may be -1 (inferred from the element count). */
export function reshape(x: NDArray, shape: number[]): NDArray {
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const out = shape.map((d) => (d === -1 ? x.size / known : d));
  return fromArray(toFlat(x), out);
}

/** `y_i[...] = x[..., i, ...]` for each i along `axis`: the slices of `x`, with that axis removed. */
export function unstack(x: NDArray, axis = 0): NDArray[] {
  const ax = normAxis(axis, x.shape.length);
  const rest = x.shape.filter((_, k) => k !== ax);
  return Array.from({ length: x.shape[ax] }, (_, i) => {
    const begin = x.shape.map((_, k) => (k === ax ? i : 0));
    const size = x.shape.map((d, k) => (k === ax ? 1 : d));
    return reshape(slice(x, begin, size), rest);
  });
}
