/**
 * Input validation shared by the fast-path ops. Each helper throws a typed error whose message
 * names the op and the argument, as DESIGN.md (Errors) requires.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { fmtShape } from './check-values.js';

export { checkFinite, checkIntIn, fmtShape } from './check-values.js';

/** Throw unless `x` is a tf.Tensor. */
export function checkTensor(op: string, arg: string, x: unknown): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new ValueError(`${op}: '${arg}' must be a tf.Tensor, got ${x === null ? 'null' : typeof x}`);
  }
  if (x.isDisposed) throw new ValueError(`${op}: '${arg}' has been disposed`);
}

/** Throw unless `x` is a float32 tensor (the dtype every float op of the fast path computes in). */
export function checkFloat(op: string, arg: string, x: unknown): asserts x is tf.Tensor {
  checkTensor(op, arg, x);
  if (x.dtype !== 'float32') {
    throw new DTypeError(`${op}: '${arg}' must be float32, got ${x.dtype}`);
  }
}

/** Throw unless `x` is an int32 tensor. */
export function checkInt(op: string, arg: string, x: unknown): asserts x is tf.Tensor {
  checkTensor(op, arg, x);
  if (x.dtype !== 'int32') throw new DTypeError(`${op}: '${arg}' must be int32, got ${x.dtype}`);
}

/** Throw unless `x.rank` is one of `ranks`. */
export function checkRank(op: string, arg: string, x: tf.Tensor, ...ranks: number[]): void {
  if (!ranks.includes(x.rank)) {
    const want = ranks.length === 1 ? `${ranks[0]}` : ranks.join(' or ');
    throw new ShapeError(`${op}: '${arg}' must have rank ${want}, got shape ${fmtShape(x.shape)}`);
  }
}

/** Throw unless `x.rank >= min`. */
export function checkMinRank(op: string, arg: string, x: tf.Tensor, min: number): void {
  if (x.rank < min) {
    throw new ShapeError(`${op}: '${arg}' must have rank >= ${min}, got shape ${fmtShape(x.shape)}`);
  }
}

/** Throw when a tensor has no elements (ops define no result for empty input). */
export function checkNonEmpty(op: string, arg: string, x: tf.Tensor): void {
  if (x.size === 0) throw new ShapeError(`${op}: '${arg}' is empty (shape ${fmtShape(x.shape)})`);
}

/**
 * Resolve a possibly negative axis against `rank`; throw a ShapeError naming the op when it is
 * out of range or not an integer.
 */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Throw unless `a.shape[ai] === b.shape[bi]`, naming both arguments. */
export function checkDimEq(
  op: string,
  aName: string, a: readonly number[], ai: number,
  bName: string, b: readonly number[], bi: number,
  what = 'dimension',
): void {
  const ia = ai < 0 ? a.length + ai : ai;
  const ib = bi < 0 ? b.length + bi : bi;
  if (a[ia] !== b[ib]) {
    throw new ShapeError(`${op}: '${bName}' has ${what} ${b[ib]} but '${aName}' has ${a[ia]}`);
  }
}

/**
 * The broadcast shape of `a` and `b` (NumPy / PyTorch rules: align from the right; each pair of
 * dims must be equal or one of them 1). Throws a ShapeError naming the op and both arguments'
 * shapes when they do not broadcast.
 */
export function broadcastShape(
  op: string, aName: string, a: readonly number[], bName: string, b: readonly number[], what = 'shape',
): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const da = i <= a.length ? a[a.length - i] : 1;
    const db = i <= b.length ? b[b.length - i] : 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: '${aName}' ${what} ${fmtShape(a)} and '${bName}' ${what} ${fmtShape(b)} do not broadcast ` +
          `(dims ${da} and ${db} at position ${-i} from the end)`,
      );
    }
    out[rank - i] = da === 1 ? db : da;
  }
  return out;
}
