/**
 * Images from the browser's own types: `ImageData` (pure, no DOM needed), and `ImageBitmap`,
 * `HTMLImageElement`, `HTMLCanvasElement`, `OffscreenCanvas` or encoded bytes through a 2-D
 * canvas (needs a DOM or a worker with `OffscreenCanvas` / `createImageBitmap`).
 *
 * Alpha is dropped, not composited, as PIL's `convert('RGB')` and {@link decodeImage} do. A canvas
 * holds premultiplied pixels, so a pixel with alpha < 255 may come back with its colour rounded
 * (the browser's un-premultiplication); opaque pixels are exact. Decoding bytes with the browser
 * ({@link decodeImageWithBrowser}) uses the browser's decoders (asked for no colour-space
 * conversion and no premultiplication), which are not PIL's: JPEG may differ by a few levels. {@link decodeImage} (JPEG, pure JS) stays the
 * PIL-close path for JPEG in the browser; PNG needs this module or Node (see `decode.ts`).
 *
 * @module
 */
import { ValueError } from '../errors.js';
import { MAX_IMAGE_PIXELS, type RgbImage } from './types.js';

/** The part of an `ImageData` used: RGBA bytes, row-major. */
export interface ImageDataLike {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `width · height · 4` RGBA bytes. */
  readonly data: Uint8ClampedArray | Uint8Array;
}

/**
 * An {@link RgbImage} from an `ImageData` (RGBA, as `getImageData` returns it): alpha dropped.
 *
 * @throws ValueError for a non-positive size or a data length other than `width · height · 4`.
 * @example
 * ```ts
 * import { imageFromImageData } from 'intern-s1-ts';
 * const img = imageFromImageData({ width: 1, height: 1, data: new Uint8ClampedArray([10, 20, 30, 0]) });
 * console.log(Array.from(img.data)); // => [10, 20, 30]
 * ```
 */
export function imageFromImageData(image: ImageDataLike): RgbImage {
  const { width, height, data } = image ?? ({} as ImageDataLike);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ValueError(`imageFromImageData: size ${width}x${height}; width and height must be integers >= 1`);
  }
  if (width * height > MAX_IMAGE_PIXELS) throw new ValueError(`imageFromImageData: ${width}x${height} is over the ${MAX_IMAGE_PIXELS}-pixel limit`);
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array) || data.length !== width * height * 4) {
    throw new ValueError(`imageFromImageData: 'data' must be ${width * height * 4} RGBA bytes (Uint8ClampedArray), got ${data?.length ?? typeof data}`);
  }
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = data[i * 4];
    out[i * 3 + 1] = data[i * 4 + 1];
    out[i * 3 + 2] = data[i * 4 + 2];
  }
  return { width, height, data: out };
}

type Loose = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A drawable: `ImageBitmap`, `HTMLImageElement`, `HTMLCanvasElement`, `OffscreenCanvas`, `VideoFrame`. */
export type Drawable = object;

function sizeOf(src: Loose): [number, number] {
  const w = src.naturalWidth || src.videoWidth || src.displayWidth || src.width;
  const h = src.naturalHeight || src.videoHeight || src.displayHeight || src.height;
  return [Number(w), Number(h)];
}

/**
 * An {@link RgbImage} from anything a 2-D canvas can draw (an `ImageBitmap`, a loaded
 * `HTMLImageElement`, a canvas), at its natural size. Needs `OffscreenCanvas` or a `document`.
 *
 * @throws ValueError when there is no canvas in this environment or the source has no size (an
 *   image element not loaded yet).
 */
export function imageFromBitmap(source: Drawable): RgbImage {
  const g = globalThis as unknown as Loose;
  const [w, h] = sizeOf(source as Loose);
  if (!(w >= 1 && h >= 1)) throw new ValueError(`imageFromBitmap: the source has size ${w}x${h} (an image element must be loaded first)`);
  let canvas: Loose;
  if (typeof g.OffscreenCanvas === 'function') canvas = new g.OffscreenCanvas(w, h);
  else if (g.document?.createElement) {
    canvas = g.document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
  } else throw new ValueError('imageFromBitmap: needs a DOM (document) or OffscreenCanvas; in Node use decodeImage(bytes)');
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as Loose | null;
  if (!ctx) throw new ValueError('imageFromBitmap: could not get a 2-D canvas context');
  ctx.drawImage(source, 0, 0);
  return imageFromImageData(ctx.getImageData(0, 0, w, h) as ImageDataLike);
}

/**
 * Decode encoded image bytes (PNG, JPEG, WebP, ... whatever the browser reads) with the browser's
 * decoder: `createImageBitmap`, then {@link imageFromBitmap}. Not PIL-exact (see the module note).
 *
 * @throws ValueError when `createImageBitmap` is missing or the browser cannot decode the bytes.
 */
export async function decodeImageWithBrowser(bytes: Uint8Array, type = ''): Promise<RgbImage> {
  const g = globalThis as unknown as Loose;
  if (typeof g.createImageBitmap !== 'function' || typeof g.Blob !== 'function') {
    throw new ValueError('decodeImageWithBrowser: needs createImageBitmap (a browser or a worker); in Node use decodeImage(bytes)');
  }
  let bitmap: Loose;
  try {
    bitmap = await g.createImageBitmap(new g.Blob([bytes], type ? { type } : {}), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (e) {
    throw new ValueError(`decodeImageWithBrowser: the browser cannot decode these ${bytes.length} bytes (${(e as Error).message})`);
  }
  try {
    return imageFromBitmap(bitmap);
  } finally {
    bitmap.close?.();
  }
}
