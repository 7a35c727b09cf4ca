/**
 * Reference InternVL dynamic tiling (spec 6.1.1), float64: choose a grid of c × r tiles from the
 * image's aspect ratio, resize the image to (c·s) × (r·s), cut it into c·r tiles row by row, add a
 * thumbnail (the whole image at s × s) when there is more than one tile, normalise with ImageNet
 * statistics.
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';
import { type ResizeMethod, type RgbImage, resizeImage } from './resize.js';

/** ImageNet channel means (R, G, B) used by InternVL (`IMAGENET_MEAN` in its `constants.py`). */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations (R, G, B). */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/** Options of {@link tileImage} (see the fast path for the defaults' sources). */
export interface TilingOptions {
  /** Tile side s in pixels (default 448). */
  readonly tileSize?: number;
  /** Fewest crops c·r (default 1). */
  readonly minTiles?: number;
  /** Most crops c·r (default 12). */
  readonly maxTiles?: number;
  /** Append the whole-image thumbnail when c·r > 1 (default true). */
  readonly useThumbnail?: boolean;
  /** Resize flavour (default `'pil'`). */
  readonly method?: ResizeMethod;
  /**
   * Accepted for parity with the fast path, which rejects images whose long / short side ratio
   * exceeds it; the reference does not check it.
   */
  readonly maxAspectRatio?: number;
}

/** The chosen grid: `cols × rows` crops plus the thumbnail, `tiles` in all. */
export interface TileGrid {
  /** c, the number of tile columns. */
  readonly cols: number;
  /** r, the number of tile rows. */
  readonly rows: number;
  /** Whether a thumbnail tile was appended (c·r > 1 and `useThumbnail`). */
  readonly thumbnail: boolean;
  /** N = c·r + [thumbnail], the first dimension of `pixelValues`. */
  readonly tiles: number;
  /** s, the tile side in pixels. */
  readonly tileSize: number;
}

/**
 * Spec 6.1.1 step 1: every (c, r) with `minTiles ≤ c·r ≤ maxTiles`, listed for c = 1.., r = 1..,
 * then stably sorted by c·r.
 */
export function candidateGrids(minTiles = 1, maxTiles = 12): [number, number][] {
  const grids: [number, number][] = [];
  for (let c = 1; c <= maxTiles; c++) {
    for (let r = 1; r <= maxTiles; r++) if (c * r >= minTiles && c * r <= maxTiles) grids.push([c, r]);
  }
  return grids.sort((a, b) => a[0] * a[1] - b[0] * b[1]); // Array.prototype.sort is stable
}

/**
 * Spec 6.1.1 step 2: with a = W / H, the candidate with the smallest |a − c/r| wins; on an exact
 * tie a later (larger) candidate replaces the best only if `W·H > ½·s²·c·r`.
 */
export function chooseGrid(width: number, height: number, options: TilingOptions = {}): TileGrid {
  const s = options.tileSize ?? 448;
  const aspect = width / height;
  let best: [number, number] = [1, 1];
  let bestDiff = Infinity;
  for (const [c, r] of candidateGrids(options.minTiles ?? 1, options.maxTiles ?? 12)) {
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
