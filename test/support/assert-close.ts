/**
 * `assertClose` per DESIGN.md (Numerics and tolerances): `|a - e| <= atol + rtol * |e|`
 * elementwise, shapes equal, NaN only where NaN is expected, ±Inf only where the same ±Inf is
 * expected. (tfjs's own helper treats any two non-finite values as close; this one does not.)
 */
import * as tf from '@tensorflow/tfjs';
import type { NDArray } from '../../reference/ndarray.js';
import { toFlat } from '../../reference/ndarray.js';

export interface Tol { rtol: number; atol: number }

/** Elementwise default for float32 fast vs float64 reference. */
export const ELEMENTWISE: Tol = { rtol: 1e-5, atol: 1e-6 };

/** Tolerance for a reduction (or matmul) over `n` terms: atol grows with sqrt(n). */
export function reductionTol(n: number, base: Tol = ELEMENTWISE): Tol {
  return { rtol: base.rtol * 4, atol: base.atol * 4 * Math.sqrt(Math.max(1, n)) };
}

type Arrayish = tf.Tensor | NDArray | { shape: readonly number[]; data: ArrayLike<number> };

function unpack(x: Arrayish): { shape: number[]; data: ArrayLike<number> } {
  if (x instanceof tf.Tensor) return { shape: x.shape.slice(), data: x.dataSync() };
  if ('stride' in x) return { shape: (x as NDArray).shape.slice(), data: toFlat(x as NDArray) };
  return { shape: x.shape.slice(), data: x.data };
}

/** Throws an Error describing the worst mismatches; returns the max abs error otherwise. */
export function assertClose(actual: Arrayish, expected: Arrayish, tol: Tol = ELEMENTWISE, what = ''): number {
  const a = unpack(actual);
  const e = unpack(expected);
  const tag = what ? `${what}: ` : '';
  if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) {
    throw new Error(`${tag}shape [${a.shape}] != expected [${e.shape}]`);
  }
  let worst = 0;
  const bad: string[] = [];
  for (let i = 0; i < e.data.length; i++) {
    const av = a.data[i];
    const ev = e.data[i];
    let ok: boolean;
    if (Number.isNaN(ev)) ok = Number.isNaN(av);
    else if (!Number.isFinite(ev)) ok = av === ev;
    else if (!Number.isFinite(av)) ok = false;
    else {
      const err = Math.abs(av - ev);
      worst = Math.max(worst, err);
      ok = err <= tol.atol + tol.rtol * Math.abs(ev);
    }
    if (!ok && bad.length < 5) bad.push(`[${i}] got ${av}, expected ${ev}`);
    else if (!ok) bad.push('');
  }
  if (bad.length) {
    throw new Error(
      `${tag}${bad.length} of ${e.data.length} elements differ (rtol ${tol.rtol}, atol ${tol.atol}): ` +
        bad.filter(Boolean).join('; '),
    );
  }
  return worst;
}

/** Relative error `||a - e|| / ||e||` (whole blocks and models: must be <= 1e-4 in float32). */
export function relError(actual: Arrayish, expected: Arrayish): number {
  const a = unpack(actual);
  const e = unpack(expected);
  if (a.data.length !== e.data.length) throw new Error(`relError: sizes ${a.data.length} != ${e.data.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.data.length; i++) {
    num += (a.data[i] - e.data[i]) ** 2;
    den += e.data[i] ** 2;
  }
  if (!Number.isFinite(num)) return Infinity;
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/** Assert shapes equal and relative error <= `max` (default 1e-4). */
export function assertRelClose(actual: Arrayish, expected: Arrayish, max = 1e-4, what = ''): number {
  const a = unpack(actual);
  const e = unpack(expected);
  if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) {
    throw new Error(`${what ? what + ': ' : ''}shape [${a.shape}] != expected [${e.shape}]`);
  }
  const r = relError(a, e);
  if (!(r <= max)) throw new Error(`${what ? what + ': ' : ''}relative error ${r} > ${max}`);
  return r;
}
