/**
 * The image type every preprocessing function takes: 8-bit RGB, row-major, channels last, as
 * {@link decodeImage} returns it and as PIL's `Image.convert('RGB')` holds it.
 *
 * @module
 */
import { ValueError } from '../errors.js';

/**
 * An 8-bit RGB image: `data[(y * width + x) * 3 + c]` is channel `c` (0 R, 1 G, 2 B) of the pixel
 * in row `y`, column `x`. No alpha: decoders drop it (see {@link decodeImage}).
 */
export interface RgbImage {
  /** Width in pixels (≥ 1). */
  readonly width: number;
  /** Height in pixels (≥ 1). */
  readonly height: number;
  /** `width * height * 3` bytes, rows top to bottom, RGB interleaved. */
  readonly data: Uint8Array;
}

/**
 * The largest image (in pixels, width × height) the library decodes, resizes to or tiles by default:
 * 100 megapixels, the same guard as Pillow's `MAX_IMAGE_PIXELS` order of magnitude and jpeg-js's
 * default. It bounds memory (a 100 MP image is 300 MB as RGB bytes, 1.2 GB as float32 planes).
 */
export const MAX_IMAGE_PIXELS = 100_000_000;

/**
 * Throw a ValueError naming `op` and `arg` unless `img` is a well-formed {@link RgbImage}:
 * positive integer sizes, a Uint8Array of exactly `width * height * 3` bytes.
 */
export function checkRgbImage(op: string, arg: string, img: unknown): asserts img is RgbImage {
  if (typeof img !== 'object' || img === null) {
    throw new ValueError(`${op}: '${arg}' must be an RgbImage {width, height, data}, got ${img === null ? 'null' : typeof img}`);
  }
  const { width, height, data } = img as Partial<RgbImage>;
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) < 1 || (height as number) < 1) {
    throw new ValueError(`${op}: '${arg}' has size ${width}x${height}; width and height must be integers >= 1`);
  }
  if (!(data instanceof Uint8Array)) {
    throw new ValueError(`${op}: '${arg}.data' must be a Uint8Array of RGB bytes`);
  }
  const want = (width as number) * (height as number) * 3;
  if (data.length !== want) {
    throw new ValueError(`${op}: '${arg}.data' has ${data.length} bytes but ${width}x${height} RGB needs ${want}`);
  }
}

/**
 * Build a validated {@link RgbImage} from raw interleaved RGB bytes.
 *
 * @throws ValueError when the sizes are not positive integers or `data` has the wrong length.
 * @example
 * ```ts
 * import { rgbImage } from 'intern-s1-ts';
 * const red = rgbImage(2, 1, new Uint8Array([255, 0, 0, 255, 0, 0]));
 * console.log(red.width, red.height); // => 2, 1
 * ```
 */
export function rgbImage(width: number, height: number, data: Uint8Array): RgbImage {
  const img = { width, height, data };
  checkRgbImage('rgbImage', 'image', img);
  return img;
}

/** Throw unless `w × h` output pixels stay within `maxPixels` (a resize or tiling target). */
export function checkOutputSize(op: string, w: number, h: number, maxPixels = MAX_IMAGE_PIXELS): void {
  if (w * h > maxPixels) {
    throw new ValueError(`${op}: output ${w}x${h} (${w * h} pixels) exceeds the limit of ${maxPixels} pixels`);
  }
}

/** `'pil'`: Pillow's fixed-point BICUBIC (default); `'torch'`: torch's float antialiased bicubic, rounded. */
export type ResizeMethod = 'pil' | 'torch';

/** Validate a resize `method` option (`'pil'` or `'torch'`); returns it with the default `'pil'`. */
export function checkResizeMethod(op: string, method: unknown): ResizeMethod {
  if (method === undefined) return 'pil';
  if (method !== 'pil' && method !== 'torch') throw new ValueError(`${op}: 'method' must be 'pil' or 'torch', got ${String(method)}`);
  return method;
}
