/**
 * Bicubic image resize with Pillow's semantics (spec 6.1.1 step 3, 6.2.1, 10 item 9).
 *
 * Which resize the pipelines use:
 * - InternVL (Intern-S1 / mini training and `load_image`): `dynamic_preprocess` calls PIL
 *   `Image.resize` (default filter BICUBIC since Pillow 7) and `T.Resize(..., BICUBIC)` on PIL
 *   images, i.e. Pillow's `ImagingResample`. transformers' slow processors (Qwen2-VL's included)
 *   resize through PIL too.
 * - transformers' *fast* processors (`GotOcr2ImageProcessorFast`, `Qwen2VLImageProcessorFast`)
 *   call torchvision `F.resize(..., BICUBIC, antialias=True)` on uint8 tensors: on CPU a native
 *   uint8 kernel built to match Pillow, on GPU float `F.interpolate(antialias=True)` then
 *   `clamp(0, 255).round()`.
 *
 * So the default `method: 'pil'` reproduces Pillow **bit-exactly**: Keys's cubic kernel with
 * a = −0.5, support 2·max(in/out, 1) (antialiasing when shrinking), weights normalised and turned
 * into 22-bit fixed-point integers, a horizontal then a vertical pass, each rounding
 * (`+2^21 >> 22`) and clamping to uint8. `method: 'torch'` gives the float variant (same weights,
 * no intermediate rounding, final `round(clamp(v, 0, 255))` half to even); it agrees with torch
 * within one level. Both are checked against Pillow / torch fixtures in test/image/resize.test.ts.
 *
 * How the fast path computes it, and why not with tfjs ops: a resize is a sparse banded product
 * (5–20 taps per output). Measured on tfjs-wasm (single thread), a dense `tf.matMul` with the
 * weight matrix wastes W/taps of its work (0.9 s per pass for 1920×1080 → 1792×896), and the
 * banded block form pays ~15 ms per `tf.slice` because the wasm slice kernel copies its whole
 * input to JS. So both passes run as flat typed-array loops with Pillow's own integer arithmetic
 * (`Math.imul` / `>> 22`), about 0.1 s for that resize, exact by construction, and the result is
 * handed to tfjs as one float32 tensor; everything after the resize (cropping, normalising,
 * patch flattening) is tfjs ops. The reference twin recomputes the same arithmetic per output
 * sample in float64 (integers there are exact too), so fast and reference must agree exactly.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { checkFloat, checkIntIn, checkRank, fmtShape } from '../util/check.js';
import { checkOutputSize, checkResizeMethod, checkRgbImage, type ResizeMethod, type RgbImage } from './types.js';

/** Options of {@link resizeImage} and {@link resizePlanes}. */
export interface ResizeOptions {
  /** `'pil'` (default, what the models were trained with) or `'torch'` (HF fast processors on GPU). */
  readonly method?: ResizeMethod;
}

/** The taps of every output sample along one axis, as Pillow's `precompute_coeffs` builds them. */
interface Taps { first: Int32Array; count: Int32Array; ksize: number; w: Float64Array }

function bicubic(x: number): number {
  if (x < 0) x = -x;
  if (x < 1) return (1.5 * x - 2.5) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * -0.5;
  return 0;
}

/** Normalised weights per output (float) or their 22-bit fixed-point integers (`'pil'`). */
function computeTaps(inSize: number, outSize: number, method: ResizeMethod): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const ss = 1 / filterScale;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const w = new Float64Array(outSize * ksize);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let sum = 0;
    for (let t = 0; t < n; t++) sum += w[o * ksize + t] = bicubic((t + lo - center + 0.5) * ss);
    for (let t = 0; t < n; t++) {
      let v = sum !== 0 ? w[o * ksize + t] / sum : w[o * ksize + t];
      if (method === 'pil') v = v < 0 ? Math.trunc(-0.5 + v * 4194304) : Math.trunc(0.5 + v * 4194304);
      w[o * ksize + t] = v;
    }
    first[o] = lo;
    count[o] = n;
  }
  return { first, count, ksize, w };
}

/**
 * Pillow's horizontal pass (`ImagingResampleHorizontal_8bpc`) over `rows` rows of length `W` →
 * length `w`: `clip8((2^21 + Σ p·k) >> 22)` in int32, exactly as Pillow computes it (the sum stays
 * below 2^31 because Σ|k| < 1.2·2^22 and p ≤ 255).
 */
function pilRows(src: Uint8Array, rows: number, W: number, w: number): Uint8Array {
  const t = computeTaps(W, w, 'pil');
  const k = Int32Array.from(t.w);
  const out = new Uint8Array(rows * w);
  for (let r = 0; r < rows; r++) {
    const base = r * W;
    for (let o = 0; o < w; o++) {
      const i0 = base + t.first[o];
      const k0 = o * t.ksize;
      const n = t.count[o];
      let sum = 1 << 21;
      for (let j = 0; j < n; j++) sum = (sum + Math.imul(src[i0 + j], k[k0 + j])) | 0;
      const v = sum >> 22;
      out[r * w + o] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

/** Pillow's vertical pass (`ImagingResampleVertical_8bpc`) over planar `[C, H, w]` → float32 `[C, h, w]`. */
function pilCols(src: Uint8Array, C: number, H: number, w: number, h: number): Float32Array {
  const t = computeTaps(H, h, 'pil');
  const k = Int32Array.from(t.w);
  const out = new Float32Array(C * h * w);
  const acc = new Int32Array(w);
  for (let c = 0; c < C; c++) {
    for (let o = 0; o < h; o++) {
      acc.fill(1 << 21);
      for (let j = 0; j < t.count[o]; j++) {
        const kv = k[o * t.ksize + j];
        const row = (c * H + t.first[o] + j) * w;
        for (let x = 0; x < w; x++) acc[x] = (acc[x] + Math.imul(src[row + x], kv)) | 0;
      }
      const dst = (c * h + o) * w;
      for (let x = 0; x < w; x++) {
        const v = acc[x] >> 22;
        out[dst + x] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return out;
}

/** torch's float passes (same taps, float weights, no intermediate rounding), then round(clamp). */
function torchResize(src: Float64Array, C: number, H: number, W: number, w: number, h: number): Float32Array {
  let x = src;
  if (w !== W) {
    const t = computeTaps(W, w, 'torch');
    const y = new Float64Array(C * H * w);
    for (let r = 0; r < C * H; r++) {
      for (let o = 0; o < w; o++) {
        let sum = 0;
        for (let j = 0; j < t.count[o]; j++) sum += x[r * W + t.first[o] + j] * t.w[o * t.ksize + j];
        y[r * w + o] = sum;
      }
    }
    x = y;
  }
  if (h !== H) {
    const t = computeTaps(H, h, 'torch');
    const y = new Float64Array(C * h * w);
    for (let c = 0; c < C; c++) {
      for (let o = 0; o < h; o++) {
        for (let j = 0; j < t.count[o]; j++) {
          const kv = t.w[o * t.ksize + j];
          const row = (c * H + t.first[o] + j) * w;
          const dst = (c * h + o) * w;
          for (let q = 0; q < w; q++) y[dst + q] += x[row + q] * kv;
        }
      }
    }
    x = y;
  }
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = roundClamp(x[i]);
  return out;
}

/** Round half to even (torch.round) after clamping to 0..255. */
function roundClamp(v: number): number {
  const x = v < 0 ? 0 : v > 255 ? 255 : v;
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** Resize planar `[C, H, W]` uint8 values to float32 `[C, h, w]` (both passes, either method). */
function resizePlanar(src: Uint8Array, C: number, H: number, W: number, w: number, h: number, method: ResizeMethod): Float32Array {
  if (method === 'torch') return torchResize(Float64Array.from(src), C, H, W, w, h);
  const x = w !== W ? pilRows(src, C * H, W, w) : src; // [C, H, w]
  return h !== H ? pilCols(x, C, H, w, h) : Float32Array.from(x); // [C, h, w]
}

/** Interleaved RGB bytes → planar `[3, H, W]` bytes. */
function planarFromImage(image: RgbImage): Uint8Array {
  const n = image.width * image.height;
  const planar = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    planar[i] = image.data[i * 3];
    planar[n + i] = image.data[i * 3 + 1];
    planar[2 * n + i] = image.data[i * 3 + 2];
  }
  return planar;
}

/**
 * An RGB image as float32 planes `[3, H, W]` with values 0..255, the layout every resize and
 * tiling function works on.
 *
 * @example
 * ```ts
 * import { imageToPlanes, rgbImage } from 'intern-s1-ts/internals';
 * const t = imageToPlanes(rgbImage(2, 1, new Uint8Array([1, 2, 3, 4, 5, 6])));
 * t.print(); // => [[[1, 4]], [[2, 5]], [[3, 6]]]
 * t.dispose();
 * ```
 */
export function imageToPlanes(image: RgbImage): tf.Tensor3D {
  checkRgbImage('imageToPlanes', 'image', image);
  return tf.tensor3d(Float32Array.from(planarFromImage(image)), [3, image.height, image.width]); // [3, H, W]
}

/**
 * Bicubic resize of float32 planes `[C, H, W]` holding integer pixel values 0..255 (as
 * {@link imageToPlanes} makes them) to `[C, height, width]`, Pillow's horizontal pass then its
 * vertical pass; a pass whose size does not change is skipped (it would be the identity).
 *
 * @param planes - `[C, H, W]` float32.
 * @param width - output width ≥ 1.
 * @param height - output height ≥ 1.
 * @throws ShapeError / DTypeError for a bad tensor; ValueError for a bad size or a value that is not an integer 0..255.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { resizePlanes } from 'intern-s1-ts/internals';
 * const x = tf.tensor3d([0, 255, 0, 255], [1, 1, 4]);
 * const y = resizePlanes(x, 2, 1); // [1, 1, 2], Pillow BICUBIC
 * console.log(Array.from(y.dataSync())); // => [107, 148]
 * tf.dispose([x, y]);
 * ```
 */
export function resizePlanes(planes: tf.Tensor, width: number, height: number, options: ResizeOptions = {}): tf.Tensor3D {
  checkFloat('resizePlanes', 'planes', planes);
  checkRank('resizePlanes', 'planes', planes, 3);
  const [C, H, W] = planes.shape;
  if (C < 1 || H < 1 || W < 1) throw new ValueError(`resizePlanes: 'planes' is empty (shape ${fmtShape(planes.shape)})`);
  checkSize('resizePlanes', width, height);
  const method = checkResizeMethod('resizePlanes', options.method);
  const vals = planes.dataSync();
  const bytes = new Uint8Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    if (!(v >= 0 && v <= 255 && Math.floor(v) === v)) {
      throw new ValueError(`resizePlanes: 'planes' must hold integers 0..255 (pixel values), found ${v} at flat index ${i}`);
    }
    bytes[i] = v;
  }
  const out = resizePlanar(bytes, C, H, W, width, height, method);
  return tf.tensor3d(out, [C, height, width]); // [C, h, w]
}

/**
 * Bicubic resize of an RGB image to `width × height`, returned as float32 planes
 * `[3, height, width]` of 0..255 values. `method: 'pil'` (default) equals
 * `Image.resize((width, height), Image.BICUBIC)` bit for bit.
 *
 * @throws ValueError for a malformed image, a size that is not a positive integer, or an output
 *   over 100 megapixels.
 * @example
 * ```ts
 * import { resizeImage, rgbImage } from 'intern-s1-ts';
 * const img = rgbImage(4, 1, new Uint8Array([0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255]));
 * const t = resizeImage(img, 2, 1); // [3, 1, 2]
 * console.log(Array.from(t.dataSync())); // => [107, 148, 107, 148, 107, 148]
 * t.dispose();
 * ```
 */
export function resizeImage(image: RgbImage, width: number, height: number, options: ResizeOptions = {}): tf.Tensor3D {
  checkRgbImage('resizeImage', 'image', image);
  checkSize('resizeImage', width, height);
  const method = checkResizeMethod('resizeImage', options.method);
  const out = resizePlanar(planarFromImage(image), 3, image.height, image.width, width, height, method);
  return tf.tensor3d(out, [3, height, width]); // [3, h, w]
}

function checkSize(op: string, width: number, height: number): void {
  checkIntIn(op, 'width', width, 1, 2 ** 30);
  checkIntIn(op, 'height', height, 1, 2 ** 30);
  checkOutputSize(op, width, height);
}
