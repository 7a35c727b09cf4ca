/**
 * The plan of InternVL dynamic tiling (spec 6.1.1 steps 1 and 2): the candidate grids and the
 * choice of one for an image size, with the tiling options and constants. Integer arithmetic
 * on sizes, no pixels and no tfjs: the fast path (src/image/tiling.ts) and the reference
 * (reference/image/tiling.ts) both import this module, so it has no twin (DESIGN.md). The steps
 * that touch pixels (resize, crop, normalise) are twinned.
 *
 * @module
 */
import { ValueError } from '../errors.js';
import { checkIntIn } from '../util/check-values.js';
import { type ResizeMethod, checkResizeMethod } from './types.js';

/** ImageNet channel means (R, G, B) used by InternVL (`IMAGENET_MEAN` in its `constants.py`). */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (R, G, B) (`IMAGENET_STD`). */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/** Options of `tileImage` and {@link chooseGrid}. */
export interface TilingOptions {
  /** Tile side s in pixels (default 448, the InternViT input size). */
  readonly tileSize?: number;
  /** Fewest crops c·r (default 1; XTuner `min_dynamic_patch`). */
  readonly minTiles?: number;
  /** Most crops c·r (default 12; XTuner `max_dynamic_patch`). */
  readonly maxTiles?: number;
  /** Append the whole-image thumbnail when c·r > 1 (default true). */
  readonly useThumbnail?: boolean;
  /** Resize flavour (default `'pil'`, what InternVL trained with). */
  readonly method?: ResizeMethod;
  /** Reject images whose long / short side ratio exceeds this (default 200; a project decision). */
  readonly maxAspectRatio?: number;
}

/** The grid {@link chooseGrid} picked: `cols × rows` crops plus the thumbnail, `tiles` in all. */
export interface TileGrid {
  /** c, the number of tile columns. */
  readonly cols: number;
  /** r, the number of tile rows. */
  readonly rows: number;
  /** Whether a thumbnail tile was appended (c·r > 1 and `useThumbnail`). */
  readonly thumbnail: boolean;
  /** N = c·r + [thumbnail], the first dimension of `pixelValues`. */
  readonly tiles: number;
  /** s, the tile side. */
  readonly tileSize: number;
}

/** Validate the options, with their defaults filled in (errors name `op`). */
export function checkTilingOptions(op: string, o: TilingOptions): { s: number; min: number; max: number } {
  const s = o.tileSize ?? 448;
  const min = o.minTiles ?? 1;
  const max = o.maxTiles ?? 12;
  checkIntIn(op, 'tileSize', s, 1, 8192);
  checkIntIn(op, 'minTiles', min, 1, 256);
  checkIntIn(op, 'maxTiles', max, min, 256);
  checkResizeMethod(op, o.method);
  if (o.useThumbnail !== undefined && typeof o.useThumbnail !== 'boolean') throw new ValueError(`${op}: 'useThumbnail' must be a boolean`);
  if (o.maxAspectRatio !== undefined && !(o.maxAspectRatio >= 1)) throw new ValueError(`${op}: 'maxAspectRatio' must be >= 1, got ${o.maxAspectRatio}`);
  return { s, min, max };
}

/**
 * The candidate grids `[c, r]` of spec 6.1.1 step 1, in the order the choice visits them.
 *
 * @example
 * ```ts
 * import { candidateGrids } from 'intern-s1-ts/internals';
 * console.log(candidateGrids(1, 4)); // => [[1,1],[1,2],[2,1],[1,3],[3,1],[1,4],[2,2],[4,1]]
 * ```
 */
export function candidateGrids(minTiles = 1, maxTiles = 12): [number, number][] {
  checkIntIn('candidateGrids', 'minTiles', minTiles, 1, 256);
  checkIntIn('candidateGrids', 'maxTiles', maxTiles, minTiles, 256);
  const grids: [number, number][] = [];
  for (let c = 1; c <= maxTiles; c++) {
    for (let r = 1; r <= maxTiles; r++) if (c * r >= minTiles && c * r <= maxTiles) grids.push([c, r]);
  }
  return grids.sort((a, b) => a[0] * a[1] - b[0] * b[1]); // stable since ES2019
}

/**
 * Spec 6.1.1 step 2: the tile grid for a `width × height` image.
 *
 * @throws ValueError for non-positive sizes, bad options, or an aspect ratio over `maxAspectRatio`.
 * @example
 * ```ts
 * import { chooseGrid } from 'intern-s1-ts/internals';
 * console.log(chooseGrid(1920, 1080)); // => { cols: 4, rows: 2, thumbnail: true, tiles: 9, tileSize: 448 }
 * console.log(chooseGrid(1024, 576).cols); // => 2  -- same ratio, but too small to earn the 4x2 tie-break
 * ```
 */
export function chooseGrid(width: number, height: number, options: TilingOptions = {}): TileGrid {
  return gridFor('chooseGrid', width, height, options);
}

/** {@link chooseGrid} with errors naming `op` (tileImage validates through it). */
export function gridFor(op: string, width: number, height: number, options: TilingOptions): TileGrid {
  const { s, min, max } = checkTilingOptions(op, options);
  checkIntIn(op, 'width', width, 1, 2 ** 31);
  checkIntIn(op, 'height', height, 1, 2 ** 31);
  const ratio = Math.max(width, height) / Math.min(width, height);
  const limit = options.maxAspectRatio ?? 200;
  if (ratio > limit) {
    throw new ValueError(`${op}: aspect ratio ${ratio.toFixed(1)} of a ${width}x${height} image exceeds ${limit} (option maxAspectRatio)`);
  }
  const aspect = width / height;
  let best: [number, number] = [1, 1];
  let bestDiff = Infinity;
  for (const [c, r] of candidateGrids(min, max)) {
    const diff = Math.abs(aspect - c / r);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = [c, r];
    } else if (diff === bestDiff && width * height > 0.5 * s * s * c * r) {
      best = [c, r];
    }
  }
  const [cols, rows] = best;
  const thumbnail = (options.useThumbnail ?? true) && cols * rows > 1;
  return { cols, rows, thumbnail, tiles: cols * rows + (thumbnail ? 1 : 0), tileSize: s };
}
