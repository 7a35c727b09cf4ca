/**
 * The two position signals of the Intern-S1-Pro vision tower (spec 6.2.2, gotcha 10.10):
 *
 * 1. the learned N×N (48×48) position grid, sampled with an explicit bilinear blend at
 *    `linspace(0, N − 1, n)` (align-corners style, **not** a generic resize), permuted into the
 *    2×2 merge-window order of the patches and repeated over temporal groups;
 * 2. the 2-D RoPE tables: half of each head's rotary frequencies follow the patch row, half the
 *    column (pre-merge coordinates, window order).
 *
 * The sample points, weights and angles are computed once per call from the grid in plain JS; the
 * position blend is then two small 2-D matmuls per item, the RoPE tables two constant tensors.
 *
 * Legend: P patches, C width, N grid side, d head dim.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors.js';
import type { ProVisionConfig } from '../../io/configs/vision.js';
import { join, loadTensor } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { PRO_VISION_ROPE_THETA, checkProVisionConfig, positionGridSide } from './config.js';
import { type GridThw, checkGridThw, proWindowCoords } from './grid.js';

/** One axis of the bilinear blend: lower / upper grid index and the weight of the upper one. */
export interface PositionSamples {
  /** `⌊r_a⌋` for each of the n sample points. */
  readonly lo: number[];
  /** `min(⌊r_a⌋ + 1, N − 1)`. */
  readonly hi: number[];
  /** `r_a − ⌊r_a⌋`, the weight of `hi` (`1 − frac` goes to `lo`). */
  readonly frac: number[];
}

/**
 * The sample points of one axis (spec 6.2.2): `r_a = a·(N − 1)/(n − 1)` for `a < n`
 * (`linspace(0, N − 1, n)`; n = 1 gives r = 0), `lo = ⌊r⌋`, `hi = min(lo + 1, N − 1)`,
 * `frac = r − lo`.
 *
 * The values are float64 here and in the reference. The fast path rounds the blend weights to
 * float32; PyTorch computes `linspace` itself in float32 (its points can differ from these by
 * one float32 ulp), and the release stores the weights in BF16 (spec 6.2.2), so no float32
 * implementation reproduces the BF16 model bit for bit anyway.
 *
 * @throws ValueError unless N and n are positive integers.
 * @example
 * ```ts
 * import { proPositionSamples } from 'intern-s1-ts/internals';
 * console.log(proPositionSamples(48, 4)); // ~> { lo: [0, 15, 31, 47], hi: [1, 16, 32, 47], frac: [0, 0.667, 0.333, 0] }
 * ```
 */
export function proPositionSamples(N: number, n: number): PositionSamples {
  if (!Number.isInteger(N) || N < 1 || !Number.isInteger(n) || n < 1) {
    throw new ValueError(`proPositionSamples: grid side N and sample count n must be positive integers, got N = ${N}, n = ${n}`);
  }
  const lo: number[] = [];
  const hi: number[] = [];
  const frac: number[] = [];
  for (let a = 0; a < n; a++) {
    const r = n === 1 ? 0 : (a * (N - 1)) / (n - 1);
    const r0 = Math.floor(r);
    lo.push(r0);
    hi.push(Math.min(r0 + 1, N - 1));
    frac.push(r - r0);
  }
  return { lo, hi, frac };
}

/**
 * The learned position embedding of the Pro tower, blended bilinearly onto each item's grid:
 *
 * ```
 * pos[row, col] = (1−dr)(1−dc)·E[r0, c0] + (1−dr)·dc·E[r0, c1] + dr·(1−dc)·E[r1, c0] + dr·dc·E[r1, c1]
 * ```
 *
 * with (r0, r1, dr) from {@link proPositionSamples}(N, gh) at the patch row and (c0, c1, dc) from
 * (N, gw) at its column, E the `[N², C]` table viewed as N×N (row-major). Output rows follow the
 * patches (window order, every temporal group repeated): `[P, C]`.
 *
 * Weight: `<prefix>.weight [N², C]` (`model.visual.pos_embed.weight`, `[2304, 1024]`).
 *
 * @example
 * ```ts
 * import { ProVisionPositionEmbedding, parseProVisionConfig, memoryWeights } from 'intern-s1-ts';
 * const cfg = parseProVisionConfig({ depth: 1, hidden_size: 4, intermediate_size: 8, num_heads: 1,
 *   out_hidden_size: 4, num_position_embeddings: 4 });
 * const w = memoryWeights({ 'pos.weight': { dtype: 'F32', shape: [4, 4], data: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3] } });
 * const pos = ProVisionPositionEmbedding.fromWeights(cfg, w, 'pos');
 * pos.forward([[1, 2, 4]]).print(); // 2·row + col/3 in window order: 0, 0.333, 2, 2.333, 0.667, 1, 2.667, 3 (each row repeated over C)
 * pos.dispose();
 * ```
 */
export class ProVisionPositionEmbedding implements Disposable {
  /**
   * @param config - the vision config (N² = `num_position_embeddings`, C, m).
   * @param table - `[N², C]`.
   */
  constructor(readonly config: ProVisionConfig, readonly table: tf.Tensor2D) {
    checkProVisionConfig('ProVisionPositionEmbedding', config);
  }

  /** Load `<prefix>.weight [N², C]`. */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix = 'model.visual.pos_embed'): ProVisionPositionEmbedding {
    const op = 'ProVisionPositionEmbedding';
    checkProVisionConfig(op, config);
    const t = loadTensor(op, weights, join(prefix, 'weight'), [config.num_position_embeddings, config.hidden_size]) as tf.Tensor2D;
    return new ProVisionPositionEmbedding(config, t);
  }

  /** One temporal group of a `gh × gw` grid: `[gh·gw, C]`, rows in window order (see {@link forward}). */
  private grid(gh: number, gw: number): tf.Tensor2D {
    const N = positionGridSide(this.config);
    const C = this.config.hidden_size;
    const m = this.config.spatial_merge_size;
    return tf.tidy(() => {
      const ar = tf.tensor2d(axisWeights(N, gh), [gh, N]); // [gh, N]
      const ac = tf.tensor2d(axisWeights(N, gw), [gw, N]); // [gw, N]
      const rowsBlended = tf.matMul(ar, tf.reshape(this.table, [N, N * C])); // [gh, N·C]: (1−dr)·E[r0] + dr·E[r1]
      const byCol = tf.reshape(tf.transpose(tf.reshape(rowsBlended, [gh, N, C]), [1, 0, 2]), [N, gh * C]); // [N, gh·C]
      const both = tf.reshape(tf.matMul(ac, byCol), [gw, gh / m, m * C]); // [gw, bh, ih·C]: then over columns
      const a = tf.reshape(tf.transpose(both, [1, 0, 2]), [(gh / m) * (gw / m), m, m, C]); // [bh·bw, iw, ih, C]
      return tf.reshape(tf.transpose(a, [0, 2, 1, 3]), [gh * gw, C]) as tf.Tensor2D; // [bh·bw·ih·iw, C] window order
    });
  }

  /**
   * `gridThw` → `[P, C]` position rows in patch order.
   *
   * Computed separably (equal to the four-term blend, whose weights are products of a row and a
   * column weight): the rows of E are blended with a sparse `[gh, N]` weight matrix, then the
   * columns with a `[gw, N]` one (two 2-D matmuls, differentiable on every backend, and ~6x
   * faster on wasm than gathering four corners per patch); two transposes put the rows into
   * window order, and temporal groups repeat them.
   */
  forward(gridThw: GridThw | tf.Tensor): tf.Tensor2D {
    const grid = checkGridThw('ProVisionPositionEmbedding', gridThw, this.config.spatial_merge_size);
    return tf.tidy(() => {
      const parts = grid.map(([t, gh, gw]) => {
        const one = this.grid(gh, gw); // [gh·gw, C]
        return t === 1 ? one : tf.concat(new Array<tf.Tensor>(t).fill(one), 0); // [t·gh·gw, C]
      });
      return (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor2D; // [P, C]
    });
  }

  /** Release the table. */
  dispose(): void {
    this.table.dispose();
  }
}

/** The `[n, N]` interpolation matrix of one axis: row a holds `1 − frac` at `lo` and `frac` at `hi`. */
function axisWeights(N: number, n: number): Float32Array {
  const { lo, hi, frac } = proPositionSamples(N, n);
  const w = new Float32Array(n * N);
  for (let a = 0; a < n; a++) {
    w[a * N + lo[a]] += 1 - frac[a];
    w[a * N + hi[a]] += frac[a];
  }
  return w;
}

/** `inv_freq_k = 1 / θ^(2k / D)`, k < D/2, each step rounded to float32 as HF builds it (D = d/2). */
function visionInvFreq(D: number, theta: number): Float32Array {
  const out = new Float32Array(D / 2);
  for (let k = 0; k < D / 2; k++) out[k] = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * k) / D))));
  return out;
}

/**
 * The 2-D RoPE tables of the Pro tower (spec 6.2.2), built in float32 (gotcha 10.3):
 * with `D = d/2` rotary lanes per axis and `inv_freq_k = θ^(−2k/D)` for `k < D/2`,
 * a patch at pre-merge (row, col) gets `φ = [row·inv_freq, col·inv_freq]` (D values, float32
 * products) and `emb = [φ, φ]` (d values); the tables are `cos(emb)` and `sin(emb)`. With
 * `applyRope` (rotate_half: lane i pairs with lane i + d/2) this rotates lanes
 * `0..d/4−1` and `d/2..3d/4−1` by the row, the others by the column.
 *
 * @param gridThw - the items' `[t, gh, gw]` rows.
 * @param headDim - d, a multiple of 4 (64 in the release).
 * @param mergeSize - m (2).
 * @param theta - θ (10000).
 * @returns `{ cos, sin }`, each `[P, d]` float32, rows in patch order.
 * @throws ValueError for a head dim that is not a positive multiple of 4, a bad θ, or a bad grid.
 * @example
 * ```ts
 * import { proVisionRopeTables } from 'intern-s1-ts';
 * const { cos, sin } = proVisionRopeTables([[1, 2, 2]], 8);
 * cos.print(); // patch 3 (row 1, col 1): [cos 1, cos 0.01, cos 1, cos 0.01, cos 1, cos 0.01, cos 1, cos 0.01]
 * ```
 */
export function proVisionRopeTables(gridThw: GridThw | tf.Tensor, headDim: number, mergeSize = 2, theta = PRO_VISION_ROPE_THETA): {
  /** `cos(emb)`, `[P, d]` float32, rows in patch order. */
  cos: tf.Tensor2D;
  /** `sin(emb)`, `[P, d]` float32, rows in patch order. */
  sin: tf.Tensor2D;
} {
  if (!Number.isInteger(headDim) || headDim < 4 || headDim % 4 !== 0) {
    throw new ValueError(`proVisionRopeTables: 'headDim' must be a positive multiple of 4, got ${headDim}`);
  }
  if (!Number.isFinite(theta) || !(theta > 0)) throw new ValueError(`proVisionRopeTables: 'theta' must be a finite positive number, got ${theta}`);
  const { rows, cols } = proWindowCoords(gridThw, mergeSize);
  const d = headDim;
  const Q = d / 4;
  const inv = visionInvFreq(d / 2, theta);
  const P = rows.length;
  const cos = new Float32Array(P * d);
  const sin = new Float32Array(P * d);
  for (let j = 0; j < P; j++) {
    for (let i = 0; i < d; i++) {
      const lane = i % (d / 2); // emb = [φ, φ]
      const phi = Math.fround((lane < Q ? rows[j] : cols[j]) * inv[lane % Q]);
      cos[j * d + i] = Math.cos(phi);
      sin[j * d + i] = Math.sin(phi);
    }
  }
  return { cos: tf.tensor2d(cos, [P, d]), sin: tf.tensor2d(sin, [P, d]) };
}
