/**
 * Reference patch grids of the Pro vision tower (spec 6.2.1, 6.2.2, 8.2), in plain loops.
 *
 * Patch order: items, temporal groups `τ < t`, m×m windows row-major (`bh < gh/m`, `bw < gw/m`),
 * row-major inside a window (`ih, iw < m`); the patch sits at `row = bh·m + ih`, `col = bw·m + iw`.
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import type { VideoGroup } from '../../../src/tokenizer/chat.js';

/** Rows `[t, gh, gw]`, one per image or video. */
export type GridThw = readonly (readonly number[])[];

/** Check the rows (positive integers, gh and gw multiples of m) and return them as triples. */
export function checkGridThw(op: string, gridThw: GridThw | NDArray, mergeSize: number): [number, number, number][] {
  const rows: number[][] = [];
  if (Array.isArray(gridThw)) {
    for (const r of gridThw as GridThw) rows.push([...r]);
  } else {
    const a = gridThw as NDArray;
    for (let i = 0; i < a.shape[0]; i++) rows.push([a.get(i, 0), a.get(i, 1), a.get(i, 2)]);
  }
  if (rows.length === 0) throw new Error(`${op}: 'gridThw' is empty`);
  return rows.map((r, i) => {
    if (r.length !== 3 || !r.every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`${op}: 'gridThw[${i}]' must be three positive integers, got [${r.join(', ')}]`);
    if (r[1] % mergeSize !== 0 || r[2] % mergeSize !== 0) throw new Error(`${op}: 'gridThw[${i}]': gh and gw must be multiples of ${mergeSize}`);
    return [r[0], r[1], r[2]];
  });
}

/** `P = Σ t·gh·gw`. */
export function proPatchCount(grid: readonly (readonly [number, number, number])[]): number {
  let P = 0;
  for (const [t, gh, gw] of grid) P += t * gh * gw;
  return P;
}

/** Pre-merge row and column of every patch, in patch order. */
export function proWindowCoords(gridThw: GridThw | NDArray, mergeSize = 2): {
  /** Pre-merge row of each patch (P values). */
  rows: number[];
  /** Pre-merge column of each patch (P values). */
  cols: number[];
} {
  const m = mergeSize;
  const rows: number[] = [];
  const cols: number[] = [];
  for (const [t, gh, gw] of checkGridThw('proWindowCoords', gridThw, m)) {
    for (let tau = 0; tau < t; tau++) {
      for (let bh = 0; bh < gh / m; bh++) {
        for (let bw = 0; bw < gw / m; bw++) {
          for (let ih = 0; ih < m; ih++) {
            for (let iw = 0; iw < m; iw++) {
              rows.push(bh * m + ih);
              cols.push(bw * m + iw);
            }
          }
        }
      }
    }
  }
  return { rows, cols };
}

/** Attention blocks: `gh·gw` for every temporal group of every item (HF `cu_seqlens`). */
export function proVisionSeqLens(gridThw: GridThw | NDArray, mergeSize = 2): number[] {
  const out: number[] = [];
  for (const [t, gh, gw] of checkGridThw('proVisionSeqLens', gridThw, mergeSize)) {
    for (let tau = 0; tau < t; tau++) out.push(gh * gw);
  }
  return out;
}

/** Visual tokens per item, `t·gh·gw / m²`. */
export function proVisionTokenCounts(gridThw: GridThw | NDArray, mergeSize = 2): number[] {
  return checkGridThw('proVisionTokenCounts', gridThw, mergeSize).map(([t, gh, gw]) => (t * gh * gw) / (mergeSize * mergeSize));
}

/** Temporal groups of one video: group g's seconds = mean of its first and last frame (last frame repeated to fill). */
export function proVideoGroups(gridThw: readonly number[], frameSeconds: readonly number[], options: { mergeSize?: number; temporalPatchSize?: number } = {}): VideoGroup[] {
  const m = options.mergeSize ?? 2;
  const tp = options.temporalPatchSize ?? 2;
  const [[t, gh, gw]] = checkGridThw('proVideoGroups', [gridThw], m);
  if (Math.ceil(frameSeconds.length / tp) !== t) throw new Error(`proVideoGroups: ${frameSeconds.length} frames do not make t = ${t} groups of ${tp}`);
  const groups: VideoGroup[] = [];
  for (let g = 0; g < t; g++) {
    const first = frameSeconds[g * tp];
    const last = frameSeconds[Math.min(g * tp + tp - 1, frameSeconds.length - 1)];
    groups.push({ seconds: (first + last) / 2, tokens: (gh * gw) / (m * m) });
  }
  return groups;
}
