/**
 * Reference elementwise arithmetic with broadcasting and elementwise math functions (spec
 * section 2), float64, one element at a time.
 *
 * @module
 */
import {
  type NDArray, broadcastIndex, broadcastShapes, fromArray, sizeOf, toFlat, unravel, zeros,
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

/** `y[i] = f(x[i])`. */
function map(x: NDArray, f: (v: number) => number): NDArray {
  return fromArray(toFlat(x).map(f), x.shape);
}

/** `y = a + b` with broadcasting. */
export function add(a: Operand, b: Operand): NDArray {
  return broadcastBinary(a, b, (x, y) => x + y);
}

/** `y = a - b` with broadcasting. */
export function sub(a: Operand, b: Operand): NDArray {
  return broadcastBinary(a, b, (x, y) => x - y);
}

/** `y = a · b` with broadcasting. */
export function mul(a: Operand, b: Operand): NDArray {
  return broadcastBinary(a, b, (x, y) => x * y);
}

/** `y = a / b` with broadcasting (IEEE: `x / 0 = ±Inf`, `0 / 0 = NaN`). */
export function div(a: Operand, b: Operand): NDArray {
  return broadcastBinary(a, b, (x, y) => x / y);
}

/** The elementwise exponential, `y = eˣ`. */
export function exp(x: NDArray): NDArray {
  return map(x, Math.exp);
}

/** `y = ln x` (`ln 0 = -Inf`, NaN for x < 0). */
export function log(x: NDArray): NDArray {
  return map(x, Math.log);
}

/** `y = √x` (NaN for x < 0). */
export function sqrt(x: NDArray): NDArray {
  return map(x, Math.sqrt);
}

/** `y = 1 / √x` (`1/√0 = Inf`, `1/√-0 = -Inf`, NaN for x < 0). */
export function rsqrt(x: NDArray): NDArray {
  return map(x, (v) => 1 / Math.sqrt(v));
}

/** `y = sin x`. */
export function sin(x: NDArray): NDArray {
  return map(x, Math.sin);
}

/** `y = cos x`. */
export function cos(x: NDArray): NDArray {
  return map(x, Math.cos);
}

/** `y = tanh x`. */
export function tanh(x: NDArray): NDArray {
  return map(x, Math.tanh);
}
