/**
 * InternVL dynamic tiling for Intern-S1 / Intern-S1-mini (spec 6.1.1, [V] InternVL `dataset.py`
 * `dynamic_preprocess` + `build_transform`; defaults [V] XTuner: 448-pixel tiles, 1 to 12 tiles,
 * thumbnail on).
 *
 * 1. Candidate grids c × r with `minTiles ≤ c·r ≤ maxTiles`, listed for c = 1.., r = 1.. and
 *    stably sorted by c·r (transformers GotOcr2 order; InternVL sorts a Python set, which gives the
 *    same choice on every case we tabulated, see test/image/tiling.test.ts).
 * 2. a = W / H; the smallest |a − c/r| wins; on an exact tie the later candidate wins only if
 *    `W·H > ½·s²·c·r` (a big enough image earns more tiles).
 * 3. Resize the whole image to (c·s) × (r·s) with bicubic (Pillow's, see {@link resizeImage}),
 *    crop c·r tiles row-major: tile i is column i mod c, row ⌊i / c⌋.
 * 4. If c·r > 1, append the thumbnail: the whole image resized to s × s.
 * 5. Each tile: `(v / 255 − mean) / std` with ImageNet statistics, in float32 in the same order of
 *    operations as torchvision's `ToTensor` + `Normalize`.
 *
 * Project decision (the InternVL code has no limit): images whose aspect ratio exceeds 200 are
 * rejected as the Intern-S1-Pro processor does, because such inputs are almost always bugs
 * (a 1-pixel line becomes 12 tiles of stretched noise); `maxAspectRatio: Infinity` turns it off.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { checkIntIn } from '../util/check.js';
import { resizeImage, type ResizeMethod } from './resize.js';
import { checkOutputSize, checkResizeMethod, checkRgbImage, type RgbImage } from './types.js';

/** ImageNet channel means (R, G, B) used by InternVL (`IMAGENET_MEAN` in its `constants.py`). */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (R, G, B) (`IMAGENET_STD`). */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/** Options of {@link tileImage} and {@link chooseGrid}. */
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

/** What {@link tileImage} returns. */
export interface TiledImage {
  /** `[N, 3, s, s]` float32, tiles row-major then the thumbnail, ImageNet-normalised. */
  readonly pixelValues: tf.Tensor4D;
  /** The grid chosen. */
  readonly grid: TileGrid;
}

function checkTilingOptions(op: string, o: TilingOptions): { s: number; min: number; max: number } {
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
 * console.log(candidateGrids(1, 4)); // [[1,1],[1,2],[2,1],[1,3],[3,1],[1,4],[2,2],[4,1]]
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
 * console.log(chooseGrid(1920, 1080)); // { cols: 4, rows: 2, thumbnail: true, tiles: 9, tileSize: 448 }
 * console.log(chooseGrid(1024, 576).cols); // 2: same ratio, but too small to earn the 4x2 tie-break
 * ```
 */
export function chooseGrid(width: number, height: number, options: TilingOptions = {}): TileGrid {
  return gridFor('chooseGrid', width, height, options);
}

function gridFor(op: string, width: number, height: number, options: TilingOptions): TileGrid {
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

/**
 * InternVL dynamic tiling of one image (spec 6.1.1): the InternViT input `pixel_values`.
 *
 * Shapes: image W × H → `pixelValues [N, 3, s, s]`, N = c·r (+1 thumbnail), plus the grid.
 *
 * @param image - decoded RGB image ({@link decodeImage}).
 * @param options - tile size, tile-count range, thumbnail, resize method, aspect limit.
 * @throws ValueError for a malformed image, bad options, an aspect ratio over the limit, or a
 *   resized canvas over 100 megapixels.
 * @example
 * ```ts
 * import { readImage, tileImage } from 'intern-s1-ts';
 * const { pixelValues, grid } = tileImage(readImage('test/fixtures/images/src/photo.jpg'), { tileSize: 16, maxTiles: 4 });
 * console.log(grid, pixelValues.shape); // { cols: 2, rows: 2, thumbnail: true, tiles: 5, tileSize: 16 } [5, 3, 16, 16]
 * pixelValues.dispose();
 * ```
 */
export function tileImage(image: RgbImage, options: TilingOptions = {}): TiledImage {
  checkRgbImage('tileImage', 'image', image);
  const grid = gridFor('tileImage', image.width, image.height, options);
  const { cols: c, rows: r, tileSize: s } = grid;
  checkOutputSize('tileImage', c * s, r * s);
  const method = checkResizeMethod('tileImage', options.method);
  const pixelValues = tf.tidy(() => {
    const big = resizeImage(image, c * s, r * s, { method }); // [3, r·s, c·s]
    // Crop with a 4-D and a 3-D transpose: tfjs-wasm runs the equivalent single 5-D transpose
    // ([3, r, s, c, s] → [r, c, 3, s, s]) about 7x slower.
    const byCol = tf.transpose(tf.reshape(big, [3 * r, s, c, s]), [0, 2, 1, 3]); // [3·r, c, s, s]
    let tiles = tf.reshape(tf.transpose(tf.reshape(byCol, [3, r * c, s * s]), [1, 0, 2]), [r * c, 3, s, s]); // [c·r, 3, s, s]
    if (grid.thumbnail) tiles = tf.concat([tiles, tf.reshape(resizeImage(image, s, s, { method }), [1, 3, s, s])], 0); // [N, 3, s, s]
    const mean = tf.tensor4d(IMAGENET_MEAN as number[], [1, 3, 1, 1]);
    const std = tf.tensor4d(IMAGENET_STD as number[], [1, 3, 1, 1]);
    return tf.div(tf.sub(tf.div(tiles, 255), mean), std) as tf.Tensor4D; // [N, 3, s, s]
  });
  return { pixelValues, grid };
}
