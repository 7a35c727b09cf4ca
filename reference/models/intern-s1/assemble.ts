/**
 * Reference multimodal assembly (spec section 8, `masked_scatter`), row by row in float64.
 *
 * @module
 */
import { type NDArray, zeros } from '../../ndarray.js';

/** One modality: placeholder token id and its feature rows `[N, D]` in prompt order. */
export interface Placeholder {
  /** The modality's name in messages and counts (`image`, `time series`). */
  readonly name: string;
  /** Id of its placeholder token (`image_token_id`, `ts_token_id`). */
  readonly tokenId: number;
  /** Feature rows `[N, D]`, one per placeholder, in prompt order. */
  readonly features: NDArray;
}

/** Flat positions (batch-major) whose id equals `tokenId`. */
export function placeholderRows(ids: ArrayLike<number>, tokenId: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < ids.length; i++) if (ids[i] === tokenId) rows.push(i);
  return rows;
}

/**
 * `E'[b, t] = features_m[n]` when `ids[b·T + t]` is the n-th placeholder of modality m (counting
 * batch-major), else `E[b, t]`. The placeholder count must equal the feature row count.
 */
export function scatterFeatures(embeds: NDArray, ids: ArrayLike<number>, placeholders: readonly Placeholder[]): NDArray {
  const [B, T, D] = embeds.shape;
  const out = zeros([B, T, D]);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < D; c++) out.set(b, t, c, embeds.get(b, t, c));
  for (const p of placeholders) {
    const rows = placeholderRows(ids, p.tokenId);
    if (rows.length !== p.features.shape[0]) {
      throw new Error(`scatterFeatures: ${rows.length} ${p.name} placeholders but ${p.features.shape[0]} feature rows`);
    }
    rows.forEach((r, n) => {
      const b = Math.floor(r / T);
      const t = r % T;
      for (let c = 0; c < D; c++) out.set(b, t, c, p.features.get(n, c));
    });
  }
  return out;
}
