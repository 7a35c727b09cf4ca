/**
 * Decode PNG and JPEG files into {@link RgbImage}s, the way the Python pipelines load them
 * (`PIL.Image.open(f).convert('RGB')`, InternVL `load_image`, the HF processors' `convert_rgb`).
 *
 * Codecs are the well-kept pure-JS libraries `pngjs` and `jpeg-js`; this file only checks the
 * container first (magic bytes, chunk / segment structure, declared size) so that a bad file gets
 * an {@link ImageDecodeError} that says what is wrong and at which byte, and converts every PNG
 * colour type to 8-bit RGB with PIL's rules:
 *
 * | source | RGB |
 * |---|---|
 * | RGBA, LA, palette with tRNS, RGB/grey with tRNS | alpha **dropped**, not composited (PIL `convert('RGB')` drops it) |
 * | greyscale 1/2/4-bit | `v · 255 / (2^d − 1)` replicated to R = G = B (PIL's `L;1`, `L;2`, `L;4` unpackers) |
 * | RGB / RGBA / LA 16-bit | the high byte `v >> 8` (PIL's `RGB;16B` unpackers) |
 * | greyscale 16-bit | the high byte `v >> 8` by default; PIL itself opens it as mode `I` and clips `min(v, 255)`, which whitens almost every real 16-bit image. `{ grey16: 'pil-clip' }` reproduces that. |
 * | palette | the palette colour |
 *
 * JPEG: baseline, extended and progressive, 8-bit, 1, 3 or 4 components. jpeg-js does the entropy
 * decoding and inverse DCT; for 3-component images the chroma upsampling and YCbCr → RGB conversion
 * are then done as libjpeg-turbo (which Pillow links) does them (`jpeg-color.ts`), because
 * jpeg-js's nearest-neighbour chroma is up to ~90 levels away from PIL on sharp colour edges. What
 * remains is jpeg-js's IDCT: on the fixtures the result is within 3 levels of PIL, mean |Δ| < 0.2
 * (test/image/decode.test.ts). PNG decoding is exact. 4-component (CMYK/YCCK) JPEGs use jpeg-js's
 * conversion, which is not PIL's. EXIF orientation is ignored, as `Image.open` ignores it.
 *
 * PNG decoding (pngjs, and the inflate check on `node:zlib`) is in `decode-png.ts`, Node only: in
 * the browser entry `decodeImage` reads JPEG and refuses PNG with a BackendError that names the
 * browser path (`imageFromBitmap` / `imageFromImageData`, see `src/image/browser.ts`).
 *
 * @module
 */
import jpeg from 'jpeg-js';
import { InternS1Error, ValueError } from '../errors.js';
import { nodeHost } from '../platform/host.js';
import { libjpegYccToRgb } from './jpeg-color.js';
import { MAX_IMAGE_PIXELS, type RgbImage } from './types.js';

/** The formats {@link decodeImage} reads. */
export type ImageFormat = 'png' | 'jpeg';

/** An image file that is corrupted, truncated, empty, too large, or in an unsupported format. */
export class ImageDecodeError extends ValueError {}

/** Options of {@link decodeImage} and {@link readImage}. */
export interface DecodeOptions {
  /** Refuse images with more pixels than this, before decoding (default {@link MAX_IMAGE_PIXELS}). */
  readonly maxPixels?: number;
  /** 16-bit greyscale PNG: `'msb'` (default) keeps the high byte; `'pil-clip'` clips like PIL. */
  readonly grey16?: 'msb' | 'pil-clip';
}

/** A decoded image and the format it was read from. */
export interface DecodedImage extends RgbImage {
  /** The container the bytes were decoded from. */
  readonly format: ImageFormat;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(b: Uint8Array, magic: readonly number[], at = 0): boolean {
  return b.length >= at + magic.length && magic.every((v, i) => b[at + i] === v);
}

/**
 * The format of an encoded image from its magic bytes: `'png'`, `'jpeg'`, or `undefined` for
 * anything else.
 *
 * @example
 * ```ts
 * import { detectImageFormat } from 'intern-s1-ts';
 * console.log(detectImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))); // => 'jpeg'
 * ```
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  return undefined;
}

/** Name a few formats we do not read, for a helpful message. */
function otherFormat(b: Uint8Array): string | undefined {
  const ascii = (at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
  if (ascii(0, 4) === 'GIF8') return 'GIF';
  if (ascii(0, 2) === 'BM') return 'BMP';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') return 'WebP';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (ascii(4, 4) === 'ftyp') return `ISO media ('${ascii(8, 4)}', e.g. HEIC/AVIF)`;
  return undefined;
}

/** ImageDecodeError for a zero-size image or one over `maxPixels` (`fmt` names the container). */
export function checkSize(fmt: string, width: number, height: number, maxPixels: number): void {
  if (width === 0 || height === 0) {
    throw new ImageDecodeError(`decodeImage: ${fmt} declares a zero-size image (${width}x${height})`);
  }
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      `decodeImage: ${fmt} is ${width}x${height} = ${width * height} pixels, over the limit of ${maxPixels} (option maxPixels)`,
    );
  }
}

/**
 * Decode a PNG or JPEG held in memory into 8-bit RGB (see the module comment for the colour rules).
 *
 * @param bytes - the encoded file.
 * @param options - `maxPixels` (default 100 M) and the 16-bit greyscale rule.
 * @returns `{ width, height, data, format }`, data being `width · height · 3` RGB bytes.
 * @throws ImageDecodeError (a ValueError) for an empty, truncated or corrupted file, a zero-size or
 *   over-large image, or a format other than PNG / JPEG (the message names it).
 * @example
 * ```ts
 * import { PNG } from 'pngjs';
 * import { decodeImage } from 'intern-s1-ts';
 * const png = new PNG({ width: 2, height: 1 });
 * png.data.set([255, 0, 0, 128, 0, 0, 255, 255]); // RGBA
 * const img = decodeImage(PNG.sync.write(png));
 * console.log(img.format, img.width, img.height, Array.from(img.data)); // png 2 1 [255,0,0,0,0,255]
 * ```
 */
export function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): DecodedImage {
  if (!(bytes instanceof Uint8Array)) throw new ValueError('decodeImage: \'bytes\' must be a Uint8Array or Buffer');
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  if (bytes.length === 0) throw new ImageDecodeError('decodeImage: the data is empty (0 bytes)');
  const fmt = detectImageFormat(bytes);
  if (fmt === 'png') {
    const decodePng = nodeHost('decodeImage of a PNG', 'a JPEG, or decodeImageWithBrowser / imageFromBitmap (the browser decodes the PNG)', 'decodePng');
    return { ...decodePng(bytes, maxPixels, options.grey16 ?? 'msb'), format: 'png' };
  }
  if (fmt === 'jpeg') return { ...decodeJpeg(bytes, maxPixels), format: 'jpeg' };
  const other = otherFormat(bytes);
  const head = Array.from(bytes.subarray(0, 8), (v) => v.toString(16).padStart(2, '0')).join(' ');
  throw new ImageDecodeError(
    other
      ? `decodeImage: ${other} images are not supported; convert to PNG or JPEG first`
      : `decodeImage: not a PNG or JPEG file (first bytes: ${head})`,
  );
}

/**
 * Read and decode an image file (PNG or JPEG), like `Image.open(path).convert('RGB')`.
 *
 * @throws ValueError when the file cannot be read; ImageDecodeError as {@link decodeImage}.
 * @example
 * ```ts
 * import { readImage } from 'intern-s1-ts';
 * const img = readImage('test/fixtures/images/src/rgb8.png');
 * console.log(img.width, img.height); // => 23, 17
 * ```
 */
export function readImage(path: string, options: DecodeOptions = {}): DecodedImage {
  const readFile = nodeHost('readImage(path)', 'decodeImage(bytes), imageFromImageData or imageFromBitmap', 'readFile');
  let bytes: Uint8Array;
  try {
    bytes = readFile(path, 'image'); // refuses a FIFO or device (it would block the read forever)
  } catch (e) {
    if (e instanceof InternS1Error) throw e; // the host's own typed refusal (a FIFO, a folder)
    throw new ValueError(`readImage: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return decodeImage(bytes, options);
  } catch (e) {
    if (e instanceof ImageDecodeError) throw new ImageDecodeError(`${e.message} (file '${path}')`);
    throw e;
  }
}

// ----------------------------------------------------------------------------------------- JPEG

interface JpegHeader {
  width: number;
  height: number;
  components: number;
  /** Per component: (maxH / h, maxV / v), the subsampling factors; NaN when not integral. */
  factors: [number, number][];
  /** Per component: the sampling factors (h, v) as the frame header gives them. */
  samplings: [number, number][];
  /** libjpeg's colour-space guess for 3 components (`jdapimin.c`): JFIF, Adobe transform, ids. */
  rgb: boolean;
  /** Byte offset of the Adobe APP14 transform flag, if there is one. */
  adobeTransformAt?: number;
}

/** Walk the marker segments up to the first SOS; read the frame header; check an EOI follows. */
function jpegHeader(b: Uint8Array): JpegHeader {
  let off = 2;
  let frame: JpegHeader | undefined;
  let jfif = false;
  let adobeAt: number | undefined;
  for (;;) {
    while (off < b.length && b[off] === 0xff && b[off + 1] === 0xff) off++; // fill bytes
    if (off + 4 > b.length) throw new ImageDecodeError(`decodeImage: JPEG is truncated at byte ${b.length} (no image data)`);
    if (b[off] !== 0xff) throw new ImageDecodeError(`decodeImage: corrupted JPEG, expected a marker at byte ${off}, found 0x${b[off].toString(16)}`);
    const m = b[off + 1];
    if (m === 0xd9) throw new ImageDecodeError(`decodeImage: corrupted JPEG, end of image at byte ${off} before any scan`);
    const len = (b[off + 2] << 8) | b[off + 3];
    if (len < 2) throw new ImageDecodeError(`decodeImage: corrupted JPEG, segment 0x${m.toString(16)} at byte ${off} has length ${len}`);
    if (off + 2 + len > b.length) {
      throw new ImageDecodeError(`decodeImage: JPEG is truncated: segment 0x${m.toString(16)} at byte ${off} needs ${len + 2} bytes, only ${b.length - off} remain`);
    }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (m > 0xc2) throw new ImageDecodeError(`decodeImage: unsupported JPEG process (SOF${m - 0xc0}: lossless, hierarchical or arithmetic coding)`);
      if (b[off + 4] !== 8) throw new ImageDecodeError(`decodeImage: unsupported ${b[off + 4]}-bit JPEG (only 8-bit)`);
      frame = sofHeader(b, off);
    }
    const ascii = (n: number) => String.fromCharCode(...b.subarray(off + 4, off + 4 + n));
    if (m === 0xe0 && len >= 7 && ascii(5) === 'JFIF\0') jfif = true;
    if (m === 0xee && len >= 14 && ascii(6) === 'Adobe\0') adobeAt = off + 4 + 11;
    if (m === 0xda) {
      if (!frame) throw new ImageDecodeError(`decodeImage: corrupted JPEG, scan at byte ${off} before any frame header`);
      if (!jfif && adobeAt !== undefined) frame.rgb = b[adobeAt] === 0;
      frame.adobeTransformAt = adobeAt;
      if (jfif) frame.rgb = false;
      for (let i = off + 2 + len; i + 1 < b.length; i++) if (b[i] === 0xff && b[i + 1] === 0xd9) return frame;
      throw new ImageDecodeError(`decodeImage: JPEG is truncated: the scan starting at byte ${off} has no end-of-image marker`);
    }
    off += 2 + len;
  }
}

/** Parse a start-of-frame segment at `off`: size, components, sampling factors, component ids. */
function sofHeader(b: Uint8Array, off: number): JpegHeader {
  const nc = b[off + 9];
  if (off + 10 + 3 * nc > b.length) throw new ImageDecodeError(`decodeImage: JPEG is truncated inside the frame header at byte ${off}`);
  const hv = Array.from({ length: nc }, (_, k) => [b[off + 11 + 3 * k] >> 4, b[off + 11 + 3 * k] & 15]);
  const maxH = Math.max(...hv.map((x) => x[0]));
  const maxV = Math.max(...hv.map((x) => x[1]));
  const factors = hv.map(([fh, fv]) => [maxH % fh === 0 ? maxH / fh : NaN, maxV % fv === 0 ? maxV / fv : NaN] as [number, number]);
  const ids = Array.from({ length: nc }, (_, k) => b[off + 10 + 3 * k]);
  return {
    height: (b[off + 5] << 8) | b[off + 6], width: (b[off + 7] << 8) | b[off + 8], components: nc, factors,
    samplings: hv.map(([fh, fv]) => [Math.max(1, fh), Math.max(1, fv)] as [number, number]),
    rgb: nc === 3 && ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42, // 'R', 'G', 'B'
  };
}

/**
 * Bytes of jpeg-js working memory for a frame (its own accounting, `maxMemoryUsageInMB`): per
 * component 256 bytes per 8×8 block of the MCU-padded plane plus one byte per padded sample, then
 * the W·H·C samples of `getData` and the W·H·3 output. About 21 bytes per pixel for 4:4:4 colour,
 * 2.2 GB at the 100 MP limit.
 */
function jpegWorkingBytes(h: JpegHeader, hv: readonly [number, number][]): number {
  const maxH = Math.max(...hv.map((x) => x[0]));
  const maxV = Math.max(...hv.map((x) => x[1]));
  const mcusX = Math.ceil(h.width / (8 * maxH));
  const mcusY = Math.ceil(h.height / (8 * maxV));
  let bytes = 0;
  for (const [ch, cv] of hv) {
    const blocks = mcusX * ch * mcusY * cv;
    bytes += blocks * 256 + blocks * 64;
  }
  return bytes + h.width * h.height * (h.components + 3);
}

/**
 * Refuse a frame header the file is too small to hold (issue #12 item 9): every 8×8 block of the
 * full-resolution component costs at least one bit of entropy-coded data (its DC code, in both
 * baseline and progressive files), so a file of n bytes holds at most 8·n such blocks. A 535-byte
 * file claiming 9999×9999 is refused here, before jpeg-js allocates gigabytes for it.
 */
function checkJpegPlausible(b: Uint8Array, h: JpegHeader): void {
  const blocks = Math.ceil(h.width / 8) * Math.ceil(h.height / 8);
  if (blocks > 8 * b.length) {
    throw new ImageDecodeError(
      `decodeImage: corrupted JPEG, its frame header claims ${h.width}x${h.height} (${blocks} blocks of 8x8) but the file has only ${b.length} bytes, less than one bit per block`,
    );
  }
}

function decodeJpeg(b: Uint8Array, maxPixels: number): RgbImage {
  const h = jpegHeader(b);
  checkSize('JPEG', h.width, h.height, maxPixels);
  checkJpegPlausible(b, h);
  if (![1, 3, 4].includes(h.components)) throw new ImageDecodeError(`decodeImage: unsupported JPEG with ${h.components} components`);
  // Three components: take jpeg-js's raw components and finish like libjpeg-turbo (jpeg-color.ts).
  // jpeg-js forces its own colour transform when an Adobe marker says "YCbCr", so clear that flag
  // in a copy; the colour space was already decided from the original bytes.
  const own = h.components === 3 && h.factors.slice(0, 3).every(([fx, fy]) => Number.isInteger(fx) && Number.isInteger(fy));
  let src = b;
  if (own && h.adobeTransformAt !== undefined && b[h.adobeTransformAt] !== 0) {
    src = Uint8Array.from(b);
    src[h.adobeTransformAt] = 0;
  }
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(src, {
      useTArray: true, formatAsRGBA: false, tolerantDecoding: false, ...(own ? { colorTransform: false } : {}),
      maxResolutionInMP: Math.ceil(maxPixels / 1e6) + 1,
      // the frame was checked against maxPixels above; jpeg-js's own budget is what this frame needs
      // (a fixed 12 bytes per pixel refused valid 64 MP colour images, issue #12 item 12)
      maxMemoryUsageInMB: Math.ceil(jpegWorkingBytes(h, h.samplings) / 2 ** 20) + 64,
    });
  } catch (e) {
    throw new ImageDecodeError(`decodeImage: corrupted JPEG data (${(e as Error).message})`);
  }
  if (img.width !== h.width || img.height !== h.height || img.data.length !== h.width * h.height * 3) {
    throw new ImageDecodeError(`decodeImage: corrupted JPEG, decoded ${img.width}x${img.height} for a ${h.width}x${h.height} frame`);
  }
  if (own && !h.rgb) libjpegYccToRgb(img.data, img.width, img.height, h.factors);
  return { width: img.width, height: img.height, data: img.data };
}
