/**
 * The demo's built-in picture ({@link demoImage}) as PNG bytes, so that `intern-s1 demo` and the
 * generation bench exercise the real PNG decoder. Node only (pngjs deflates with `node:zlib`).
 *
 * @module
 */
import { PNG } from 'pngjs';
import { demoImage } from './media.js';

/** PNG bytes of the built-in 320×240 image (opaque RGBA; decodes to exactly {@link demoImage}'s pixels). */
export function demoImagePng(width = 320, height = 240, seed = 7): Uint8Array {
  const img = demoImage(width, height, seed);
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) png.data[4 * i + c] = img.data[3 * i + c];
    png.data[4 * i + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}
