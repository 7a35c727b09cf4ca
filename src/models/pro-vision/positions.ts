/**
 * The two position signals of the Intern-S1-Pro vision tower (spec 6.2.2, gotcha 10.10):
 *
 * 1. the learned N×N (48×48) position grid, sampled with an explicit bilinear blend at
 *    `linspace(0, N − 1, n)` (align-corners style, **not** a generic resize), permuted into the
 *    2×2 merge-window order of the patches and repeated over temporal groups;
 * 2. the 2-D RoPE tables: half of each head's rotary frequencies follow the patch row, half the
 *    column (pre-merge coordinates, window order).
 *
 * Both are computed once per call from the grid in plain JS (index and weight tables), so the
 * tensors are one gather and two constant tables.
 *
 * Legend: P patches, C width, N grid side, d head dim.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors.js';
import type { ProVisionConfig } from '../../io/configs/vision.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { join, loadTensor } from '../internvit/load.js';
import { PRO_VISION_ROPE_THETA, checkProVisionConfig, positionGridSide } from './config.js';
import { type GridThw, checkGridThw, proPatchCount, proWindowCoords } from './grid.js';

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
 * import { proPositionSamples } from 'intern-s1-ts';
 * console.log(proPositionSamples(48, 4)); // lo [0, 15, 31, 47], hi [1, 16, 32, 47], frac [0, 0.667, 0.333, 0]
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
  /** @param table - `[N², C]`. */
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

  /**
   * Gather indices `[4·P]` (blocks: E[r0,c0], E[r0,c1], E[r1,c0], E[r1,c1]) and blend weights
   * `[4·P]` (float32) for the patches of `gridThw`.
   */
  blend(gridThw: GridThw | tf.Tensor): { indices: Int32Array; weights: Float32Array } {
    const m = this.config.spatial_merge_size;
    const N = positionGridSide(this.config);
    const grid = checkGridThw('ProVisionPositionEmbedding', gridThw, m);
    const P = proPatchCount(grid);
    const indices = new Int32Array(4 * P);
    const weights = new Float32Array(4 * P);
    let j = 0;
    for (const row of grid) {
      const rs = proPositionSamples(N, row[1]);
      const cs = proPositionSamples(N, row[2]);
      const { rows, cols } = proWindowCoords([row], m);
      for (let k = 0; k < rows.length; k++, j++) {
        const [a, b] = [rows[k], cols[k]];
        const [dr, dc] = [rs.frac[a], cs.frac[b]];
        const quad = [[rs.lo[a], cs.lo[b], (1 - dr) * (1 - dc)], [rs.lo[a], cs.hi[b], (1 - dr) * dc], [rs.hi[a], cs.lo[b], dr * (1 - dc)], [rs.hi[a], cs.hi[b], dr * dc]];
        quad.forEach(([r, c, w], q) => {
          indices[q * P + j] = r * N + c;
          weights[q * P + j] = w;
        });
      }
    }
    return { indices, weights };
  }

  /** `gridThw` → `[P, C]` position rows in patch order. */
  forward(gridThw: GridThw | tf.Tensor): tf.Tensor2D {
    const { indices, weights } = this.blend(gridThw);
    const P = indices.length / 4;
    const C = this.config.hidden_size;
    return tf.tidy(() => {
      const rows = tf.gather(this.table, tf.tensor1d(indices, 'int32')); // [4·P, C]
      const w = tf.tensor3d(weights, [4, P, 1]); // [4, P, 1]
      return tf.sum(tf.mul(tf.reshape(rows, [4, P, C]), w), 0) as tf.Tensor2D; // [P, C]
    });
  }

  dispose(): void {
    this.table.dispose();
  }
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
export function proVisionRopeTables(gridThw: GridThw | tf.Tensor, headDim: number, mergeSize = 2, theta = PRO_VISION_ROPE_THETA): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
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
