/**
 * Rotary position embedding in the neox / rotate-half layout (spec 5.1) and the GQA head
 * broadcast `repeat_kv` (spec 2, 3.2).
 *
 * Legend: T tokens, H heads, Hkv kv heads, d head dim, B batch.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { kernelFor } from '../backend/dispatch.js';
import { ShapeError, ValueError } from '../errors.js';
import { checkFinite, checkFloat, checkInt, checkMinRank, checkRank, fmtShape } from '../util/check.js';

/** Largest position whose float32 value is exact (2^24); the tables are built in float32. */
const MAX_POSITION = 2 ** 24;

/**
 * `rotate_half(x) = concat(−x[..., d/2:], x[..., :d/2])` over the last axis (neox layout: lane i
 * pairs with lane i + d/2).
 *
 * @param x - float32 tensor of rank ≥ 1 with an even last dimension.
 * @throws ShapeError for an odd last dimension or a scalar; DTypeError for non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { rotateHalf } from 'intern-s1-ts';
 * rotateHalf(tf.tensor1d([1, 2, 3, 4])).print(); // => [-3, -4, 1, 2]
 * ```
 */
export function rotateHalf(x: tf.Tensor): tf.Tensor {
  checkFloat('rotateHalf', 'x', x);
  checkMinRank('rotateHalf', 'x', x, 1);
  const d = x.shape[x.rank - 1];
  if (d % 2 !== 0) throw new ShapeError(`rotateHalf: 'x' must have an even last dimension, got shape ${fmtShape(x.shape)}`);
  return tf.tidy(() => {
    const [x1, x2] = tf.split(x, 2, -1); // [..., d/2] each
    return tf.concat([tf.neg(x2), x1], -1); // [..., d]
  });
}

/** Positions as plain integers, validated (non-negative integers below 2^24). */
function readPositions(op: string, positions: ArrayLike<number> | tf.Tensor): number[] {
  let vals: number[];
  if (positions instanceof tf.Tensor) {
    checkInt(op, 'positions', positions);
    checkRank(op, 'positions', positions, 1);
    vals = Array.from(positions.dataSync());
  } else {
    vals = Array.from(positions as ArrayLike<number>);
  }
  vals.forEach((p, t) => {
    if (!Number.isInteger(p) || p < 0 || p >= MAX_POSITION) {
      throw new ValueError(`${op}: 'positions[${t}]' must be an integer in [0, 2^24), got ${p}`);
    }
  });
  if (vals.length === 0) throw new ShapeError(`${op}: 'positions' is empty`);
  return vals;
}

/**
 * The inverse frequencies `inv_freq[i] = 1 / θ^(2i/d)` for `i = 0 .. d/2 − 1`, rounded to float32
 * at each step exactly as HF builds them (integer exponents 0, 2, 4, … cast to float32, divided by
 * d in float32, then `θ ** e` and `1 / ·` in float32). Computed in JS so both backends use the same
 * float32 values.
 */
function invFreq(d: number, theta: number): Float32Array {
  const out = new Float32Array(d / 2);
  for (let i = 0; i < d / 2; i++) {
    const e = Math.fround((2 * i) / d);
    out[i] = Math.fround(1 / Math.fround(Math.pow(theta, e)));
  }
  return out;
}

/**
 * `cos φ` and `sin φ` of the float32 angles `φ[t, i] = fround(pos[t] · freqs[i])`, `[T, K]` each
 * (RoPE's and FoPE's tables). `tensor` (cpu, wasm): `tf.cos` / `tf.sin` of the angle tensor.
 * `host` (webgpu, webgl; backend/dispatch.ts, `angleTables`): GPU shaders' sin / cos reduce
 * large arguments poorly, so the angles (up to position · 1 = 3·10⁵ rad) are taken in JS and the
 * tables uploaded; they are small (T · K values) next to the attention they feed.
 *
 * @param pos - positions (validated integers).
 * @param freqs - `[K]` float32 frequencies.
 * @returns `[cos, sin]`, `[T, K]` float32 each.
 */
export function angleCosSin(pos: readonly number[], freqs: Float32Array): [tf.Tensor2D, tf.Tensor2D] {
  const [T, K] = [pos.length, freqs.length];
  if (kernelFor('angleTables') === 'host') {
    const c = new Float32Array(T * K); // [T, K]
    const s = new Float32Array(T * K); // [T, K]
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < K; i++) {
        const phi = Math.fround(Math.fround(pos[t]) * freqs[i]); // the float32 product, as tf.mul
        c[t * K + i] = Math.cos(phi);
        s[t * K + i] = Math.sin(phi);
      }
    }
    return [tf.tensor2d(c, [T, K]), tf.tensor2d(s, [T, K])];
  }
  return tf.tidy(() => {
    const p = tf.tensor2d(Float32Array.from(pos), [T, 1]); // [T, 1]
    const phi = tf.mul(p, tf.tensor2d(freqs, [1, K])); // [T, K], float32 products
    return [tf.cos(phi), tf.sin(phi)] as [tf.Tensor2D, tf.Tensor2D];
  });
}

/**
 * RoPE tables for the given positions (spec 5.1, built in float32 as spec 10.3 requires):
 * `inv_freq[i] = θ^(−2i/d)`, `φ[t, i] = pos[t] · inv_freq[i]` (float32 product),
 * `cos[t] = cos([φ_t, φ_t])`, `sin[t] = sin([φ_t, φ_t])`.
 *
 * $\varphi_{t,i} = \mathrm{pos}_t\, \theta^{-2i/d}$, $\cos_t = [\cos\varphi_t, \cos\varphi_t]$.
 * Reference twin: {@link reference!ropeTables | ropeTables}.
 *
 * @param positions - integer positions (an array or an int32 1-D tensor), each in [0, 2^24).
 * @param headDim - d, a positive even integer.
 * @param theta - the rope base θ (`rope_theta` in config.json), finite and positive.
 * @returns `{ cos, sin }`, each `[T, d]` float32.
 * @throws ValueError for a negative, fractional or too large position, or a bad d / θ.
 * @example
 * ```ts
 * import { ropeTables } from 'intern-s1-ts';
 * const { cos, sin } = ropeTables([0, 1, 2], 8, 10000);
 * console.log(cos.shape, sin.shape); // => [3, 8], [3, 8]
 * ```
 */
export function ropeTables(positions: ArrayLike<number> | tf.Tensor, headDim: number, theta: number): {
  /** `cos([φ_t, φ_t])`, `[T, d]` float32. */
  cos: tf.Tensor;
  /** `sin([φ_t, φ_t])`, `[T, d]` float32. */
  sin: tf.Tensor;
} {
  const pos = readPositions('ropeTables', positions);
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2 !== 0) {
    throw new ValueError(`ropeTables: 'headDim' must be a positive even integer, got ${headDim}`);
  }
  checkFinite('ropeTables', 'theta', theta, true);
  const T = pos.length;
  const [cos, sin] = tf.tidy(() => {
    const [c, s] = angleCosSin(pos, invFreq(headDim, theta)); // [T, d/2] each
    return [tf.concat([c, c], 1), tf.concat([s, s], 1)]; // [T, d] each
  });
  return { cos, sin };
}

/**
 * Apply RoPE: `x' = x ⊙ cos + rotate_half(x) ⊙ sin` (spec 5.1), the same table row for every head
 * of a token.
 *
 * $x'_t = x_t \odot \cos_t + \operatorname{rotate\_half}(x_t) \odot \sin_t$. Reference twin: {@link reference!applyRope | applyRope}.
 *
 * @param x - `[T, H, d]` (or `[B, T, H, d]`) float32.
 * @param cos - `[T, d]` from {@link ropeTables}.
 * @param sin - `[T, d]` from {@link ropeTables}.
 * @returns a tensor shaped like x.
 * @throws ShapeError when the tables do not match x's T and d; DTypeError for non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { applyRope, ropeTables } from 'intern-s1-ts';
 * const q = tf.randomNormal([4, 2, 8]);            // [T, H, d]
 * const { cos, sin } = ropeTables([0, 1, 2, 3], 8, 1e6);
 * console.log(applyRope(q, cos, sin).shape);       // => [4, 2, 8]
 * ```
 */
export function applyRope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  checkFloat('applyRope', 'x', x);
  checkFloat('applyRope', 'cos', cos);
  checkFloat('applyRope', 'sin', sin);
  checkRank('applyRope', 'x', x, 3, 4);
  const [T, , d] = x.shape.slice(x.rank - 3);
  for (const [name, t] of [['cos', cos], ['sin', sin]] as const) {
    if (t.rank !== 2 || t.shape[0] !== T || t.shape[1] !== d) {
      throw new ShapeError(`applyRope: '${name}' must have shape [T, d] = [${T}, ${d}] to match 'x' ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
    }
  }
  if (d % 2 !== 0) throw new ShapeError(`applyRope: 'x' must have an even head dim, got ${d}`);
  return tf.tidy(() => {
    const c = tf.reshape(cos, [T, 1, d]); // [T, 1, d]
    const s = tf.reshape(sin, [T, 1, d]); // [T, 1, d]
    return tf.add(tf.mul(x, c), tf.mul(rotateHalf(x), s)); // [T, H, d]
  });
}

/**
 * Repeat each kv head `nRep` times (HF `repeat_kv`): output head `n = g·nRep + r` is kv head g,
 * so query head n meets kv head `⌊n / nRep⌋` (spec 3.2). `attention` does this implicitly;
 * this op is for code that wants the explicit tensor.
 *
 * @param x - `[S, Hkv, d]` (or `[B, S, Hkv, d]`) float32.
 * @param nRep - positive integer.
 * @returns `[S, Hkv·nRep, d]` (or `[B, S, Hkv·nRep, d]`).
 * @throws ShapeError for a wrong rank; ValueError for a bad nRep.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { repeatKv } from 'intern-s1-ts';
 * const kv = tf.tensor3d([[[1], [2]]]);      // [S=1, Hkv=2, d=1]
 * repeatKv(kv, 2).print();                   // => [[[1], [1], [2], [2]]]
 * ```
 */
export function repeatKv(x: tf.Tensor, nRep: number): tf.Tensor {
  checkFloat('repeatKv', 'x', x);
  checkRank('repeatKv', 'x', x, 3, 4);
  if (!Number.isInteger(nRep) || nRep < 1) throw new ValueError(`repeatKv: 'nRep' must be a positive integer, got ${nRep}`);
  if (nRep === 1) return tf.clone(x);
  const lead = x.shape.slice(0, -2); // [S] or [B, S]
  const [Hkv, d] = x.shape.slice(-2);
  return tf.tidy(() => {
    const e = tf.reshape(x, [...lead, Hkv, 1, d]); // [S, Hkv, 1, d]
    const reps = [...lead.map(() => 1), 1, nRep, 1];
    return tf.reshape(tf.tile(e, reps), [...lead, Hkv * nRep, d]); // [S, Hkv·nRep, d]
  });
}
