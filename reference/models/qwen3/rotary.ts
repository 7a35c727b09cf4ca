/**
 * Reference position ids and rotations (spec 5.1 RoPE, 5.3 FoPE), float64.
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import { type FopeConfig, type FopePadding, FourierPositionEmbedding } from '../../nn/fope.js';
import { applyRope, ropeTables } from '../../ops/rope.js';
import type { WeightSource } from '../../weights.js';

/** `[T]` shared by every batch row, or `[B][T]`. */
export type PositionIds = ArrayLike<number> | readonly ArrayLike<number>[];

/** Rotation tables (`[T, d]` RoPE, `[G, T, d]` FoPE). */
export interface PositionTables {
  /** cos table, `[T, d]` (RoPE) or `[G, T, d]` (FoPE). */
  cos: NDArray;
  /** sin table, same shape as `cos`. */
  sin: NDArray;
}

/** The position encoding of the decoder, RoPE or FoPE: tables for positions, then a rotation. */
export interface PositionEncoding {
  /** `'rope'` (standard RoPE) or `'fope'` (Fourier position encoding). */
  readonly kind: 'rope' | 'fope';
  /** Tables for integer positions. */
  tables(positions: ArrayLike<number>): PositionTables;
  /** Rotate `x [T, H, d]` with tables of its T positions. */
  apply(x: NDArray, tables: PositionTables): NDArray;
}

/**
 * Standard 1-D rotary position embedding, neox / rotate-half layout (spec 5.1), for Intern-S1 and
 * Intern-S1-mini: with $\omega_i = \theta^{-2i/d}$ and $\varphi_{t,i} = t\,\omega_i$,
 *
 * $$ x'_t = x_t \odot [\cos\varphi_t, \cos\varphi_t] + \operatorname{rotate\_half}(x_t) \odot [\sin\varphi_t, \sin\varphi_t], $$
 *
 * so lane $i$ and lane $i + d/2$ turn together as one complex number by the angle $\varphi_{t,i}$.
 * See {@link ropeTables} and {@link applyRope}.
 */
export class Qwen3RotaryEmbedding implements PositionEncoding {
  /** Always `'rope'`. */
  readonly kind = 'rope' as const;

  constructor(
    /** Head dim d (even). */
    readonly headDim: number,
    /** The rope base θ (`rope_theta`). */
    readonly theta: number,
  ) {}

  /** RoPE tables `[T, d]` for `positions`. */
  tables(positions: ArrayLike<number>): PositionTables {
    return ropeTables(positions, this.headDim, this.theta);
  }

  /** `x ⊙ cos + rotate_half(x) ⊙ sin`, `x [.., T, H, d]`. */
  apply(x: NDArray, tables: PositionTables): NDArray {
    return applyRope(x, tables.cos, tables.sin);
  }
}

/**
 * The config keys that choose and build the encoding: those of FoPE (src/nn/fope-config.ts, shared);
 * FoPE is used when any of the three `rope_scaling` keys is non-null, else RoPE.
 */
export type RotaryConfig = FopeConfig;

/** FoPE when any FoPE key is non-null (spec 5.3), else RoPE. */
export function positionEncoding(cfg: RotaryConfig, weights: WeightSource, rotaryPrefix: string, opts: { fopePadding?: FopePadding } = {}): PositionEncoding {
  const r = cfg.rope_scaling;
  const fope = r !== null && (r.fope_init_factor !== null || r.fope_sep_head !== null || r.num_inv_freq !== null);
  if (fope) return FourierPositionEmbedding.fromWeights(cfg, weights, rotaryPrefix, { padding: opts.fopePadding });
  return new Qwen3RotaryEmbedding(cfg.head_dim, cfg.rope_theta);
}

/** One row of ids per batch item; without ids `past .. past + T − 1`. */
export function resolvePositions(op: string, positions: PositionIds | undefined, B: number, T: number, past: number, maxPosition: number): number[][] {
  let rows: number[][];
  if (positions === undefined) rows = [Array.from({ length: T }, (_, t) => past + t)];
  else if (positions.length > 0 && typeof positions[0] !== 'number') rows = Array.from(positions as readonly ArrayLike<number>[], (r) => Array.from(r));
  else rows = [Array.from(positions as ArrayLike<number>)];
  for (const r of rows) {
    if (r.length !== T || r.some((p) => !Number.isInteger(p) || p < 0 || p >= maxPosition)) {
      throw new Error(`${op}: bad position ids [${r.join(', ')}] for T = ${T}, max ${maxPosition}`);
    }
  }
  return rows.length === B ? rows : Array.from({ length: B }, () => rows[0]);
}

/** Whether every row holds the same ids. */
export function sameRows(rows: number[][]): boolean {
  return rows.every((r) => r.length === rows[0].length && r.every((p, t) => p === rows[0][t]));
}
