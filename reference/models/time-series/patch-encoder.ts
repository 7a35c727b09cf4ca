/**
 * Reference per-patch encoder `encoder_embed` (spec 7.2), float64, written as the released code
 * reads: build all patches `P [L1, p, C]`, reshape their memory plainly to `[L1·C, 1, p]`,
 * conv1d + ReLU, add the sinusoidal table, one post-norm transformer layer per row, mean over
 * positions, mean over the C rows of each patch; then the concat subsampling.
 *
 * Legend: L1 patches, p patch size, C channels, R = L1·C rows, D = 128.
 *
 * @module
 */
import { type NDArray, zeros } from '../../ndarray.js';
import { relu } from '../../ops/activations.js';
import { attention } from '../../ops/attention.js';
import { conv1d } from '../../ops/conv.js';
import { reshape, slice, transpose } from '../../ops/shape.js';
import { Linear } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import type { WeightSource } from '../../weights.js';
import type { TimeSeriesPlan } from '../../../src/models/time-series/plan.js';
import { TS_PATCH_DIM, TS_PATCH_HEADS, TS_PATCH_LN_EPS, TS_PE_ROWS } from '../../../src/models/time-series/constants.js';
import type { PatchEncoderOptions } from '../../../src/models/time-series/options.js';

export type { PatchEncoderOptions } from '../../../src/models/time-series/options.js';

// Shared with the fast path (constants of the release, no twin, DESIGN.md).
export { TS_PATCH_DIM, TS_PATCH_HEADS, TS_PATCH_KERNEL, TS_PATCH_LN_EPS, TS_PE_ROWS, TS_PE_CHECK_ATOL, TS_PATCH_BATCH_POSITIONS } from '../../../src/models/time-series/constants.js';

/**
 * The fixed sinusoidal position table of the patch encoder (spec 7.2), `[length, dim]`, exact
 * float64: $\mathrm{pe}_{t,2i} = \sin(t\,\omega_i)$, $\mathrm{pe}_{t,2i+1} = \cos(t\,\omega_i)$ with
 * $\omega_i = 10000^{-2i/\mathrm{dim}}$ (ASCII: `pe[t, 2i] = sin(t·ω_i)`, `pe[t, 2i+1] = cos(t·ω_i)`).
 */
export function sinusoidalPositions(length: number, dim = TS_PATCH_DIM): NDArray {
  const pe = zeros([length, dim]);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < dim / 2; i++) {
      const omega = Math.exp(2 * i * (-Math.log(10000) / dim));
      pe.set(t, 2 * i, Math.sin(t * omega));
      pe.set(t, 2 * i + 1, Math.cos(t * omega));
    }
  }
  return pe;
}

/**
 * PyTorch's post-norm `nn.TransformerEncoderLayer` (d = 128, 8 heads, ReLU FFN of width 2048,
 * LayerNorm eps 1e-5) over R independent rows of p positions, bidirectional within a row:
 * $x \leftarrow \operatorname{LN}_1\big(x + \operatorname{MHA}(x)\big)$, then
 * $x \leftarrow \operatorname{LN}_2\big(x + W_2 \operatorname{ReLU}(W_1 x + b_1) + b_2\big)$.
 */
export class PatchTransformerLayer {
  constructor(
    /** Fused `self_attn.in_proj`, `[3D, D]` with bias (rows: q, then k, then v). */
    readonly inProj: Linear,
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
    return new PatchTransformerLayer(
      new Linear(weights.array(`${prefix}.self_attn.in_proj_weight`), weights.array(`${prefix}.self_attn.in_proj_bias`)),
      Linear.fromWeights(weights, `${prefix}.self_attn.out_proj`, { bias: true }),
      Linear.fromWeights(weights, `${prefix}.linear1`, { bias: true }),
      Linear.fromWeights(weights, `${prefix}.linear2`, { bias: true }),
      LayerNorm.fromWeights(weights, `${prefix}.norm1`, TS_PATCH_LN_EPS),
      LayerNorm.fromWeights(weights, `${prefix}.norm2`, TS_PATCH_LN_EPS),
    );
  }

  /** `x = LN1(x + SA(x)); x = LN2(x + linear2(relu(linear1(x))))`; `x [R·p, D]` → `[R·p, D]`. */
  forward(x: NDArray, p: number): NDArray {
    const D = TS_PATCH_DIM;
    const N = x.shape[0];
    const qkv = this.inProj.forward(x); // [R·p, 3D]: q, k, v columns
    const sa = zeros([N, D]); // [R·p, D]
    for (let r = 0; r < N / p; r++) {
      const part = (i: number) => reshape(slice(qkv, [r * p, i * D], [p, D]), [p, TS_PATCH_HEADS, D / TS_PATCH_HEADS]); // [p, H, d]
      const o = attention(part(0), part(1), part(2), { mask: 'none' }); // [p, H, d], bidirectional within the row
      sa.data.set(o.data.subarray(0, p * D), r * p * D);
    }
    const h = this.norm1.forward(addArrays(x, this.outProj.forward(sa))); // [R·p, D]
    const ff = this.linear2.forward(relu(this.linear1.forward(h))); // [R·p, D]
    return this.norm2.forward(addArrays(h, ff)); // [R·p, D]
  }
}

/** Elementwise sum of two contiguous arrays of the same shape. */
function addArrays(a: NDArray, b: NDArray): NDArray {
  const out = zeros(a.shape);
  for (let i = 0; i < a.size; i++) out.data[i] = a.data[i] + b.data[i];
  return out;
}

/**
 * The encoder's input rows for patches `n0 .. n1−1` (spec 7.2): the overlapping patches
 * $P_{n,k,c} = X_{ns + k,\,c}$ ($0 \le k < p = 2s$, zero past T), then the released code's plain
 * reshape of their memory to `[(n1−n0)·C, p]` with no transpose, so row $r = nC + j$ holds
 *
 * $$ \mathrm{row}_{nC+j}[m] = P_{n,\; \lfloor (jp + m)/C \rfloor,\; (jp + m) \bmod C}, \qquad 0 \le m < p , $$
 *
 * samples of all channels interleaved (for C = 1 it is simply patch n). ASCII:
 * `P[n, k, c] = X[n·s + k, c]`, then `reshape(P, [L1·C, p])`.
 */
export function patchRows(data: ArrayLike<number>, numChannels: number, plan: TimeSeriesPlan, n0: number, n1: number): NDArray {
  const { stride: s, patchSize: p } = plan;
  const C = numChannels;
  const T = data.length / C;
  const P = zeros([n1 - n0, p, C]); // [patches, p, C]
  for (let n = n0; n < n1; n++) {
    for (let k = 0; k < p; k++) {
      for (let c = 0; c < C; c++) if (n * s + k < T) P.set(n - n0, k, c, data[(n * s + k) * C + c]);
    }
  }
  return reshape(P, [(n1 - n0) * C, p]);
}

/**
 * The per-patch encoder `encoder_embed` of the time-series tower (spec 7.2): a normalised signal
 * `[T, C]` → `E1 [L1, 128]`. Each of the $L_1 C$ rows $u$ of {@link patchRows} (length p) is encoded
 * on its own:
 *
 * $$
 * h = \operatorname{ReLU}(\operatorname{conv1d}_{1 \to 128,\,k=5}(u)) + \mathrm{pe}_{0:p} \in \mathbb{R}^{p \times 128},
 * \qquad h \leftarrow \operatorname{TransformerLayer}(h), \qquad e_r = \frac{1}{p}\sum_{k<p} h_k ,
 * $$
 *
 * and patch $n$'s feature is the mean over its C rows, $E1_n = \frac{1}{C}\sum_{j<C} e_{nC+j}$. The
 * width 128, the 8 heads and the 2048-wide FFN are fixed by the release. {@link concatSubsample}
 * then pairs the rows: `E2 [⌊L1/2⌋, 256]`.
 */
export class TimeSeriesPatchEncoder {
  constructor(
    /** `conv.weight` `[128, 1, 5]`. */
    readonly convWeight: NDArray,
    /** `conv.bias` `[128]`. */
    readonly convBias: NDArray,
    /** Sinusoidal positions `[N, 128]` (the checkpoint's `pos_encoder.pe`, or the formula). */
    readonly positions: NDArray,
    /** `transformer_encoder.layers.0`, the one transformer layer. */
    readonly layer: PatchTransformerLayer,
    /** Where `positions` came from. */
    readonly positionSource: 'checkpoint' | 'formula',
  ) {}

  /** Build from `<prefix>.*` (prefix e.g. `model.time_series.encoder_embed`). */
  static fromWeights(weights: WeightSource, prefix: string): TimeSeriesPatchEncoder {
    const peName = `${prefix}.pos_encoder.pe`;
    let positions = sinusoidalPositions(TS_PE_ROWS);
    if (weights.has(peName)) {
      const pe = weights.array(peName); // [N, 1, D]
      positions = reshape(pe, [pe.shape[0], TS_PATCH_DIM]);
    }
    return new TimeSeriesPatchEncoder(
      weights.array(`${prefix}.conv.weight`), weights.array(`${prefix}.conv.bias`), positions,
      PatchTransformerLayer.fromWeights(weights, `${prefix}.transformer_encoder.layers.0`),
      weights.has(peName) ? 'checkpoint' : 'formula',
    );
  }

  /** All patches `P[n, k, c] = X[n·s + k, c]` of the zero-padded signal: `[L1, p, C]`. */
  patches(signal: NDArray, plan: TimeSeriesPlan): NDArray {
    const { stride: s, patchSize: p, numPatches: L1 } = plan;
    const T = signal.shape[0];
    const C = signal.shape.length === 2 ? signal.shape[1] : 1;
    const P = zeros([L1, p, C]);
    for (let n = 0; n < L1; n++) {
      for (let k = 0; k < p; k++) {
        for (let c = 0; c < C; c++) {
          const t = n * s + k;
          if (t < T) P.set(n, k, c, C === 1 && signal.shape.length === 1 ? signal.get(t) : signal.get(t, c));
        }
      }
    }
    return P;
  }

  /** `E1 [L1, 128]` (spec 7.2). */
  forward(signal: NDArray, plan: TimeSeriesPlan, _opts: PatchEncoderOptions = {}): NDArray {
    const D = TS_PATCH_DIM;
    const P = this.patches(signal, plan); // [L1, p, C]
    const [L1, p, C] = P.shape;
    const rows = reshape(P, [L1 * C, 1, p]); // [L1·C, 1, p]: the released plain reshape (no transpose)
    const conv = relu(conv1d(rows, this.convWeight, this.convBias, { padding: 2 })); // [L1·C, D, p]
    const h = transpose(conv, [0, 2, 1]); // [L1·C, p, D]
    for (let r = 0; r < L1 * C; r++) {
      for (let t = 0; t < p; t++) for (let j = 0; j < D; j++) h.set(r, t, j, h.get(r, t, j) + this.positions.get(t, j));
    }
    const y = this.layer.forward(reshape(h, [L1 * C * p, D]), p); // [L1·C·p, D]
    const e1 = zeros([L1, D]);
    for (let n = 0; n < L1; n++) {
      for (let j = 0; j < D; j++) {
        let sum = 0; // mean over the p positions of each row, then over the C rows of the patch
        for (let c = 0; c < C; c++) for (let t = 0; t < p; t++) sum += y.get(((n * C + c) * p) + t, j);
        e1.set(n, j, sum / (p * C));
      }
    }
    return e1;
  }
}

/**
 * The concat subsampling after the patch encoder (spec 7.2): drop the last row if L1 is odd, then
 * $E2_j = [\,E1_{2j};\ E1_{2j+1}\,]$, `[L1, D]` → `[⌊L1/2⌋, 2D]` (ASCII: `E2[j] = [E1[2j], E1[2j+1]]`).
 */
export function concatSubsample(e1: NDArray): NDArray {
  const [L1, D] = e1.shape;
  const L2 = Math.floor(L1 / 2);
  const e2 = zeros([L2, 2 * D]);
  for (let j = 0; j < L2; j++) {
    for (let i = 0; i < D; i++) {
      e2.set(j, i, e1.get(2 * j, i));
      e2.set(j, D + i, e1.get(2 * j + 1, i));
    }
  }
  return e2;
}
