/**
 * Bicubic resize: fast == reference (exactly: both do Pillow's integer arithmetic, or the same
 * float64 sums for 'torch'), both == Pillow's `Image.resize(..., BICUBIC)` bit for bit, and
 * within one level of torch's antialiased bicubic (float rounding can move a value across .5;
 * on the committed fixtures the difference is 0).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/image/resize.js';
import { toFlat } from '../../reference/ndarray.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/image/resize.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { diffStats, fixtureBytes, hwcToChw, imageArb, manifest, pilDecoded, randomImage } from './fixtures.js';
import { runs } from '../support/runs.js';

function fastResize(img: fast.ResizeOptions & { image: ReturnType<typeof randomImage>; w: number; h: number }): Float32Array {
  const t = fast.resizeImage(img.image, img.w, img.h, { method: img.method });
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return out;
}

describe('reference resize vs Pillow / torch fixtures', () => {
  for (const r of manifest.resize) {
    it(`${r.method} ${r.src} -> ${r.width}x${r.height}`, () => {
      const expected = hwcToChw(fixtureBytes(`expected/${r.file}`), r.width, r.height);
      const got = toFlat(ref.resizeImage(pilDecoded(r.src), r.width, r.height, { method: r.method }));
      const d = diffStats(got, expected);
      // Pillow: exact. torch: within one level (float32 in torch vs float64 here).
      expect(d.max).toBeLessThanOrEqual(r.method === 'pil' ? 0 : 1);
    });
  }
});

forEachBackend(() => {
  describe('fast resize', () => {
    it('matches every Pillow / torch fixture (Pillow exactly, torch within one level)', () => {
      for (const r of manifest.resize) {
        const expected = hwcToChw(fixtureBytes(`expected/${r.file}`), r.width, r.height);
        const got = fastResize({ image: pilDecoded(r.src), w: r.width, h: r.height, method: r.method });
        const d = diffStats(got, expected);
        expect(d.max, `${r.method} ${r.src} ${r.width}x${r.height}`).toBeLessThanOrEqual(r.method === 'pil' ? 0 : 1);
      }
    });

    it('fast == reference exactly on random images, up and down, both methods', () => {
      const arb = fc.record({
        image: imageArb(1, 60),
        w: fc.integer({ min: 1, max: 60 }),
        h: fc.integer({ min: 1, max: 60 }),
        method: fc.constantFrom('pil' as const, 'torch' as const),
      });
      fc.assert(
        fc.property(arb, (c) => {
          const before = tf.memory().numTensors;
          const got = fastResize(c);
          expect(tf.memory().numTensors).toBe(before);
          const want = toFlat(ref.resizeImage(c.image, c.w, c.h, { method: c.method }));
          const d = diffStats(got, want);
          expect(d.count, `${c.image.width}x${c.image.height} -> ${c.w}x${c.h} ${c.method}: max diff ${d.max}`).toBe(0);
        }),
        { numRuns: runs(40) },
      );
    });

    it('large downscale factors (hundreds of taps) and upscales stay exact', () => {
      for (const [w, h, W, H] of [[900, 3, 2, 3], [3, 700, 3, 1], [5, 4, 300, 7], [640, 2, 448, 2]]) {
        const img = randomImage(w, h, w * 31 + h);
        const want = toFlat(ref.resizeImage(img, W, H));
        expect(diffStats(fastResize({ image: img, w: W, h: H }), want).count, `${w}x${h}->${W}x${H}`).toBe(0);
      }
    });

    it('an unchanged size is the identity (Pillow skips both passes)', () => {
      const img = randomImage(9, 7, 5);
      expect(Array.from(fastResize({ image: img, w: 9, h: 7 }))).toEqual(Array.from(hwcToChw(img.data, 9, 7)));
    });

    it('a constant image stays constant (weights sum to one after fixed-point rounding)', () => {
      const img = { width: 13, height: 11, data: new Uint8Array(13 * 11 * 3).fill(200) };
      for (const [w, h] of [[4, 3], [40, 30], [13, 2]]) {
        expect(new Set(fastResize({ image: img, w, h }))).toEqual(new Set([200]));
      }
    });

    it('resizePlanes on a tensor equals resizeImage, and imageToPlanes is the planar layout', async () => {
      const img = randomImage(17, 6, 9);
      await expectNoLeak(() => {
        const planes = fast.imageToPlanes(img);
        expect(Array.from(planes.dataSync())).toEqual(Array.from(hwcToChw(img.data, 17, 6)));
        const a = fast.resizePlanes(planes, 5, 11);
        const b = fast.resizeImage(img, 5, 11);
        expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
        tf.dispose([planes, a, b]);
      });
    });

    it('reference resizePlanes equals reference resizeImage', () => {
      const img = randomImage(8, 9, 3);
      const a = toFlat(ref.resizePlanes(ref.imageToPlanes(img), 3, 20, { method: 'torch' }));
      const b = toFlat(ref.resizeImage(img, 3, 20, { method: 'torch' }));
      expect(Array.from(a)).toEqual(Array.from(b));
    });

    const img = randomImage(4, 3, 1);
    const errors: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
      ['width 0', () => fast.resizeImage(img, 0, 3), ValueError, /resizeImage: 'width'/],
      ['fractional height', () => fast.resizeImage(img, 3, 2.5), ValueError, /'height'/],
      ['NaN width', () => fast.resizeImage(img, NaN, 2), ValueError, /'width'/],
      ['an output over 100 megapixels', () => fast.resizeImage(img, 20000, 20000), ValueError, /exceeds the limit/],
      ['an unknown method', () => fast.resizeImage(img, 2, 2, { method: 'lanczos' as never }), ValueError, /'method' must be 'pil' or 'torch'/],
      ['data of the wrong length', () => fast.resizeImage({ width: 4, height: 3, data: new Uint8Array(35) }, 2, 2), ValueError, /35 bytes but 4x3 RGB needs 36/],
      ['a zero-size image', () => fast.resizeImage({ width: 0, height: 3, data: new Uint8Array(0) }, 2, 2), ValueError, /width and height must be integers >= 1/],
      ['non-byte data', () => fast.resizeImage({ width: 1, height: 1, data: [1, 2, 3] as never }, 2, 2), ValueError, /Uint8Array/],
      ['planes of rank 2', () => fast.resizePlanes(tf.zeros([3, 3]), 2, 2), ShapeError, /rank 3/],
      ['int32 planes', () => fast.resizePlanes(tf.zeros([3, 3, 3], 'int32'), 2, 2), DTypeError, /float32/],
      ['planes with non-pixel values', () => fast.resizePlanes(tf.fill([1, 2, 2], 0.5), 1, 1), ValueError, /integers 0\.\.255/],
    ];
    for (const [what, call, cls, msg] of errors) {
      it(`rejects ${what} with ${cls.name}, leaking nothing`, async () => {
        await expectThrowsNoLeak(() => tf.tidy(() => call() as tf.Tensor), cls, msg);
      });
    }
  });
});
