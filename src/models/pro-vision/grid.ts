/**
 * The patch grids of the Intern-S1-Pro vision tower (spec 6.2.1, 6.2.2, 8.2): checking
 * `image_grid_thw` / `video_grid_thw`, the pre-merge (row, col) of every patch in 2×2 merge-window
 * order, the attention blocks (one per image and temporal group), and the number of visual tokens
 * each item puts into the prompt.
 *
 * Patch order (spec 6.2.1): for each item, for each temporal group `τ < t`, windows row-major
 * (`bh < gh/m`, `bw < gw/m`), and inside a window row-major (`ih, iw < m`); the patch's
 * full-resolution coordinates are `row = bh·m + ih`, `col = bw·m + iw`.
 *
 * Legend: t temporal groups, gh × gw patch grid, m merge size, P = Σ t·gh·gw patches.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { DTypeError, ShapeError, ValueError } from '../../errors.js';
import type { VideoGroup } from '../../tokenizer/chat.js';
import { fmtShape } from '../../util/check.js';

/** Rows `[t, gh, gw]` (HF `image_grid_thw` / `video_grid_thw`), one per image or video, in prompt order. */
export type GridThw = readonly (readonly number[])[];

/** Largest patch count of one item (positions stay exact in float32 far below this). */
const MAX_PATCHES = 2 ** 24;

function rowsOf(op: string, gridThw: GridThw | tf.Tensor): number[][] {
  if (gridThw instanceof tf.Tensor) {
    if (gridThw.dtype !== 'int32') throw new DTypeError(`${op}: 'gridThw' must be an int32 tensor, got ${gridThw.dtype}`);
    if (gridThw.rank !== 2 || gridThw.shape[1] !== 3) throw new ShapeError(`${op}: 'gridThw' must have shape [N, 3], got ${fmtShape(gridThw.shape)}`);
    return gridThw.arraySync() as number[][];
  }
  if (!Array.isArray(gridThw)) throw new ValueError(`${op}: 'gridThw' must be an array of [t, gh, gw] rows or an int32 [N, 3] tensor`);
  return gridThw.map((r, i) => {
    if (!Array.isArray(r) || r.length !== 3) throw new ShapeError(`${op}: 'gridThw[${i}]' must be [t, gh, gw], got ${JSON.stringify(r)}`);
    return r.slice();
  });
}

/**
 * Validate a grid list: at least one row, each `[t, gh, gw]` of positive integers with gh and gw
 * multiples of the merge size m, and at most 2^24 patches per item.
 *
 * @param op - the calling op, for messages.
 * @param gridThw - rows `[t, gh, gw]`, or an int32 `[N, 3]` tensor.
 * @param mergeSize - m (`spatial_merge_size`, 2).
 * @returns the rows as `[t, gh, gw]` tuples.
 * @throws ValueError for an empty list or a zero / negative / fractional entry; ShapeError for a
 *   row that is not a triple or gh, gw not multiples of m; DTypeError for a non-int32 tensor.
 * @example
 * ```ts
 * import { checkGridThw } from 'intern-s1-ts/internals';
 * console.log(checkGridThw('demo', [[1, 28, 28]], 2)); // => [[1, 28, 28]]
 * ```
 */
export function checkGridThw(op: string, gridThw: GridThw | tf.Tensor, mergeSize: number): [number, number, number][] {
  const rows = rowsOf(op, gridThw);
  if (rows.length === 0) throw new ValueError(`${op}: 'gridThw' is empty (one [t, gh, gw] row per image or video)`);
  return rows.map((r, i) => {
    const [t, gh, gw] = r;
    if (![t, gh, gw].every((v) => Number.isSafeInteger(v) && v >= 1)) {
      throw new ValueError(`${op}: 'gridThw[${i}]' = [${r.join(', ')}] must hold positive integers (t·gh·gw = 0 is no image)`);
    }
    if (gh % mergeSize !== 0 || gw % mergeSize !== 0) {
      throw new ShapeError(`${op}: 'gridThw[${i}]' = [${r.join(', ')}]: gh and gw must be multiples of the merge size ${mergeSize}`);
    }
    if (t * gh * gw > MAX_PATCHES) throw new ValueError(`${op}: 'gridThw[${i}]' = [${r.join(', ')}] has more than 2^24 patches`);
    return [t, gh, gw];
  });
}

/** Total patches `P = Σ t·gh·gw` of checked rows. */
export function proPatchCount(grid: readonly (readonly [number, number, number])[]): number {
  return grid.reduce((s, [t, gh, gw]) => s + t * gh * gw, 0);
}

/**
 * The full-resolution (pre-merge) row and column of every patch, in the order of `pixel_values`
 * (spec 6.2.1): items in order, then temporal groups, then m×m windows row-major, then row-major
 * inside each window. The same (row, col) repeats for every temporal group.
 *
 * @returns `rows[j]`, `cols[j]` for patch j (`P` each).
 * @throws as {@link checkGridThw}.
 * @example
 * ```ts
 * import { proWindowCoords } from 'intern-s1-ts/internals';
 * const { rows, cols } = proWindowCoords([[1, 2, 4]], 2);
 * console.log(Array.from(rows), Array.from(cols)); // => [0, 0, 1, 1, 0, 0, 1, 1], [0, 1, 0, 1, 2, 3, 2, 3]
 * ```
 */
export function proWindowCoords(gridThw: GridThw | tf.Tensor, mergeSize = 2): {
  /** Full-resolution row of each patch, `[P]`. */
  rows: Int32Array;
  /** Full-resolution column of each patch, `[P]`. */
  cols: Int32Array;
} {
  const grid = checkGridThw('proWindowCoords', gridThw, mergeSize);
  const m = mergeSize;
  const P = proPatchCount(grid);
  const rows = new Int32Array(P);
  const cols = new Int32Array(P);
  let j = 0;
  for (const [t, gh, gw] of grid) {
    for (let tau = 0; tau < t; tau++) {
      for (let bh = 0; bh < gh / m; bh++) {
        for (let bw = 0; bw < gw / m; bw++) {
          for (let ih = 0; ih < m; ih++) {
            for (let iw = 0; iw < m; iw++, j++) {
              rows[j] = bh * m + ih;
              cols[j] = bw * m + iw;
            }
          }
        }
      }
    }
  }
  return { rows, cols };
}

/**
 * Lengths of the attention blocks (HF `cu_seqlens` differences, spec 6.2.2 and gotcha 10.14):
 * `gh·gw` once per temporal group of each item, so no patch attends across images or across the
 * frame pairs of a video.
 *
 * @example
 * ```ts
 * import { proVisionSeqLens } from 'intern-s1-ts';
 * console.log(proVisionSeqLens([[1, 4, 6], [2, 2, 2]])); // => [24, 4, 4]
 * ```
 */
export function proVisionSeqLens(gridThw: GridThw | tf.Tensor, mergeSize = 2): number[] {
  const grid = checkGridThw('proVisionSeqLens', gridThw, mergeSize);
  return grid.flatMap(([t, gh, gw]) => new Array<number>(t).fill(gh * gw));
}

/**
 * Visual tokens per item, `t·gh·gw / m²` (spec 6.2.2 merger, 8.2): the number of `<|image_pad|>`
 * copies an image's placeholder expands to (`expandMediaPlaceholders({ images: counts })`), and
 * the rows of the tower's output for that item.
 *
 * @example
 * ```ts
 * import { applyChatTemplate, expandMediaPlaceholders, proVisionTokenCounts } from 'intern-s1-ts';
 * const counts = proVisionTokenCounts([[1, 28, 28]]); // a 448×448 image
 * console.log(counts); // => [196]
 * const p = applyChatTemplate([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Describe.' }] }]);
 * console.log(expandMediaPlaceholders(p, { images: counts }).split('<|image_pad|>').length - 1); // => 196
 * ```
 */
export function proVisionTokenCounts(gridThw: GridThw | tf.Tensor, mergeSize = 2): number[] {
  const grid = checkGridThw('proVisionTokenCounts', gridThw, mergeSize);
  return grid.map(([t, gh, gw]) => (t * gh * gw) / (mergeSize * mergeSize));
}

/**
 * The temporal groups of one video for its prompt (spec 8.2): group g holds frames
 * `g·Tp .. g·Tp + Tp − 1` (the last frame repeated when the count is not a multiple of Tp, as in
 * preprocessing), its timestamp is the mean of its first and last frame's seconds, and it has
 * `gh·gw / m²` tokens. Pass the result as one entry of `expandMediaPlaceholders({ videos })`.
 *
 * @param gridThw - the video's `[t, gh, gw]` row.
 * @param frameSeconds - the timestamp (seconds) of each sampled frame, in order; `ceil(n / Tp)` must be t.
 * @throws ValueError when the frame count does not give t groups, or a timestamp is not finite.
 * @example
 * ```ts
 * import { proVideoGroups } from 'intern-s1-ts/internals';
 * console.log(proVideoGroups([2, 4, 4], [0, 0.5, 1, 1.5])); // ~> [{ seconds: 0.25, tokens: 4 }, { seconds: 1.25, tokens: 4 }]
 * ```
 */
export function proVideoGroups(gridThw: readonly number[], frameSeconds: readonly number[], options: { mergeSize?: number; temporalPatchSize?: number } = {}): VideoGroup[] {
  const m = options.mergeSize ?? 2;
  const tp = options.temporalPatchSize ?? 2;
  const [[t, gh, gw]] = checkGridThw('proVideoGroups', [gridThw], m);
  if (!Number.isInteger(tp) || tp < 1) throw new ValueError(`proVideoGroups: 'temporalPatchSize' must be a positive integer, got ${tp}`);
  if (!frameSeconds.every((s) => Number.isFinite(s))) throw new ValueError(`proVideoGroups: 'frameSeconds' must be finite numbers`);
  if (Math.ceil(frameSeconds.length / tp) !== t) {
    throw new ValueError(`proVideoGroups: ${frameSeconds.length} frame timestamps make ${Math.ceil(frameSeconds.length / tp)} groups of ${tp}, but the grid has t = ${t}`);
  }
  const padded = [...frameSeconds];
  while (padded.length < t * tp) padded.push(padded[padded.length - 1]);
  return Array.from({ length: t }, (_, g) => ({ seconds: (padded[g * tp] + padded[g * tp + tp - 1]) / 2, tokens: (gh * gw) / (m * m) }));
}
