/**
 * The reference's array type: an `ndarray` view over a `Float64Array`, plus the few helpers every
 * reference file uses. Nothing here is clever; index arithmetic is spelled out in the op files.
 *
 * @module
 */
import ndarray from 'ndarray';

/** An n-dimensional float64 array (row-major `ndarray` view). */
export type NDArray = ndarray.NdArray<Float64Array>;

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A new array of the given shape filled with zeros. */
export function zeros(shape: readonly number[]): NDArray {
  return ndarray(new Float64Array(sizeOf(shape)), shape.slice());
}

/** A new array of the given shape filled with `value`. */
export function full(shape: readonly number[], value: number): NDArray {
  return ndarray(new Float64Array(sizeOf(shape)).fill(value), shape.slice());
}

/** Wrap (copy) flat row-major data as an array of the given shape. */
export function fromArray(data: ArrayLike<number>, shape: readonly number[]): NDArray {
  if (data.length !== sizeOf(shape)) {
    throw new Error(`fromArray: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  }
  return ndarray(Float64Array.from(data), shape.slice());
}

/** Row-major flat copy of any (possibly strided) view. */
export function toFlat(a: NDArray): Float64Array {
  const out = new Float64Array(a.size);
  const shape = a.shape;
  const idx = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < out.length; n++) {
    out[n] = a.get(...idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** A contiguous row-major copy, so that `.data[i]` is element i. */
export function contiguous(a: NDArray): NDArray {
  return ndarray(toFlat(a), a.shape.slice());
}

/** Same data, new shape (copies to row-major first). */
export function reshape(a: NDArray, shape: readonly number[]): NDArray {
  return fromArray(toFlat(a), shape);
}

/** Resolve a possibly negative axis. */
export function normAxis(axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Multi-index of flat row-major position `n` in `shape`. */
export function unravel(n: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = n % shape[d];
    n = Math.floor(n / shape[d]);
  }
  return idx;
}

/**
 * Visit every 1-D line of `a` along `axis`: `fn(read, write)` gets the line's values and a writer
 * into `out` (an array of the same shape). This is how the reference spells "along an axis".
 */
export function mapLines(
  a: NDArray, axis: number, fn: (line: Float64Array) => ArrayLike<number>,
): NDArray {
  const ax = normAxis(axis, a.shape.length);
  const out = zeros(a.shape);
  const n = a.shape[ax];
  const outer = a.shape.filter((_, d) => d !== ax);
  const count = sizeOf(outer);
  for (let o = 0; o < count; o++) {
    const rest = unravel(o, outer);
    const at = (i: number) => [...rest.slice(0, ax), i, ...rest.slice(ax)];
    const line = new Float64Array(n);
    for (let i = 0; i < n; i++) line[i] = a.get(...at(i));
    const res = fn(line);
    for (let i = 0; i < n; i++) out.set(...at(i), res[i]);
  }
  return out;
}

/**
 * The broadcast shape of `a` and `b` (NumPy / PyTorch rules: align from the right; each pair of
 * dims must be equal or one of them 1), or `undefined` when they do not broadcast.
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const da = i <= a.length ? a[a.length - i] : 1;
    const db = i <= b.length ? b[b.length - i] : 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[rank - i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * The index into an array of shape `shape` that broadcasting maps the output index `outIdx` to:
 * leading output dims that `shape` lacks are dropped, and dims of size 1 read index 0.
 */
export function broadcastIndex(outIdx: readonly number[], shape: readonly number[]): number[] {
  const skip = outIdx.length - shape.length;
  return shape.map((d, i) => (d === 1 ? 0 : outIdx[skip + i]));
}
