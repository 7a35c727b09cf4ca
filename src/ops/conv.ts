/**
 * Convolutions in PyTorch layouts (spec section 2): `conv1d` (NCL, OIK), `conv2d` (NCHW, OIHW),
 * and `patchEmbed2d` for stride = kernel (InternViT's 14×14 stride-14 patch embedding, spec 6.1.2).
 *
 * All three are lowered to im2col + one 2-D untransposed `tf.matMul` (the product tfjs-wasm runs
 * fast), built from slice / pad / reshape / transpose only. So they are differentiable on every
 * backend, including wasm, whose `Conv2DBackpropFilter` kernel is missing.
 *
 * Legend: B batch, C / Cin input channels, Cout output channels, L length, H×W image, k kernel,
 * Lo / Ho×Wo output size, P patches.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../errors.js';
import { checkFloat, checkNonEmpty, checkRank, fmtShape } from '../util/check.js';
import type { Conv1dOptions, Conv2dOptions } from './options.js';

export type { Conv1dOptions, Conv2dOptions } from './options.js';



function intOpt(op: string, name: string, v: number | undefined, dflt: number, min: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < min) {
    throw new ValueError(`${op}: '${name}' must be an integer >= ${min}, got ${x}`);
  }
  return x;
}

function pairOpt(op: string, name: string, v: number | readonly [number, number] | undefined, dflt: number, min: number): [number, number] {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw new ValueError(`${op}: '${name}' must be a number or a pair, got [${v}]`);
    return [intOpt(op, name, v[0], dflt, min), intOpt(op, name, v[1], dflt, min)];
  }
  const x = intOpt(op, name, v as number | undefined, dflt, min);
  return [x, x];
}

function checkConvArgs(op: string, x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | null | undefined, rank: number): void {
  checkFloat(op, 'x', x);
  checkFloat(op, 'w', w);
  checkRank(op, 'x', x, rank);
  checkRank(op, 'w', w, rank);
  checkNonEmpty(op, 'x', x);
  checkNonEmpty(op, 'w', w);
  if (w.shape[1] !== x.shape[1]) {
    throw new ShapeError(`${op}: 'w' ${fmtShape(w.shape)} expects ${w.shape[1]} input channels but 'x' ${fmtShape(x.shape)} has ${x.shape[1]}`);
  }
  if (bias !== undefined && bias !== null) {
    checkFloat(op, 'bias', bias);
    if (bias.rank !== 1 || bias.shape[0] !== w.shape[0]) {
      throw new ShapeError(`${op}: 'bias' must have shape [${w.shape[0]}], got ${fmtShape(bias.shape)}`);
    }
  }
}

/** Output length of a convolution axis, or a ShapeError when the kernel does not fit. */
function outLen(op: string, axis: string, n: number, k: number, s: number, p: number, dil: number): number {
  const span = dil * (k - 1) + 1;
  if (n + 2 * p < span) {
    throw new ShapeError(`${op}: the kernel spans ${span} along ${axis} but the padded input has only ${n + 2 * p}`);
  }
  return Math.floor((n + 2 * p - span) / s) + 1;
}

/**
 * Every `s`-th element along `axis` from `start`, `count` of them: a contiguous slice of `s·count`
 * (the input is padded so it fits), reshaped to `[.., count, s, ..]` and cut to the first of each
 * `s`. (No `stridedSlice`: tfjs has no gradient for it.)
 */
function stridedTake(x: tf.Tensor, axis: number, start: number, count: number, s: number): tf.Tensor {
  const begin = x.shape.map((_, a) => (a === axis ? start : 0));
  const size = x.shape.map((d, a) => (a === axis ? s * count : d));
  const cut = tf.slice(x, begin, size);
  if (s === 1) return cut;
  // Rank 4 whatever the input's rank ([before, count, s, after]): the gradient of this slice is a
  // pad of the same rank, and webgl's rank-5 pad shader failed to compile (headless Chromium 156,
  // SwiftShader: the conv2d stride [2, 1] gradient test of the browser suite).
  const before = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const picked = tf.slice(tf.reshape(cut, [before, count, s, after]), [0, 0, 0, 0], [before, count, 1, after]); // [before, count, 1, after]
  return tf.reshape(picked, size.map((d, a) => (a === axis ? count : d)));
}

/**
 * 1-D convolution (cross-correlation, as PyTorch): `y[b, o, t] = bias[o] +
 * Σ_c Σ_j w[o, c, j] · x[b, c, t·stride + j·dilation − padding]` (zero outside the input).
 *
 * Shapes: `x [B, Cin, L]`, `w [Cout, Cin, k]`, `bias [Cout]` → `[B, Cout, Lo]` with
 * `Lo = ⌊(L + 2·padding − dilation·(k−1) − 1) / stride⌋ + 1`. Used by the time-series patch
 * encoder and the Whisper stem (spec 7.2, 7.3).
 *
 * @param x - input `[B, Cin, L]` float32.
 * @param w - weight `[Cout, Cin, k]` float32.
 * @param bias - optional `[Cout]`.
 * @param opts - stride, padding, dilation ({@link Conv1dOptions}).
 * @throws ShapeError for wrong ranks, a channel mismatch, a bias of the wrong size or a kernel longer
 *   than the padded input; ValueError for a negative padding or a stride / dilation below 1.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { conv1d } from 'intern-s1-ts';
 * const x = tf.ones([1, 80, 100]);                 // [B, Cin, L]
 * const w = tf.ones([16, 80, 3]);                  // [Cout, Cin, k]
 * console.log(conv1d(x, w, null, { stride: 2, padding: 1 }).shape); // => [1, 16, 50]
 * ```
 */
export function conv1d(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor | null, opts: Conv1dOptions = {}): tf.Tensor {
  checkConvArgs('conv1d', x, w, bias, 3);
  const s = intOpt('conv1d', 'stride', opts.stride, 1, 1);
  const p = intOpt('conv1d', 'padding', opts.padding, 0, 0);
  const dil = intOpt('conv1d', 'dilation', opts.dilation, 1, 1);
  const [B, Cin, L] = x.shape;
  const [Cout, , k] = w.shape;
  const Lo = outLen('conv1d', 'L', L, k, s, p, dil);
  return tf.tidy(() => {
    const extra = Math.max(0, dil * (k - 1) + s * Lo - (L + 2 * p)); // so every strided slice fits
    const xp = p + extra > 0 ? tf.pad(x, [[0, 0], [0, 0], [p, p + extra]]) : x; // [B, Cin, L + 2p + extra]
    const taps = Array.from({ length: k }, (_, j) => stridedTake(xp, 2, j * dil, Lo, s)); // k × [B, Cin, Lo]
    const cols = tf.reshape(tf.transpose(tf.stack(taps, 2), [1, 2, 0, 3]), [Cin * k, B * Lo]); // [Cin·k, B·Lo]
    const y = tf.matMul(tf.reshape(w, [Cout, Cin * k]), cols); // [Cout, B·Lo]
    const out = tf.transpose(tf.reshape(y, [Cout, B, Lo]), [1, 0, 2]); // [B, Cout, Lo]
    return bias ? tf.add(out, tf.reshape(bias, [1, Cout, 1])) : out;
  });
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): `y[b, o, i, j] = bias[o] + Σ_c Σ_u Σ_v
 * w[o, c, u, v] · x[b, c, i·sh + u·dh − ph, j·sw + v·dw − pw]` (zero outside the input).
 *
 * Shapes: `x [B, Cin, H, W]`, `w [Cout, Cin, kh, kw]`, `bias [Cout]` → `[B, Cout, Ho, Wo]`,
 * `Ho = ⌊(H + 2ph − dh·(kh−1) − 1) / sh⌋ + 1` (likewise Wo). When stride = kernel with no padding
 * or dilation and the input tiles exactly, this is {@link patchEmbed2d} (one reshape, one matmul).
 *
 * @param x - input `[B, Cin, H, W]` float32.
 * @param w - weight `[Cout, Cin, kh, kw]` float32.
 * @param bias - optional `[Cout]`.
 * @param opts - stride, padding, dilation, each a number or `[h, w]` ({@link Conv2dOptions}).
 * @throws ShapeError for wrong ranks, a channel mismatch, a bias of the wrong size or a kernel larger
 *   than the padded input; ValueError for a negative padding or a stride / dilation below 1.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { conv2d } from 'intern-s1-ts';
 * const x = tf.ones([1, 3, 8, 8]);                 // [B, Cin, H, W]
 * const w = tf.ones([4, 3, 3, 3]);                 // [Cout, Cin, kh, kw]
 * console.log(conv2d(x, w, null, { padding: 1 }).shape); // => [1, 4, 8, 8]
 * ```
 */
export function conv2d(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor | null, opts: Conv2dOptions = {}): tf.Tensor {
  checkConvArgs('conv2d', x, w, bias, 4);
  const [sh, sw] = pairOpt('conv2d', 'stride', opts.stride, 1, 1);
  const [ph, pw] = pairOpt('conv2d', 'padding', opts.padding, 0, 0);
  const [dh, dw] = pairOpt('conv2d', 'dilation', opts.dilation, 1, 1);
  const [B, Cin, H, W] = x.shape;
  const [Cout, , kh, kw] = w.shape;
  const Ho = outLen('conv2d', 'H', H, kh, sh, ph, dh);
  const Wo = outLen('conv2d', 'W', W, kw, sw, pw, dw);
  if (sh === kh && sw === kw && ph === 0 && pw === 0 && dh === 1 && dw === 1 && H % kh === 0 && W % kw === 0) {
    return tf.tidy(() => tf.transpose(tf.reshape(patchEmbed2d(x, w, bias), [B, Ho, Wo, Cout]), [0, 3, 1, 2]));
  }
  return tf.tidy(() => {
    const eh = Math.max(0, dh * (kh - 1) + sh * Ho - (H + 2 * ph)); // so every strided slice fits
    const ew = Math.max(0, dw * (kw - 1) + sw * Wo - (W + 2 * pw));
    const xp = ph + pw + eh + ew > 0 ? tf.pad(x, [[0, 0], [0, 0], [ph, ph + eh], [pw, pw + ew]]) : x; // [B, Cin, H', W']
    const taps: tf.Tensor[] = [];
    for (let u = 0; u < kh; u++) {
      const rows = stridedTake(xp, 2, u * dh, Ho, sh); // [B, Cin, Ho, W']
      for (let v = 0; v < kw; v++) taps.push(stridedTake(rows, 3, v * dw, Wo, sw)); // [B, Cin, Ho, Wo]
    }
    const cols = tf.reshape(tf.transpose(tf.stack(taps, 2), [1, 2, 0, 3, 4]), [Cin * kh * kw, B * Ho * Wo]); // [Cin·kh·kw, B·Ho·Wo]
    const y = tf.matMul(tf.reshape(w, [Cout, Cin * kh * kw]), cols); // [Cout, B·Ho·Wo]
    const out = tf.transpose(tf.reshape(y, [Cout, B, Ho, Wo]), [1, 0, 2, 3]); // [B, Cout, Ho, Wo]
    return bias ? tf.add(out, tf.reshape(bias, [1, Cout, 1, 1])) : out;
  });
}

/**
 * Patch embedding: a conv2d whose stride equals its kernel (non-overlapping patches), written as
 * one reshape and one matmul (spec 6.1.2: `P = conv2d_14x14_stride14(x)`, row-major over the patch
 * grid). `y[b, gy·Wp + gx, o] = bias[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[b, c, gy·ph + u, gx·pw + v]`.
 *
 * Shapes: `x [B, C, H, W]`, `w [Cout, C, ph, pw]`, `bias [Cout]` → `[B, (H/ph)·(W/pw), Cout]`.
 *
 * @param x - images `[B, C, H, W]` float32.
 * @param w - weight `[Cout, C, ph, pw]` float32 (PyTorch OIHW, as stored in the checkpoint).
 * @param bias - optional `[Cout]`.
 * @throws ShapeError when H or W is not divisible by the patch size, for a channel mismatch or a
 *   bias of the wrong size.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { patchEmbed2d } from 'intern-s1-ts';
 * const x = tf.ones([1, 3, 28, 28]);               // [B, C, H, W]
 * const w = tf.ones([8, 3, 14, 14]);               // [Cout, C, p, p]
 * console.log(patchEmbed2d(x, w).shape);           // => [1, 4, 8]
 * ```
 */
export function patchEmbed2d(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor | null): tf.Tensor {
  checkConvArgs('patchEmbed2d', x, w, bias, 4);
  const [B, C, H, W] = x.shape;
  const [Cout, , ph, pw] = w.shape;
  if (H % ph !== 0 || W % pw !== 0) {
    throw new ShapeError(`patchEmbed2d: image ${H}x${W} is not divisible by the patch size ${ph}x${pw}`);
  }
  const [Hp, Wp] = [H / ph, W / pw];
  const K = C * ph * pw;
  return tf.tidy(() => {
    const a = tf.transpose(tf.reshape(x, [B * C * Hp, ph, Wp, pw]), [0, 2, 1, 3]); // [B·C·Hp, Wp, ph, pw]
    const b = tf.transpose(tf.reshape(a, [B, C, Hp * Wp, ph * pw]), [0, 2, 1, 3]); // [B, P, C, ph·pw]
    const patches = tf.reshape(b, [B * Hp * Wp, K]); // [B·P, C·ph·pw], row-major over the grid
    const wT = tf.transpose(tf.reshape(w, [Cout, K])); // [C·ph·pw, Cout]
    const y = tf.matMul(patches, wT); // [B·P, Cout]
    const out = bias ? tf.add(y, tf.reshape(bias, [1, Cout])) : y;
    return tf.reshape(out, [B, Hp * Wp, Cout]); // [B, P, Cout]
  });
}
