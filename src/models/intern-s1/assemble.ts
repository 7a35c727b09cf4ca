/**
 * Multimodal sequence assembly (spec section 8): token embeddings with the placeholder rows
 * replaced, in prompt order, by encoder features (PyTorch `masked_scatter` semantics).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../../errors.js';
import { gather } from '../../ops/gather.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';

/** One modality to scatter: its placeholder token id and its feature rows, concatenated in prompt order. */
export interface Placeholder {
  /** Name used in error messages, e.g. `image` or `time series`. */
  readonly name: string;
  /** The placeholder token id (`<IMG_CONTEXT>`, `<|image_pad|>`, `<TS_CONTEXT>`, ...). */
  readonly tokenId: number;
  /** Features `[N, D]`, one row per placeholder token, items concatenated in prompt order. */
  readonly features: tf.Tensor;
}

/** Row positions (flat over B·T, batch-major) where `ids == tokenId`. */
export function placeholderRows(ids: ArrayLike<number>, tokenId: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === tokenId) rows.push(i);
  return rows;
}

/**
 * Replace placeholder rows of `embeds` by feature rows (spec 8, `masked_scatter`): for each
 * modality, the n-th row (batch-major, then sequence order) whose id equals its `tokenId` receives
 * feature row n. Other rows are unchanged.
 *
 * `E'[r] = features_m[rank_m(r)]` if `ids[r] = tokenId_m`, else `E[r]`.
 *
 * Shapes: `embeds [B, T, D]`, `ids` flat `B·T` (host array), each `features [N_m, D]` with
 * `N_m` = number of placeholders of modality m → `[B, T, D]`. Implemented as one gather over
 * `concat(E, F_1, F_2, ...)`, so it is differentiable in both the embeddings and the features.
 *
 * @throws ShapeError when a placeholder count differs from its feature row count (the message gives
 *   both numbers), or when widths disagree; ValueError when two modalities share a token id.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { scatterFeatures } from 'intern-s1-ts/internals';
 * const E = tf.zeros([1, 3, 2]);
 * const out = scatterFeatures(E, [5, 9, 9], [{ name: 'image', tokenId: 9, features: tf.ones([2, 2]) }]);
 * out.print(); // => [[[0, 0], [1, 1], [1, 1]]]
 * ```
 */
export function scatterFeatures(embeds: tf.Tensor, ids: ArrayLike<number>, placeholders: readonly Placeholder[]): tf.Tensor {
  const op = 'scatterFeatures';
  checkFloat(op, 'embeds', embeds);
  checkRank(op, 'embeds', embeds, 3);
  const [B, T, D] = embeds.shape;
  if (ids.length !== B * T) throw new ShapeError(`${op}: 'ids' has ${ids.length} entries but 'embeds' is ${fmtShape(embeds.shape)} (B·T = ${B * T})`);
  const seen = new Set<number>();
  const index = Int32Array.from({ length: B * T }, (_, i) => i); // row r of the output reads row index[r]
  let offset = B * T;
  for (const p of placeholders) {
    if (seen.has(p.tokenId)) throw new ValueError(`${op}: token id ${p.tokenId} is used by two modalities`);
    seen.add(p.tokenId);
    checkFloat(op, `${p.name} features`, p.features);
    checkRank(op, `${p.name} features`, p.features, 2);
    const rows = placeholderRows(ids, p.tokenId);
    const [n, d] = p.features.shape;
    if (rows.length !== n) {
      throw new ShapeError(`${op}: the prompt has ${rows.length} ${p.name} placeholder tokens (id ${p.tokenId}) but the encoder produced ${n} feature rows`);
    }
    if (d !== D) throw new ShapeError(`${op}: ${p.name} features have width ${d} but the embeddings have ${D}`);
    rows.forEach((r, j) => (index[r] = offset + j));
    offset += n;
  }
  if (placeholders.length === 0) return tf.clone(embeds);
  return tf.tidy(() => {
    const table = tf.concat([tf.reshape(embeds, [B * T, D]), ...placeholders.map((p) => p.features)], 0); // [B·T + ΣN, D]
    const out = gather(table, tf.tensor1d(index, 'int32')); // [B·T, D] (wasm-safe gradient)
    return tf.reshape(out, [B, T, D]);
  });
}
