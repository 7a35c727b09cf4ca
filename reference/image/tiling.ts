/**
 * Reference InternVL dynamic tiling (spec 6.1.1), float64: with the grid of c × r tiles chosen
 * by the shared plan (src/image/tiling-plan.ts), resize the image to (c·s) × (r·s), cut it into c·r tiles row by row, add a
 * thumbnail (the whole image at s × s) when there is more than one tile, normalise with ImageNet
 * statistics.
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';
import { IMAGENET_MEAN, IMAGENET_STD, type TileGrid, type TilingOptions, chooseGrid } from '../../src/image/tiling-plan.js';
import { type RgbImage, resizeImage } from './resize.js';

// Steps 1 and 2 (candidate grids, the choice of one) are integer planning on sizes, shared with
// the fast path (src/image/tiling-plan.ts, DESIGN.md): only the pixel steps below are twinned.
export { IMAGENET_MEAN, IMAGENET_STD, type TileGrid, type TilingOptions, candidateGrids, chooseGrid } from '../../src/image/tiling-plan.js';

/**
 * Spec 6.1.1 steps 3–5: `pixelValues [N, 3, s, s]` with tile i = (column i mod c, row ⌊i / c⌋) of
 * the (c·s) × (r·s) resize, then the thumbnail, each value `(v / 255 − mean_ch) / std_ch`.
 */
export function tileImage(image: RgbImage, options: TilingOptions = {}): {
  /** `[N, 3, s, s]` normalised tiles, crops row by row, then the thumbnail. */
  pixelValues: NDArray;
  /** The chosen grid. */
  grid: TileGrid;
} {
  const grid = chooseGrid(image.width, image.height, options);
  const { cols: c, rows: r, tileSize: s } = grid;
  const resized = resizeImage(image, c * s, r * s, { method: options.method }); // [3, r·s, c·s]
  const out = zeros([grid.tiles, 3, s, s]);
  const normalise = (v: number, ch: number) => (v / 255 - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch];
  for (let i = 0; i < c * r; i++) {
    const col = i % c;
    const row = Math.floor(i / c);
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < s; y++) {
        for (let x = 0; x < s; x++) out.set(i, ch, y, x, normalise(resized.get(ch, row * s + y, col * s + x), ch));
      }
    }
  }
  if (grid.thumbnail) {
    const thumb = resizeImage(image, s, s, { method: options.method }); // [3, s, s]
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) out.set(c * r, ch, y, x, normalise(thumb.get(ch, y, x), ch));
    }
  }
  return { pixelValues: out, grid };
}
