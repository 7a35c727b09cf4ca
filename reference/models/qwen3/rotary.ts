/**
 * Reference position ids and rotations (spec 5.1 RoPE, 5.3 FoPE), float64.
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import { type FopePadding, FourierPositionEmbedding } from '../../nn/fope.js';
import { applyRope, ropeTables } from '../../ops/rope.js';
import type { WeightSource } from '../../weights.js';

/** `[T]` shared by every batch row, or `[B][T]`. */
export type PositionIds = ArrayLike<number> | readonly ArrayLike<number>[];

/** Rotation tables (`[T, d]` RoPE, `[G, T, d]` FoPE). */
export interface PositionTables {
  cos: NDArray;
  sin: NDArray;
}

/** RoPE or FoPE. */
export interface PositionEncoding {
  readonly kind: 'rope' | 'fope';
  tables(positions: ArrayLike<number>): PositionTables;
  apply(x: NDArray, tables: PositionTables): NDArray;
}

/** RoPE (spec 5.1). */
export class Qwen3RotaryEmbedding implements PositionEncoding {
  readonly kind = 'rope' as const;

  constructor(readonly headDim: number, readonly theta: number) {}

  tables(positions: ArrayLike<number>): PositionTables {
    return ropeTables(positions, this.headDim, this.theta);
  }

  apply(x: NDArray, tables: PositionTables): NDArray {
    return applyRope(x, tables.cos, tables.sin);
  }
}

/** The config keys that choose and build the encoding. */
export interface RotaryConfig {
  readonly head_dim: number;
  readonly num_key_value_heads: number;
  readonly rope_theta: number;
  readonly max_position_embeddings: number;
  readonly rope_scaling: { readonly fope_init_factor: number | null; readonly fope_sep_head: boolean | null; readonly num_inv_freq: number | null } | null;
}

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
