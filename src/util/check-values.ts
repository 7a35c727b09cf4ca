/**
 * Validation of plain values (numbers, shapes as arrays), with no tensors and no tfjs, so that
 * the pure-data modules shared with the reference (image and time-series plans) can use it.
 * src/util/check.ts re-exports these beside its tensor checks.
 *
 * @module
 */
import { ValueError } from '../errors.js';

/** Format a shape as `[2, 3, 4]` for error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throw unless `v` is an integer within [lo, hi]. */
export function checkIntIn(op: string, arg: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new ValueError(`${op}: '${arg}' must be an integer in [${lo}, ${hi}], got ${v}`);
  }
}

/** Throw unless `v` is a finite number (> 0 when `positive`). */
export function checkFinite(op: string, arg: string, v: number, positive = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
    throw new ValueError(`${op}: '${arg}' must be a finite${positive ? ' positive' : ''} number, got ${v}`);
  }
}
