/**
 * Reference elementwise arithmetic with broadcasting (spec section 2): `add` and `mul`, float64,
 * one element at a time.
 *
 * @module
 */
import {
  type NDArray, broadcastIndex, broadcastShapes, fromArray, sizeOf, unravel, zeros,
} from '../ndarray.js';

/** An array or a plain number (a 0-d array). */
export type Operand = NDArray | number;

const asArray = (v: Operand): NDArray => (typeof v === 'number' ? fromArray([v], []) : v);

/**
 * `y[i] = f(a[ia], b[ib])`, where `i` runs over the broadcast shape and `ia`, `ib` are the indices
 * broadcasting maps it to (NumPy rules: align from the right, dims of size 1 repeat).
 */
function broadcastBinary(a: Operand, b: Operand, f: (x: number, y: number) => number): NDArray {
  const A = asArray(a);
  const B = asArray(b);
  const shape = broadcastShapes(A.shape, B.shape);
  if (!shape) throw new Error(`shapes [${A.shape}] and [${B.shape}] do not broadcast`);
  const out = zeros(shape);
  for (let n = 0; n < sizeOf(shape); n++) {
    const idx = unravel(n, shape);
    out.data[n] = f(A.get(...broadcastIndex(idx, A.shape)), B.get(...broadcastIndex(idx, B.shape)));
  }
  return out;
}

/** `y = a + b` with broadcasting. */
export function add(a: Operand, b: Operand): NDArray {
  return broadcastBinary(a, b, (x, y) => x + y);
}

/** `y = a · b` with broadcasting. */
export function mul(a: Operand, b: Operand): NDArray {
  return broadcastBinary(a, b, (x, y) => x * y);
}
