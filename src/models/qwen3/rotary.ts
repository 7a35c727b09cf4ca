/**
 * Position ids and the position rotation of the text decoder: RoPE (spec 5.1; Intern-S1, mini)
 * or FoPE (spec 5.3; Intern-S1-Pro when the config says so), behind one interface so the
 * attention does not care which.
 *
 * Position ids are plain integers, one row per batch item (`[T]` shared by every row, or `[B][T]`).
 * Without ids, a layer uses `past + 0 .. past + T − 1` where `past` is the KV-cache length
 * (spec 8: positions are plain 0..T−1 integers).
 *
 * Legend: B batch, T tokens, H heads, d head dim.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../../errors.js';
import { fopeEnabled, type TextConfigBase } from '../../io/configs/text.js';
import type { WeightSource } from '../../io/weights.js';
import { type FopePadding, FourierPositionEmbedding } from '../../nn/fope.js';
import type { Disposable } from '../../nn/linear.js';
import { applyRope, ropeTables } from '../../ops/rope.js';

/** Position ids: `[T]` for every batch row, or one `[T]` row per batch item (`[B][T]`). */
export type PositionIds = ArrayLike<number> | readonly ArrayLike<number>[];

/** Rotation tables for some positions (`[T, d]` for RoPE, `[G, T, d]` for FoPE). */
export interface PositionTables {
  /** cos table, `[T, d]` (RoPE) or `[G, T, d]` (FoPE), float32. */
  cos: tf.Tensor;
  /** sin table, same shape as `cos`. */
  sin: tf.Tensor;
}

/** RoPE or FoPE: tables for any positions (KV-cache aware) and their application to q or k. */
export interface PositionEncoding extends Disposable {
  /** `'rope'` (standard RoPE) or `'fope'` (Fourier position encoding). */
  readonly kind: 'rope' | 'fope';
  /** Tables for integer positions. */
  tables(positions: ArrayLike<number>): PositionTables;
  /** Rotate `x [T, H, d]` or `[B, T, H, d]` with tables of its T positions. */
  apply(x: tf.Tensor, tables: PositionTables): tf.Tensor;
}

/**
 * Standard 1-D RoPE, neox layout (spec 5.1), with tables built in float32 by `ropeTables`.
 *
 * $x'_t = x_t \odot \cos_t + \operatorname{rotate\_half}(x_t) \odot \sin_t$ with angles
 * $\varphi_{t,i} = t\,\theta^{-2i/d}$. Reference twin: {@link reference!Qwen3RotaryEmbedding | Qwen3RotaryEmbedding}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Qwen3RotaryEmbedding } from 'intern-s1-ts';
 * const rope = new Qwen3RotaryEmbedding(8, 1e6);
 * const t = rope.tables([0, 1]);
 * console.log(rope.apply(tf.ones([2, 3, 8]), t).shape); // => [2, 3, 8]
 * ```
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

  tables(positions: ArrayLike<number>): PositionTables {
    return ropeTables(positions, this.headDim, this.theta);
  }

  apply(x: tf.Tensor, tables: PositionTables): tf.Tensor {
    return applyRope(x, tables.cos, tables.sin);
  }

  /** A no-op: RoPE holds no tensors. */
  dispose(): void {}
}

/** The FoPE padding option of {@link positionEncoding}. */
export interface PositionEncodingOptions {
  /** FoPE padding of the clipped lanes (default: the trained models' cos = sin = 1). */
  fopePadding?: FopePadding;
}

/**
 * The position encoding a config asks for: FoPE when any FoPE key of `rope_scaling` is set
 * (spec 5.3; coefficients from `<rotaryPrefix>.cos_coef` / `.sin_coef`), else RoPE.
 *
 * @example
 * ```ts
 * import { positionEncoding, memoryWeights } from 'intern-s1-ts/internals';
 * const cfg = { head_dim: 8, num_key_value_heads: 1, rope_theta: 1e6, max_position_embeddings: 64, rope_scaling: null };
 * console.log(positionEncoding(cfg, memoryWeights({}), 'model.rotary_emb').kind); // => 'rope'
 * ```
 */
export function positionEncoding(
  cfg: Pick<TextConfigBase, 'head_dim' | 'num_key_value_heads' | 'rope_theta' | 'max_position_embeddings' | 'rope_scaling'>,
  weights: WeightSource, rotaryPrefix: string, opts: PositionEncodingOptions = {},
): PositionEncoding {
  if (fopeEnabled(cfg as TextConfigBase)) return FourierPositionEmbedding.fromWeights(cfg, weights, rotaryPrefix, { padding: opts.fopePadding });
  return new Qwen3RotaryEmbedding(cfg.head_dim, cfg.rope_theta);
}

/**
 * Validate position ids against a batch `[B, T]` and return one row per batch item. Without ids,
 * `past .. past + T − 1`. Every id must be an integer in `[0, maxPosition)`.
 *
 * Decision: `maxPosition` defaults to the config's `max_position_embeddings` (the trained
 * window); a caller who wants to study extrapolation raises it explicitly (up to 2^24, where
 * float32 positions stop being exact).
 *
 * @throws ShapeError when a row's length is not T or the row count is neither 1 nor B;
 *   ValueError for a negative, fractional or too large id.
 */
export function resolvePositions(op: string, positions: PositionIds | tf.Tensor | undefined, B: number, T: number, past: number, maxPosition: number): number[][] {
  let rows: number[][];
  if (positions === undefined) {
    rows = [Array.from({ length: T }, (_, t) => past + t)];
  } else if (positions instanceof tf.Tensor) {
    if (positions.dtype !== 'int32' || (positions.rank !== 1 && positions.rank !== 2)) {
      throw new ShapeError(`${op}: 'positions' tensor must be int32 [T] or [B, T], got ${positions.dtype} [${positions.shape.join(', ')}]`);
    }
    const v = Array.from(positions.dataSync());
    const n = positions.rank === 1 ? 1 : positions.shape[0];
    const len = positions.shape[positions.rank - 1];
    rows = Array.from({ length: n }, (_, b) => v.slice(b * len, (b + 1) * len));
  } else if (positions.length > 0 && typeof positions[0] !== 'number') {
    rows = Array.from(positions as readonly ArrayLike<number>[], (r) => Array.from(r));
  } else {
    rows = [Array.from(positions as ArrayLike<number>)];
  }
  if (rows.length !== 1 && rows.length !== B) throw new ShapeError(`${op}: 'positions' has ${rows.length} rows, expected 1 or the batch size ${B}`);
  rows.forEach((r, b) => {
    if (r.length !== T) throw new ShapeError(`${op}: 'positions' row ${b} has ${r.length} ids but the input has T = ${T} tokens`);
    r.forEach((p, t) => {
      if (!Number.isInteger(p) || p < 0 || p >= maxPosition) {
        throw new ValueError(`${op}: position id ${p} at [${b}, ${t}] is outside [0, ${maxPosition}) (max_position_embeddings; raise 'maxPosition' to extrapolate)`);
      }
    });
  });
  return rows.length === B ? rows : Array.from({ length: B }, () => rows[0]);
}

/** Whether every row holds the same ids (one table serves the whole batch). */
export function sameRows(rows: number[][]): boolean {
  return rows.every((r) => r.length === rows[0].length && r.every((p, t) => p === rows[0][t]));
}
