/**
 * Issue #12 items 9 and 12: image sizes checked from the header before allocation, and valid
 * images under the limits decoded.
 * - a JPEG whose frame header claims 9999×9999 in a few hundred bytes is refused before jpeg-js
 *   allocates anything (it took 15 s and 3 GB);
 * - jpeg-js's memory budget is what the frame needs: a colour JPEG of exactly `maxPixels` decodes
 *   (the old fixed 12 bytes per pixel refused a valid 8000×8000 image under the 100 MP limit; the
 *   test uses 3000×3000 with maxPixels = 9 MP, the same ratio, at a cost a test can afford);
 * - a PNG claiming 9999×9999 with a tiny IDAT is refused after inflating only what is there;
 * - a PNG with 1 MB of trailing inflated data decodes (extra data ignored, as libpng and Pillow);
 *   a deflate bomb past twice the needed size is refused without inflating it all.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, decodeImage } from '../../src/image/decode.js';
import { flatJpeg, png } from '../support/images.js';

describe('image limits from the header (issue #12 items 9 and 12)', () => {
  it('a 450-byte JPEG claiming 9999x9999 is refused from its header', () => {
    const fake = flatJpeg(9999, 9999, 3, 300);
    expect(fake.length).toBeLessThan(600);
    expect(() => decodeImage(fake)).toThrow(ImageDecodeError);
    expect(() => decodeImage(fake)).toThrow(/claims 9999x9999 \(1562500 blocks of 8x8\) but the file has only \d+ bytes, less than one bit per block/);
  });

  it('a valid colour JPEG of exactly maxPixels decodes (jpeg-js budget sized to the frame)', () => {
    const img = decodeImage(flatJpeg(3000, 3000), { maxPixels: 3000 * 3000 });
    expect([img.width, img.height, img.format]).toEqual([3000, 3000, 'jpeg']);
    expect(img.data.every((v) => v === 128)).toBe(true);
    expect(() => decodeImage(flatJpeg(3000, 3000), { maxPixels: 3000 * 3000 - 1 })).toThrow(/3000x3000 = 9000000 pixels, over the limit of 8999999/);
  });

  it('a grey JPEG and a small colour one decode to 128 everywhere', () => {
    for (const c of [1, 3] as const) {
      const img = decodeImage(flatJpeg(17, 9, c));
      expect([img.width, img.height]).toEqual([17, 9]);
      expect(img.data.every((v) => v === 128)).toBe(true);
    }
  });

  it('a PNG claiming 9999x9999 with a few bytes of pixel data is refused', () => {
    const fake = png(9999, 9999, { idat: deflateSync(Buffer.alloc(1000)) });
    expect(() => decodeImage(fake)).toThrow(/corrupted PNG, pixel data inflates to 1000 bytes but a 9999x9999 image needs 299950002/);
  });

  it('a PNG with 1 MB of trailing inflated data decodes, the extra data ignored', () => {
    const img = decodeImage(png(5, 3, { trailing: 2 ** 20 }));
    expect([img.width, img.height]).toEqual([5, 3]);
    expect(Array.from(img.data)).toEqual(new Array(45).fill(0));
    const grey = decodeImage(png(4, 2, { colorType: 0, trailing: 100 }));
    expect(grey.data.length).toBe(24);
  });

  it('pixel data inflating past twice the need + 1 MiB is refused (deflate bomb)', () => {
    const bomb = png(4, 4, { idat: deflateSync(Buffer.alloc(4 * 2 ** 20)) });
    expect(() => decodeImage(bomb)).toThrow(/PNG pixel data inflates to more than 1048680 bytes, but a 4x4 image needs 52/);
  });
});
