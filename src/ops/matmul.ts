/**
 * Matrix products (spec section 2): `matmul` with batch broadcasting and transposes, `linear`
 * (`x·Wᵀ + b` with a PyTorch `[out, in]` weight) and `dense` (`x·W' + b` with a pre-transposed
 * `[in, out]` weight, the fast form on wasm).
 *
 * Shape legend: B batch (any number of leading dims), M rows, K inner, N columns.
 *
 * How the fast path is written for wasm (DESIGN.md, Backends; the choice per backend is the `matmul`
 * row of backend/dispatch.ts): tfjs-wasm 4.22 serves only 2-D,
 * untransposed, batch-1 `matMul` with XNNPACK (~16-30 GFLOP/s); a transposed or batched product
 * falls to ~1-2 GFLOP/s. So on wasm every product here is lowered to 2-D untransposed ones:
 * a transpose flag becomes an explicit `tf.transpose` (O(size) memory traffic against O(M·K·N)
 * work: 10x faster at 512), a batched `a` times one matrix `b` becomes a single `[B·M, K]·[K, N]`
 * product, and other batched products become one 2-D product per batch element. The 2-D product's
 * gradient (`dA = dY·Bᵀ`, `dB = Aᵀ·dY`) is written with explicit transposes too (a `customGrad`),
 * so training steps stay on the fast kernel. Other backends call `tf.matMul` with its transpose
 * flags. On every backend a batched `a` times a single matrix `b` is folded into one 2-D product,
 * and operands whose batch shapes differ from the output's are broadcast explicitly first
 * (tfjs 4.22's BatchMatMul gives wrong values on cpu for `[2, 1]` against `[3]` and its gradient
 * does not sum over broadcast dims; both are covered by tests).
 *
 * wasm's XNNPACK also returns garbage when the inner dimension K is 0; every function here returns
 * the mathematically correct zeros for K = 0 on every backend (as PyTorch does).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { PER_SLICE_MIN_MACS, kernelFor } from '../backend/dispatch.js';
import { splitMatMul2d, splitPool } from '../backend/split.js';
import { ShapeError } from '../errors.js';
import {
  broadcastShape, checkFloat, checkMinRank, checkRank, fmtShape,
} from '../util/check.js';
import { unstack } from './shape.js';

/** Transpose flags of the two operands of {@link matmul}. */
export interface MatmulOptions {
  /** Use the transpose of the last two dims of `a` (`a: [..., K, M]`). Default false. */
  transposeA?: boolean;
  /** Use the transpose of the last two dims of `b` (`b: [..., N, K]`). Default false. */
  transposeB?: boolean;
}

/** Whether the active backend runs the `lowered-2d` products (backend/dispatch.ts says which and why). */
const lowered = (): boolean => kernelFor('matmul') === 'lowered-2d';

/** Swap the last two dims: `[..., r, c]` → `[..., c, r]`. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

/**
 * 2-D untransposed product whose gradient also uses 2-D untransposed products (explicit
 * transposes), so that wasm's fast kernel serves the backward pass as well.
 */
const matMul2dFastGrad = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b), // [M, N]
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [a0, b0] = saved as tf.Tensor2D[];
      const [M, K] = a0.shape;
      const N = b0.shape[1];
      // dA = dY·Bᵀ transposes B [K, N] (a weight, large) or, as (B·dYᵀ)ᵀ, dY and the result
      // (activations, small at training batch sizes): whichever moves fewer values.
      const dA = K * N <= M * N + M * K ? tf.matMul(dy, tf.transpose(b0)) : tf.transpose(tf.matMul(b0, tf.transpose(dy))); // [M, K]
      return [dA, tf.matMul(tf.transpose(a0), dy)]; // [M, K], [K, N]
    },
  };
}) as never) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * `a [M, K] · b [K, N]` → `[M, N]` on the fastest kernel of the active backend; a large product at
 * inference is split by rows across the thread pool (backend/split.ts: same rows, same kernel).
 */
function matMul2d(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.shape[1] === 0) return tf.zeros([a.shape[0], b.shape[1] as number]);
  const pool = splitPool(a.shape[0], a.shape[1] as number, b.shape[1] as number);
  if (pool) return splitMatMul2d(pool, a, b);
  return lowered() ? matMul2dFastGrad(a as tf.Tensor2D, b as tf.Tensor2D) : tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
}

/** Flat row-major index of multi-index `idx` in `shape`, with broadcasting (dims of 1 read 0). */
function broadcastFlat(idx: readonly number[], shape: readonly number[]): number {
  const skip = idx.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + (shape[d] === 1 ? 0 : idx[skip + d]);
  return flat;
}

/** One 2-D product per output batch element (the wasm lowering of a batched product). */
function perSliceProducts(a: tf.Tensor, b: tf.Tensor, batch: number[]): tf.Tensor {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.rank - 1];
  const as = unstack(tf.reshape(a, [-1, m, k])); // Ba × [M, K] (differentiable also for Ba = 1)
  const bs = unstack(tf.reshape(b, [-1, k, n])); // Bb × [K, N]
  const count = batch.reduce((p, d) => p * d, 1);
  const outs: tf.Tensor[] = [];
  const idx = new Array<number>(batch.length).fill(0);
  for (let o = 0; o < count; o++) {
    const ia = broadcastFlat(idx, a.shape.slice(0, -2));
    const ib = broadcastFlat(idx, b.shape.slice(0, -2));
    outs.push(matMul2d(as[ia], bs[ib])); // [M, N]
    for (let d = batch.length - 1; d >= 0 && ++idx[d] === batch[d]; d--) idx[d] = 0;
  }
  return tf.reshape(tf.stack(outs), [...batch, m, n]); // [..., M, N]
}

/**
 * Broadcast `x [...xb, r, c]` to `[...batch, r, c]` unless its batch shape already is `batch`.
 * tfjs's BatchMatMul handles unequal batch shapes badly: its cpu kernel picks the slice for
 * output batch `i` as `i mod batchSize(operand)` (wrong for `[2, 1]` against `[3]`), and its
 * gradient returns the full broadcast shape instead of summing back to the operand's shape. An
 * explicit `broadcastTo` (whose gradient sums) fixes both, at the cost of a copy.
 */
function fullBatch(x: tf.Tensor, batch: number[]): tf.Tensor {
  const xb = x.shape.slice(0, -2);
  if (xb.length === batch.length && xb.every((d, i) => d === batch[i])) return x;
  return tf.broadcastTo(x, [...batch, ...x.shape.slice(-2)]);
}

/**
 * `b` is a single matrix (its batch dims are all 1): fold `a`'s batch dims into rows and run one
 * 2-D product `[B·M, K]·[K, N]`, on every backend (no copy of `b`, one kernel call).
 */
function foldedProduct(a: tf.Tensor, b: tf.Tensor, o: Required<MatmulOptions>, batch: number[]): tf.Tensor {
  const a2 = o.transposeA ? swapLast(a) : a; // [..., M, K]
  const [m, k] = a2.shape.slice(-2);
  const rows = a2.size / k;
  const b2 = tf.reshape(b, [b.shape[b.rank - 2], b.shape[b.rank - 1]]) as tf.Tensor2D; // [K, N] or [N, K]
  const n = b2.shape[o.transposeB ? 0 : 1];
  const y = lowered()
    ? matMul2d(tf.reshape(a2, [rows, k]), o.transposeB ? tf.transpose(b2) : b2) // [B·M, N]
    : tf.matMul(tf.reshape(a2, [rows, k]) as tf.Tensor2D, b2, false, o.transposeB); // [B·M, N]
  return tf.reshape(y, [...batch, m, n]); // [..., M, N]
}

/** The wasm lowering of a batched {@link matmul}: explicit transposes, then 2-D products. */
function matmulWasm(a: tf.Tensor, b: tf.Tensor, o: Required<MatmulOptions>, batch: number[]): tf.Tensor {
  const a2 = o.transposeA ? swapLast(a) : a; // [..., M, K]
  const b2 = o.transposeB ? swapLast(b) : b; // [..., K, N]
  const [m, k] = a2.shape.slice(-2);
  const n = b2.shape[b2.rank - 1];
  // Below PER_SLICE_MIN_MACS multiply-adds per slice the batched kernel wins (backend/dispatch.ts).
  if (m * k * n < PER_SLICE_MIN_MACS) return tf.matMul(fullBatch(a2, batch), fullBatch(b2, batch));
  return perSliceProducts(a2, b2, batch);
}

/**
 * Matrix product with batch broadcasting, as `torch.matmul` for operands of rank ≥ 2.
 *
 * `y[..., i, j] = Σ_p A[..., i, p] · B[..., p, j]` with `A = transposeA ? aᵀ : a` and
 * `B = transposeB ? bᵀ : b` (transposing the last two dims).
 *
 * Shapes: `a [...Ba, M, K]` (or `[...Ba, K, M]` with `transposeA`), `b [...Bb, K, N]` (or
 * `[...Bb, N, K]` with `transposeB`) → `[...broadcast(Ba, Bb), M, N]`. The batch dims broadcast
 * by NumPy / PyTorch rules (aligned from the right, each pair equal or one of them 1); rank-1
 * operands are not accepted (use {@link dense} for a vector times a matrix).
 *
 * On wasm the product is lowered to 2-D untransposed products (see the module comment); for a
 * batched `a` and a single matrix `b` this is one product, as fast as a raw 2-D `tf.matMul`.
 *
 * @param a - float32, rank ≥ 2.
 * @param b - float32, rank ≥ 2.
 * @param opts - `transposeA`, `transposeB`.
 * @throws ShapeError for rank < 2, mismatched inner dims (`matmul: 'b' has inner dimension 96 but
 *   'a' has 64`) or batch dims that do not broadcast; DTypeError for non-float32 inputs.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { matmul } from 'intern-s1-ts';
 * const a = tf.ones([2, 3, 4]);   // [B, M, K]
 * const b = tf.ones([5, 4]);      // [N, K]
 * const y = matmul(a, b, { transposeB: true }); // [2, 3, 5], every entry 4
 * console.log(y.shape);
 * ```
 */
export function matmul(a: tf.Tensor, b: tf.Tensor, opts: MatmulOptions = {}): tf.Tensor {
  checkFloat('matmul', 'a', a);
  checkFloat('matmul', 'b', b);
  checkMinRank('matmul', 'a', a, 2);
  checkMinRank('matmul', 'b', b, 2);
  const o = { transposeA: opts.transposeA ?? false, transposeB: opts.transposeB ?? false };
  const ka = a.shape[a.rank - (o.transposeA ? 2 : 1)];
  const kb = b.shape[b.rank - (o.transposeB ? 1 : 2)];
  const m = a.shape[a.rank - (o.transposeA ? 1 : 2)];
  const n = b.shape[b.rank - (o.transposeB ? 2 : 1)];
  if (ka !== kb) throw new ShapeError(`matmul: 'b' has inner dimension ${kb} but 'a' has ${ka}`);
  const batch = broadcastShape('matmul', 'a', a.shape.slice(0, -2), 'b', b.shape.slice(0, -2), 'batch shape');
  return tf.tidy(() => {
    if (ka === 0) return tf.zeros([...batch, m, n]); // wasm's XNNPACK returns garbage for K = 0
    if (b.size === ka * n) return foldedProduct(a, b, o, batch);
    if (lowered()) return matmulWasm(a, b, o, batch);
    return tf.matMul(fullBatch(a, batch), fullBatch(b, batch), o.transposeA, o.transposeB);
  });
}

/** Check `x [..., in]`, a rank-2 weight and an optional `[out]` bias for linear/dense. */
function checkAffine(
  op: string, x: tf.Tensor, w: tf.Tensor, wName: string, inAxis: number, bias: tf.Tensor | undefined,
): void {
  checkFloat(op, 'x', x);
  checkFloat(op, wName, w);
  checkMinRank(op, 'x', x, 1);
  checkRank(op, wName, w, 2);
  const inX = x.shape[x.rank - 1];
  const inW = w.shape[inAxis];
  if (inX !== inW) {
    throw new ShapeError(`${op}: '${wName}' ${fmtShape(w.shape)} has input dimension ${inW} but 'x' has ${inX}`);
  }
  if (bias !== undefined) {
    checkFloat(op, 'bias', bias);
    const out = w.shape[1 - inAxis];
    if (bias.rank !== 1 || bias.shape[0] !== out) {
      throw new ShapeError(`${op}: 'bias' must have shape [${out}] (the output dimension of '${wName}'), got ${fmtShape(bias.shape)}`);
    }
  }
}

/**
 * Affine map with a pre-transposed weight: `y = x·W' + b`, where `W' = Wᵀ` is stored `[in, out]`.
 *
 * Shapes: `x [..., in]`, `weightT [in, out]`, `bias [out]` → `[..., out]`. The leading dims of
 * `x` are folded into rows, so this is one 2-D untransposed `tf.matMul`: the fast form on wasm.
 * Models transpose each `[out, in]` checkpoint weight once at load and call `dense` (spec section
 * 2: `linear(x, W[out,in], b?)`; DESIGN.md, Backends).
 *
 * @param x - float32, rank ≥ 1, last dim `in`.
 * @param weightT - float32 `[in, out]`.
 * @param bias - optional float32 `[out]`.
 * @throws ShapeError when `x`'s last dim differs from `weightT`'s first, or the bias length
 *   differs from `out`; DTypeError for non-float32 inputs.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { dense } from 'intern-s1-ts';
 * const w = tf.tensor2d([[1, 0, 2], [0, 1, 3]]); // [in 2, out 3]
 * dense(tf.tensor2d([[1, 2]]), w, tf.tensor1d([0, 0, 1])).print(); // => [[1, 2, 9]]
 * ```
 */
export function dense(x: tf.Tensor, weightT: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  checkAffine('dense', x, weightT, 'weightT', 0, bias);
  const [inDim, outDim] = weightT.shape;
  return tf.tidy(() => {
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const y = matMul2d(tf.reshape(x, [rows, inDim]), weightT); // [rows, out]
    const yb = bias ? tf.add(y, bias) : y; // [rows, out]
    return tf.reshape(yb, [...x.shape.slice(0, -1), outDim]); // [..., out]
  });
}

/**
 * Affine map with a PyTorch-layout weight: `y = x·Wᵀ + b` (`torch.nn.functional.linear`).
 *
 * Shapes: `x [..., in]`, `weight [out, in]`, `bias [out]` → `[..., out]` (spec section 2: all
 * weights are stored `[out, in]`).
 *
 * On wasm this transposes `weight` on every call (wasm's transposed product is ~10x slower than
 * transposing first); models should transpose once at load and call {@link dense} instead. On
 * other backends it is one `tf.matMul(x, weight, false, true)`.
 *
 * @param x - float32, rank ≥ 1, last dim `in`.
 * @param weight - float32 `[out, in]`.
 * @param bias - optional float32 `[out]`.
 * @throws ShapeError when `x`'s last dim differs from `weight`'s second, or the bias length differs
 *   from `out`; DTypeError for non-float32 inputs.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { linear } from 'intern-s1-ts';
 * const w = tf.tensor2d([[1, 0], [0, 1], [2, 3]]); // [out 3, in 2]
 * linear(tf.tensor2d([[1, 2]]), w).print(); // => [[1, 2, 8]]
 * ```
 */
export function linear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  checkAffine('linear', x, weight, 'weight', 1, bias);
  const [outDim, inDim] = weight.shape;
  if (lowered() || inDim === 0) return tf.tidy(() => dense(x, tf.transpose(weight), bias));
  return tf.tidy(() => {
    const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const y = tf.matMul(tf.reshape(x, [rows, inDim]) as tf.Tensor2D, weight as tf.Tensor2D, false, true); // [rows, out]
    const yb = bias ? tf.add(y, bias) : y; // [rows, out]
    return tf.reshape(yb, [...x.shape.slice(0, -1), outDim]); // [..., out]
  });
}
