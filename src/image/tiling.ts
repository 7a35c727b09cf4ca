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
import { resizeImage } from './resize.js';
import { IMAGENET_MEAN, IMAGENET_STD, type TileGrid, type TilingOptions, gridFor } from './tiling-plan.js';
import { checkOutputSize, checkResizeMethod, checkRgbImage, type RgbImage } from './types.js';

// Steps 1 and 2 (the grid) are pure integer planning, shared with the reference.
export { IMAGENET_MEAN, IMAGENET_STD, type TileGrid, type TilingOptions, candidateGrids, chooseGrid } from './tiling-plan.js';

/** What {@link tileImage} returns: the tiles and the grid they were cut on. */
export interface TiledImage {
  /** `[N, 3, s, s]` float32, tiles row-major then the thumbnail, ImageNet-normalised. */
  readonly pixelValues: tf.Tensor4D;
  /** The grid chosen. */
  readonly grid: TileGrid;
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
 * console.log(grid, pixelValues.shape); // => { cols: 2, rows: 2, thumbnail: true, tiles: 5, tileSize: 16 }, [5, 3, 16, 16]
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
