/**
 * The per-patch encoder of the time-series tower, `encoder_embed` (spec 7.2; lmdeploy's
 * `...MultiChannelAdaptiveSubsampling`): conv1d + ReLU, fixed sinusoidal positions, one post-norm
 * `nn.TransformerEncoderLayer`, mean over positions, mean over the C rows of each patch, and the
 * concat subsampling.
 *
 * The plain reshape, reproduced on purpose (spec 7.2, decision 3). The patches form `P [L1, p, C]`
 * (patch, offset, channel) in row-major memory, and the released code reshapes that memory to
 * `[L1·C, 1, p]` with no transpose. Row `r = n·C + j` is therefore the flat slice
 * `P[n].flat[j·p, (j+1)·p)`, i.e. samples of all channels interleaved (offset ⌊m/C⌋, channel
 * m mod C), not channel j of patch n. Since `P[n]` is the signal window `X[n·s .. n·s+p−1, :]`,
 * its memory is the contiguous run `X.flat[n·s·C, (n·s+p)·C)`: row r is read straight from the
 * flattened signal. For C = 1 both readings agree. The trained weights saw this layout.
 *
 * Memory: patches are encoded in batches (the encoder is independent per row), so a 10^6-sample
 * signal never materialises all `L1·C·p` positions at once. Legend: L1 patches, p patch size,
 * C channels, R rows (= patches × C) of a batch, D = 128, F the FFN width (2048 released).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { CheckpointError, ShapeError, ValueError } from '../../errors.js';
import { expectShape, loadAll } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { LayerNorm } from '../../nn/norm.js';
import { Linear } from '../../nn/linear.js';
import { scope } from '../../nn/scope.js';
import { attention } from '../../ops/attention.js';
import { add } from '../../ops/elementwise.js';
import { reshape, slice } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { HOST_ROWS_MIN_LENGTH, kernelFor } from '../../backend/dispatch.js';
import type { TimeSeriesPlan } from './plan.js';
import { readSignal } from './processor.js';
import { TS_PATCH_BATCH_POSITIONS, TS_PATCH_DIM, TS_PATCH_HEADS, TS_PATCH_KERNEL, TS_PATCH_LN_EPS, TS_PE_CHECK_ATOL, TS_PE_ROWS } from './constants.js';
import type { PatchEncoderOptions } from './options.js';

export type { PatchEncoderOptions } from './options.js';

export { TS_PATCH_DIM, TS_PATCH_HEADS, TS_PATCH_KERNEL, TS_PATCH_LN_EPS, TS_PE_ROWS, TS_PE_CHECK_ATOL, TS_PATCH_BATCH_POSITIONS } from './constants.js';


/**
 * The fixed sinusoidal table of the patch encoder (`pe`, spec 7.2): `pe[t, 2i] = sin(t·ω_i)`,
 * `pe[t, 2i+1] = cos(t·ω_i)`, `ω_i = exp(2i · (−ln 10000 / dim))`, built as PyTorch builds it in
 * float32 (each step rounded to float32), so it matches the buffer of a checkpoint that lacks one.
 *
 * @param length - rows (positions 0 .. length−1).
 * @param dim - even width (default 128).
 * @returns `[length, dim]` float32.
 * @example
 * ```ts
 * import { sinusoidalPositions } from 'intern-s1-ts/internals';
 * const pe = sinusoidalPositions(4, 128);
 * console.log(pe.shape); // => [4, 128]
 * ```
 */
export function sinusoidalPositions(length: number, dim = TS_PATCH_DIM): tf.Tensor2D {
  if (!Number.isSafeInteger(length) || length < 1) throw new ValueError(`sinusoidalPositions: 'length' must be a positive integer, got ${length}`);
  if (!Number.isSafeInteger(dim) || dim < 2 || dim % 2 !== 0) throw new ValueError(`sinusoidalPositions: 'dim' must be a positive even integer, got ${dim}`);
  return tf.tensor2d(peValues(length, dim), [length, dim]);
}

/** Row-major `[length, dim]` values of the float32 table. */
function peValues(length: number, dim: number): Float32Array {
  const f = Math.fround;
  const k = f(-Math.log(10000) / dim); // the python scalar, cast to float32 by the tensor op
  const out = new Float32Array(length * dim); // [length, dim]
  for (let i = 0; i < dim / 2; i++) {
    const w = f(Math.exp(f(2 * i * k)));
    for (let t = 0; t < length; t++) {
      const a = f(t * w);
      out[t * dim + 2 * i] = Math.sin(a);
      out[t * dim + 2 * i + 1] = Math.cos(a);
    }
  }
  return out;
}

/**
 * PyTorch's `nn.TransformerEncoderLayer` as the release builds it (spec 7.2): post-norm,
 * `x = LN1(x + SA(x)); x = LN2(x + linear2(relu(linear1(x))))`, 8 heads, bidirectional within a
 * row, fused `in_proj` (rows q, k, v; split into three products at load), LayerNorm eps 1e-5,
 * dropout inactive.
 *
 * Shapes: `forward(x [R·p, D], p)` → `[R·p, D]`: R independent sequences of length p, stacked.
 */
export class PatchTransformerLayer {
  constructor(
    /** q rows of `in_proj`, `[D, D]` with bias. */
    readonly qProj: Linear,
    /** k rows of `in_proj`, `[D, D]` with bias. */
    readonly kProj: Linear,
    /** v rows of `in_proj`, `[D, D]` with bias. */
    readonly vProj: Linear,
    /** `self_attn.out_proj`, `[D, D]` with bias. */
    readonly outProj: Linear,
    /** `linear1`, `[F, D]` with bias (F = feed-forward width). */
    readonly linear1: Linear,
    /** `linear2`, `[D, F]` with bias. */
    readonly linear2: Linear,
    /** `norm1`, LayerNorm `[D]` after the attention residual (eps 1e-5). */
    readonly norm1: LayerNorm,
    /** `norm2`, LayerNorm `[D]` after the feed-forward residual (eps 1e-5). */
    readonly norm2: LayerNorm,
  ) {}

  /** Load `<prefix>.self_attn.in_proj_{weight,bias}`, `out_proj`, `linear1/2`, `norm1/2`. */
  static fromWeights(weights: WeightSource, prefix: string): PatchTransformerLayer {
    const D = TS_PATCH_DIM;
    return loadAll((keep) => {
      const [q, k, v] = inProjections(weights, `${prefix}.self_attn`).map(keep);
      const outProj = keep(Linear.fromWeights(weights, `${prefix}.self_attn.out_proj`, { bias: true, expect: [D, D] }));
      const F = weights.info(`${prefix}.linear1.weight`).shape[0];
      const linear1 = keep(Linear.fromWeights(weights, `${prefix}.linear1`, { bias: true, expect: [F, D] }));
      const linear2 = keep(Linear.fromWeights(weights, `${prefix}.linear2`, { bias: true, expect: [D, F] }));
      const norm1 = keep(LayerNorm.fromWeights(weights, `${prefix}.norm1`, TS_PATCH_LN_EPS));
      const norm2 = keep(LayerNorm.fromWeights(weights, `${prefix}.norm2`, TS_PATCH_LN_EPS));
      return new PatchTransformerLayer(q, k, v, outProj, linear1, linear2, norm1, norm2);
    });
  }

  /**
   * `x [R·p, D]` (R rows of p positions) → `[R·p, D]`.
   *
   * @throws ValueError unless `p` is a positive integer; ShapeError / DTypeError unless `x` is a
   *   float32 `[R·p, 128]` with R ≥ 1.
   */
  forward(x: tf.Tensor2D, p: number): tf.Tensor2D {
    const [N, D] = checkRows(x, p);
    // wasm (2-D products only are fast there) with short rows: the grouped-convolution schedule;
    // longer rows keep attention()'s per (row, head) products (the [p, G, p] transposes of the
    // grouped form cost more than its products from p ~ 64: measured 2.7x slower at p = 320).
    const grouped = kernelFor('matmul') === 'lowered-2d' && p < HOST_ROWS_MIN_LENGTH;
    return scope(() => {
      const [q, k, v] = [this.qProj.forward(x), this.kProj.forward(x), this.vProj.forward(x)]; // [R·p, D] each
      let sa: tf.Tensor; // [R·p, D]
      if (grouped) {
        sa = blockAttentionGrouped(q, k, v, N / p, p, TS_PATCH_HEADS);
      } else {
        const heads = (t: tf.Tensor) => reshape(t, [N, TS_PATCH_HEADS, D / TS_PATCH_HEADS]); // [R·p, H, d]
        const rows = new Array<number>(N / p).fill(p); // R rows of p positions: bidirectional within each
        sa = reshape(attention(heads(q), heads(k), heads(v), { seqLens: rows }), [N, D]); // [R·p, D]
      }
      const h = this.norm1.forward(add(x, this.outProj.forward(sa))); // [R·p, D]
      // FFN as two fused products (bias and ReLU inside the matmul kernel: on wasm XNNPACK applies
      // them while writing the [R·p, F] hidden, saving two passes over it).
      const hidden = tf.fused.matMul({ a: h as tf.Tensor2D, b: this.linear1.weightT, bias: this.linear1.bias ?? undefined, activation: 'relu' }); // [R·p, F]
      const ff = tf.fused.matMul({ a: hidden, b: this.linear2.weightT, bias: this.linear2.bias ?? undefined }); // [R·p, D]
      return this.norm2.forward(add(h, ff)) as tf.Tensor2D; // [R·p, D]
    });
  }

  /** Release every weight of the layer. */
  dispose(): void {
    for (const m of [this.qProj, this.kProj, this.vProj, this.outProj, this.linear1, this.linear2, this.norm1, this.norm2]) m.dispose();
  }
}

/**
 * Bidirectional multi-head attention within each of R blocks of p positions (the patch layer's
 * rows), as two grouped convolutions, so that wasm runs it on XNNPACK instead of its ~1 GFLOP/s
 * batched product (issue 15, item 4). With c = (block r, head h) one of the G = R·H groups,
 * $q_c, k_c, v_c$ the `[p, d]` slices (d = D/H) and $s = d^{-1/2}$:
 *
 * $$S_c[i, j] = s\,q_c[i]\cdot k_c[j],\qquad P_c = \operatorname{softmax}_j S_c,\qquad O_c[i] = \textstyle\sum_j P_c[i, j]\,v_c[j].$$
 *
 * A depthwise convolution with channel multiplier m computes
 * `y[y0, x0, c·m + t] = Σ_{a,b} in[y0 + a, x0 + b, c] · f[a, b, c, t]`, a separate small product per
 * channel. Scores: input `q [1, p(i), d(v), G]`, filter `k [1, d(v), G, p(j)]`, valid padding →
 * `[1, p, 1, G·p]` = `S [i, c, j]`; softmax over its last axis; `P` transposed to `[1, p(i), p(j), G]`;
 * output: input `P`, filter `v [1, p(j), G, d]` → `[1, p, 1, G·d]` = `O [i, r, h, e]`, transposed to
 * `[r, i, h, e]` = `[R·p, D]`. Measured on wasm at p = 48 and p = 320 (16k positions): ~3-4 GFLOP/s
 * and about 3x faster than the batched product (the transposes are O(size) copies).
 *
 * Shapes: `q, k, v [R·p, H·d]` (token-major, heads side by side) → `[R·p, H·d]`.
 */
function blockAttentionGrouped(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, R: number, p: number, H: number): tf.Tensor {
  const D = q.shape[1]!;
  const d = D / H;
  const G = R * H;
  return tf.tidy(() => {
    const split = (t: tf.Tensor) => tf.reshape(t, [R, p, H, d]); // [r, i, h, v]
    const qIn = tf.reshape(tf.transpose(split(tf.mul(q, 1 / Math.sqrt(d))), [1, 3, 0, 2]), [1, p, d, G]) as tf.Tensor4D; // [i, v, (r,h)]
    const kF = tf.reshape(tf.transpose(split(k), [3, 0, 2, 1]), [1, d, G, p]) as tf.Tensor4D; // [v, (r,h), j]
    const P = tf.softmax(tf.reshape(tf.depthwiseConv2d(qIn, kF, 1, 'valid'), [p, G, p])); // [i, (r,h), j]
    const pIn = tf.reshape(tf.transpose(P, [0, 2, 1]), [1, p, p, G]) as tf.Tensor4D; // [i, j, (r,h)]
    const vF = tf.reshape(tf.transpose(split(v), [1, 0, 2, 3]), [1, p, G, d]) as tf.Tensor4D; // [j, (r,h), e]
    const o = tf.depthwiseConv2d(pIn, vF, 1, 'valid'); // [1, p, 1, G·d] = [i, r, h, e]
    return tf.reshape(tf.transpose(tf.reshape(o, [p, R, H, d]), [1, 0, 2, 3]), [R * p, D]); // [R·p, D]
  });
}

/** The fused `in_proj_weight [3D, D]` / `in_proj_bias [3D]` split into the q, k, v Linears. */
function inProjections(weights: WeightSource, prefix: string): Linear[] {
  const D = TS_PATCH_DIM;
  expectShape('PatchTransformerLayer', weights, `${prefix}.in_proj_weight`, [3 * D, D]);
  expectShape('PatchTransformerLayer', weights, `${prefix}.in_proj_bias`, [3 * D]);
  const w = weights.float32(`${prefix}.in_proj_weight`); // [3D, D]: rows q, k, v
  const b = weights.float32(`${prefix}.in_proj_bias`); // [3D]
  return [0, 1, 2].map((i) => {
    const [wT, bias] = tf.tidy(() => [
      tf.transpose(tf.tensor2d(w.subarray(i * D * D, (i + 1) * D * D), [D, D])), // Wᵢᵀ [D, D]
      tf.tensor1d(b.subarray(i * D, (i + 1) * D)), // [D]
    ]);
    return new Linear(wT as tf.Tensor2D, bias as tf.Tensor1D);
  });
}

/** Check `p` (a positive integer) and `x` (float32 `[R·p, 128]`, R ≥ 1); returns `[R·p, 128]`. */
function checkRows(x: tf.Tensor2D, p: number): [number, number] {
  const op = 'PatchTransformerLayer.forward';
  if (!Number.isSafeInteger(p) || p < 1) throw new ValueError(`${op}: 'p' must be a positive integer, got ${p}`);
  checkFloat(op, 'x', x);
  checkRank(op, 'x', x, 2);
  if (x.shape[1] !== TS_PATCH_DIM || x.shape[0] < p || x.shape[0] % p !== 0) {
    throw new ShapeError(`${op}: 'x' must be [R·p, ${TS_PATCH_DIM}] with R >= 1 rows of p = ${p} positions, got ${fmtShape(x.shape)}`);
  }
  return x.shape;
}

/**
 * The rows the patch encoder sees for patches `n0 .. n1−1` (spec 7.2): the plain reshape of
 * `P[n0:n1] [n1−n0, p, C]` to `[(n1−n0)·C, p]`. Row `r = (n−n0)·C + j` is
 * `X.flat[n·s·C + j·p, n·s·C + (j+1)·p)` of the row-major signal `X [T, C]`, zero past `T·C`:
 * for C > 1 it interleaves channels (offset ⌊m/C⌋, channel m mod C of its m-th value).
 *
 * $\mathrm{row}_{nC+j}[m] = X_{\mathrm{flat}}[nsC + jp + m]$, $0 \le m < p$. Reference twin, which
 * builds $P_{n,k,c} = X_{ns+k,c}$ and reshapes it: {@link reference!patchRows | patchRows}.
 *
 * @param data - the normalised signal `[T, C]`, row-major.
 * @param numChannels - C.
 * @returns `[(n1−n0)·C, p]` row-major.
 * @example
 * ```ts
 * import { patchRows, timeSeriesPlan } from 'intern-s1-ts/internals';
 * const X = [0, 1, 100, 101, 200, 201, 300, 301, 400, 401]; // [T = 5, C = 2]: 100·t + c
 * const rows = patchRows(X, 2, timeSeriesPlan(5, 1), 0, 1); // s = 2, p = 4
 * console.log(Array.from(rows)); // => [0, 1, 100, 101, 200, 201, 300, 301]  -- rows [0, 1, 100, 101] and [200, 201, 300, 301]
 * ```
 */
export function patchRows(data: ArrayLike<number>, numChannels: number, plan: TimeSeriesPlan, n0: number, n1: number): Float32Array {
  const { stride: s, patchSize: p } = plan;
  const C = numChannels;
  if (!Number.isSafeInteger(n0) || !Number.isSafeInteger(n1) || n0 < 0 || n1 > plan.numPatches || n1 <= n0) {
    throw new ValueError(`patchRows: patches [${n0}, ${n1}) are not a non-empty range within the plan's ${plan.numPatches}`);
  }
  const rows = new Float32Array((n1 - n0) * C * p); // [R, p]
  for (let n = n0; n < n1; n++) {
    const start = n * s * C; // P[n] is the contiguous window X.flat[n·s·C, (n·s + p)·C)
    const end = Math.min(start + p * C, data.length);
    for (let i = start; i < end; i++) rows[(n - n0) * p * C + (i - start)] = data[i];
  }
  return rows;
}

/**
 * The conv stem's input columns (im2col, built in JS): for `rows [R, p]`, column j of position
 * (r, i) is `rows[r, i + j − 2]`, zero outside the row (kernel 5, padding 2), so the stem is one
 * product `cols [R·p, 5] · Wᵀ [5, 128]`: $\mathrm{conv}(u)[i, o] = b_o + \sum_j W_{o,0,j}\,u_{i+j-2}$.
 */
function convColumns(rows: Float32Array, R: number, p: number): Float32Array {
  const K = TS_PATCH_KERNEL;
  const half = (K - 1) / 2;
  const cols = new Float32Array(R * p * K); // [R·p, K]
  for (let r = 0; r < R; r++) {
    const base = r * p;
    for (let i = 0; i < p; i++) {
      const o = (base + i) * K;
      for (let j = 0; j < K; j++) {
        const t = i + j - half;
        if (t >= 0 && t < p) cols[o + j] = rows[base + t];
      }
    }
  }
  return cols;
}

/**
 * `encoder_embed` (spec 7.2): signal windows → `E1 [L1, 128]`. Loads `<prefix>.conv.{weight,bias}`
 * `[128, 1, 5]`, `<prefix>.transformer_encoder.layers.0.*`, and `<prefix>.pos_encoder.pe`
 * `[N, 1, 128]` when the checkpoint has it (else the formula; both are checked to agree).
 *
 * Each row $u$ of {@link patchRows} is encoded on its own,
 * $h = \operatorname{TransformerLayer}\big(\operatorname{ReLU}(\operatorname{conv1d}(u)) + \mathrm{pe}\big)$,
 * $e_r = \frac{1}{p}\sum_k h_k$, and patch n is the mean of its C rows. Reference twin:
 * {@link reference!TimeSeriesPatchEncoder | TimeSeriesPatchEncoder}. Fast-path departures (measured on wasm, issue 15 item 4:
 * every product on XNNPACK's 2-D kernel): rows are read straight from the flat signal, in batches
 * of about 16k positions (memory bounded); the conv stem is one product `[R·p, 5] · [5, 128]` on
 * columns built in JS, with bias and ReLU fused into the kernel; attention within rows is two
 * grouped convolutions for p < 64 on wasm (one batched product on other backends) and per
 * (row, head) 2-D products above (about 3x faster at p = 320); the FFN is two fused products
 * (bias and ReLU applied by the kernel); the two means (positions, then the C rows) are one mean
 * over the patch's C·p positions.
 */
export class TimeSeriesPatchEncoder {
  constructor(
    /** `[128, 1, 5]`. */
    readonly convWeight: tf.Tensor3D,
    /** `[128]`. */
    readonly convBias: tf.Tensor1D,
    /** The first rows of `pe`, `[N, 128]` (N ≥ the patch size of any plan it serves). */
    readonly positions: tf.Tensor2D,
    /** `transformer_encoder.layers.0`, the one transformer layer. */
    readonly layer: PatchTransformerLayer,
    /** Where `positions` came from. */
    readonly positionSource: 'checkpoint' | 'formula',
  ) {
    this.kernelT = tf.keep(tf.tidy(() => tf.transpose(tf.reshape(convWeight, [TS_PATCH_DIM, TS_PATCH_KERNEL])) as tf.Tensor2D)); // [5, 128]
  }

  /** `convWeight` as the stem product's right operand, `Wᵀ [5, 128]` (owned, released by dispose). */
  private readonly kernelT: tf.Tensor2D;

  /** Build from `<prefix>.*` (prefix e.g. `model.time_series.encoder_embed`). */
  static fromWeights(weights: WeightSource, prefix: string): TimeSeriesPatchEncoder {
    const D = TS_PATCH_DIM;
    expectShape('TimeSeriesPatchEncoder', weights, `${prefix}.conv.weight`, [D, 1, TS_PATCH_KERNEL]);
    const pe = loadPositions(weights, `${prefix}.pos_encoder.pe`);
    return loadAll((own) => {
      const convW = own(weights.tensor(`${prefix}.conv.weight`) as tf.Tensor3D);
      const convB = own(weights.tensor(`${prefix}.conv.bias`) as tf.Tensor1D);
      const pos = own(tf.tensor2d(pe.values, [pe.rows, D]));
      const layer = PatchTransformerLayer.fromWeights(weights, `${prefix}.transformer_encoder.layers.0`);
      return new TimeSeriesPatchEncoder(convW, convB, pos, layer, pe.source);
    });
  }

  /** Patches per batch for a plan: even, ≥ 2, about {@link TS_PATCH_BATCH_POSITIONS} positions. */
  batchSize(plan: TimeSeriesPlan, C: number, opts: PatchEncoderOptions = {}): number {
    if (opts.patchBatch !== undefined) {
      const b = opts.patchBatch;
      if (!Number.isSafeInteger(b) || b < 2 || b % 2 !== 0) throw new ValueError(`TimeSeriesPatchEncoder: 'patchBatch' must be an even integer >= 2, got ${b}`);
      return b;
    }
    return Math.max(2, 2 * Math.floor(TS_PATCH_BATCH_POSITIONS / (2 * plan.patchSize * C)));
  }

  /**
   * Encode patches `n0 .. n1−1` of a normalised signal `data [T, C]` (row-major) under `plan`:
   * rows of the plain reshape → conv1d(1→128, k5, p2) + ReLU → + pe → transformer layer →
   * mean over the p positions → mean over the C rows of each patch. Returns `[n1 − n0, 128]`.
   *
   * @throws ShapeError unless `data` holds `plan.numSamples · C` values; ValueError for a patch
   *   range outside the plan; CheckpointError when the position table is shorter than the patch.
   */
  encodeBatch(data: Float32Array, C: number, plan: TimeSeriesPlan, n0: number, n1: number): tf.Tensor2D {
    const p = plan.patchSize;
    if (!Number.isSafeInteger(C) || C < 1 || data.length !== plan.numSamples * C) {
      throw new ShapeError(`TimeSeriesPatchEncoder.encodeBatch: 'data' has ${data.length} values, expected T·C = ${plan.numSamples}·${C} for the plan and C = ${C}`);
    }
    if (p > this.positions.shape[0]) {
      throw new CheckpointError(`TimeSeriesPatchEncoder: patch size ${p} needs ${p} rows of pos_encoder.pe, the checkpoint has ${this.positions.shape[0]}`);
    }
    const D = TS_PATCH_DIM;
    const nb = n1 - n0;
    const R = nb * C;
    const cols = convColumns(patchRows(data, C, plan, n0, n1), R, p); // [R·p, 5]
    return scope(() => {
      const h = scope(() => { // the conv stem's intermediates are freed before the transformer layer runs
        const c = tf.fused.matMul({ a: tf.tensor2d(cols, [R * p, TS_PATCH_KERNEL]), b: this.kernelT, bias: this.convBias, activation: 'relu' }); // [R·p, D]
        return reshape(add(reshape(c, [R, p, D]), slice(this.positions, [0, 0], [p, D])), [R * p, D]) as tf.Tensor2D; // [R·p, D]: + pe
      });
      const y = this.layer.forward(h, p); // [R·p, D]
      h.dispose();
      // The mean over the p positions of each row, then over the C rows of each patch, is the mean
      // over the C·p consecutive positions of the patch (every row has p positions).
      return tf.mean(reshape(y, [nb, C * p, D]), 1) as tf.Tensor2D; // [nb, D]
    });
  }

  /**
   * `E1 [L1, 128]` for a whole normalised signal `[T, C]` (or `[T]`) under `plan`, in batches.
   * Holds all L1 rows: for long signals the model streams batches instead.
   */
  forward(signal: tf.Tensor, plan: TimeSeriesPlan, opts: PatchEncoderOptions = {}): tf.Tensor2D {
    const { data, T, C } = readSignal('TimeSeriesPatchEncoder.forward', signal);
    if (T !== plan.numSamples) throw new ShapeError(`TimeSeriesPatchEncoder.forward: 'signal' has T = ${T} samples but the plan is for ${plan.numSamples}`);
    const B = this.batchSize(plan, C, opts);
    const parts: tf.Tensor2D[] = [];
    for (let n0 = 0; n0 < plan.numPatches; n0 += B) parts.push(this.encodeBatch(data, C, plan, n0, Math.min(n0 + B, plan.numPatches)));
    if (parts.length === 1) return parts[0];
    const out = tf.concat(parts, 0) as tf.Tensor2D; // [L1, D]
    tf.dispose(parts);
    return out;
  }

  /** Release the conv weights, the position table and the layer. */
  dispose(): void {
    tf.dispose([this.convWeight, this.convBias, this.positions]);
    this.kernelT.dispose();
    this.layer.dispose();
  }
}

/**
 * The first rows of the checkpoint's `pe [N, 1, 128]` if present (checked against the formula),
 * else the formula's {@link TS_PE_ROWS} rows.
 */
function loadPositions(weights: WeightSource, name: string): { values: Float32Array; rows: number; source: 'checkpoint' | 'formula' } {
  const D = TS_PATCH_DIM;
  if (!weights.has(name)) return { values: peValues(TS_PE_ROWS, D), rows: TS_PE_ROWS, source: 'formula' };
  const shape = weights.info(name).shape;
  if (shape.length !== 3 || shape[1] !== 1 || shape[2] !== D) {
    throw new ShapeError(`TimeSeriesPatchEncoder: '${name}' has shape ${fmtShape(shape)}, expected [N, 1, ${D}]`);
  }
  const rows = Math.min(shape[0], TS_PE_ROWS);
  const values = weights.rows(name, Array.from({ length: rows }, (_, i) => i)); // [rows, 1, D]
  const formula = peValues(rows, D);
  for (let i = 0; i < values.length; i++) {
    if (!(Math.abs(values[i] - formula[i]) <= TS_PE_CHECK_ATOL)) {
      const t = Math.floor(i / D);
      throw new CheckpointError(
        `TimeSeriesPatchEncoder: '${name}'[${t}, 0, ${i % D}] = ${values[i]} but the sinusoidal formula gives ${formula[i]} ` +
          `(allowed difference ${TS_PE_CHECK_ATOL}); the buffer is not the fixed positional encoding`,
      );
    }
  }
  return { values, rows, source: 'checkpoint' };
}

/**
 * The concat subsampling (spec 7.2): drop the last row when L1 is odd, then concatenate rows 2j
 * and 2j+1 along features: `E1 [L1, 128]` → `E2 [⌊L1/2⌋, 256]` (a row-major reshape).
 *
 * $E2_j = [E1_{2j}; E1_{2j+1}]$. Reference twin: {@link reference!concatSubsample | concatSubsample}.
 *
 * @throws ShapeError unless `e1` is 2-D with at least 2 rows.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { concatSubsample } from 'intern-s1-ts/internals';
 * console.log(concatSubsample(tf.zeros([5, 128])).shape); // => [2, 256]
 * ```
 */
export function concatSubsample(e1: tf.Tensor): tf.Tensor2D {
  if (e1.rank !== 2 || e1.shape[0] < 2) throw new ShapeError(`concatSubsample: 'e1' must be [L1, D] with L1 >= 2, got ${fmtShape(e1.shape)}`);
  const [L1, D] = e1.shape as [number, number];
  const L2 = Math.floor(L1 / 2);
  return tf.tidy(() => tf.reshape(L1 % 2 ? tf.slice(e1, [0, 0], [2 * L2, D]) : e1, [L2, 2 * D]) as tf.Tensor2D); // [L2, 2D]
}
