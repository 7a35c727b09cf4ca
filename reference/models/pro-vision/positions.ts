/**
 * Reference position signals of the Pro vision tower (spec 6.2.2, gotcha 10.10), float64:
 * the explicit bilinear blend of the learned N×N grid at `linspace(0, N − 1, n)` sample points, and
 * the 2-D RoPE tables (rows on one half of the rotary frequencies, columns on the other).
 *
 * Legend: P patches, C width, N grid side, d head dim.
 *
 * @module
 */
import { type NDArray, zeros } from '../../ndarray.js';
import type { WeightSource } from '../../weights.js';
import { PRO_VISION_ROPE_THETA, type ProVisionConfig, checkProVisionConfig, checkShape, join, positionGridSide } from './config.js';
import { type GridThw, checkGridThw, proWindowCoords } from './grid.js';

/** One axis of the blend: lower / upper grid index and the upper weight. */
export interface PositionSamples {
  /** Lower grid index `⌊r_a⌋` per output position a. */
  readonly lo: number[];
  /** Upper grid index `min(lo + 1, N − 1)`. */
  readonly hi: number[];
  /** Weight of the upper index, `r_a − lo` (the lower one gets `1 − frac`). */
  readonly frac: number[];
}

/** `r_a = a·(N − 1)/(n − 1)` (0 when n = 1), `lo = ⌊r⌋`, `hi = min(lo + 1, N − 1)`, `frac = r − lo`. */
export function proPositionSamples(N: number, n: number): PositionSamples {
  if (!Number.isInteger(N) || N < 1 || !Number.isInteger(n) || n < 1) throw new Error(`proPositionSamples: N and n must be positive integers, got ${N}, ${n}`);
  const lo: number[] = [];
  const hi: number[] = [];
  const frac: number[] = [];
  for (let a = 0; a < n; a++) {
    const r = n === 1 ? 0 : (a * (N - 1)) / (n - 1);
    lo.push(Math.floor(r));
    hi.push(Math.min(Math.floor(r) + 1, N - 1));
    frac.push(r - Math.floor(r));
  }
  return { lo, hi, frac };
}

/**
 * `pos[j] = (1−dr)(1−dc)·E[r0,c0] + (1−dr)·dc·E[r0,c1] + dr·(1−dc)·E[r1,c0] + dr·dc·E[r1,c1]` for
 * patch j at (row, col), with E[r, c] = table row `r·N + c`.
 */
export class ProVisionPositionEmbedding {
  /**
   * @param config - the vision config (N² = `num_position_embeddings`, C, m).
   * @param table - `[N², C]`.
   */
  constructor(readonly config: ProVisionConfig, readonly table: NDArray) {
    checkProVisionConfig('ProVisionPositionEmbedding', config);
  }

  /** Load `<prefix>.weight [N², C]`. */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix = 'model.visual.pos_embed'): ProVisionPositionEmbedding {
    const table = weights.array(join(prefix, 'weight'));
    checkShape('ProVisionPositionEmbedding', join(prefix, 'weight'), table.shape, [config.num_position_embeddings, config.hidden_size]);
    return new ProVisionPositionEmbedding(config, table);
  }

  /** `gridThw` → `[P, C]`, rows in patch order. */
  forward(gridThw: GridThw | NDArray): NDArray {
    const m = this.config.spatial_merge_size;
    const N = positionGridSide(this.config);
    const C = this.config.hidden_size;
    const rowsOut: number[][] = [];
    for (const item of checkGridThw('ProVisionPositionEmbedding', gridThw, m)) {
      const rs = proPositionSamples(N, item[1]);
      const cs = proPositionSamples(N, item[2]);
      const { rows, cols } = proWindowCoords([item], m);
      for (let k = 0; k < rows.length; k++) {
        const [r0, r1, dr] = [rs.lo[rows[k]], rs.hi[rows[k]], rs.frac[rows[k]]];
        const [c0, c1, dc] = [cs.lo[cols[k]], cs.hi[cols[k]], cs.frac[cols[k]]];
        const E = (r: number, c: number, ch: number) => this.table.get(r * N + c, ch);
        const row: number[] = [];
        for (let ch = 0; ch < C; ch++) {
          row.push((1 - dr) * (1 - dc) * E(r0, c0, ch) + (1 - dr) * dc * E(r0, c1, ch) + dr * (1 - dc) * E(r1, c0, ch) + dr * dc * E(r1, c1, ch));
        }
        rowsOut.push(row);
      }
    }
    const out = zeros([rowsOut.length, C]);
    rowsOut.forEach((row, j) => row.forEach((v, ch) => out.set(j, ch, v)));
    return out;
  }
}

/**
 * 2-D RoPE tables `[P, d]`: with `D = d/2`, `inv_freq_k = θ^(−2k/D)` (k < D/2, float32 steps as
 * HF), `φ = [row·inv_freq, col·inv_freq]` (float32 products, part of the model's definition,
 * gotcha 10.3), `cos = cos([φ, φ])`, `sin = sin([φ, φ])` in float64.
 */
export function proVisionRopeTables(gridThw: GridThw | NDArray, headDim: number, mergeSize = 2, theta = PRO_VISION_ROPE_THETA): {
  /** `cos([φ, φ])`, `[P, d]`, rows in patch order. */
  cos: NDArray;
  /** `sin([φ, φ])`, `[P, d]`, rows in patch order. */
  sin: NDArray;
} {
  if (!Number.isInteger(headDim) || headDim < 4 || headDim % 4 !== 0) throw new Error(`proVisionRopeTables: 'headDim' must be a positive multiple of 4, got ${headDim}`);
  const { rows, cols } = proWindowCoords(gridThw, mergeSize);
  const d = headDim;
  const D = d / 2;
  const invFreq: number[] = [];
  for (let k = 0; k < D / 2; k++) invFreq.push(Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * k) / D)))));
  const cos = zeros([rows.length, d]);
  const sin = zeros([rows.length, d]);
  for (let j = 0; j < rows.length; j++) {
    const phi: number[] = [];
    for (let k = 0; k < D / 2; k++) phi.push(Math.fround(rows[j] * invFreq[k])); // row half
    for (let k = 0; k < D / 2; k++) phi.push(Math.fround(cols[j] * invFreq[k])); // column half
    for (let i = 0; i < d; i++) {
      cos.set(j, i, Math.cos(phi[i % D]));
      sin.set(j, i, Math.sin(phi[i % D]));
    }
  }
  return { cos, sin };
}
