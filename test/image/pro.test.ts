/**
 * Intern-S1-Pro preprocessing (spec 6.2.1): Python `round`, smart_resize against a Python port of
 * transformers' `smart_resize`, the patch order against a numpy port of
 * `Qwen2VLImageProcessor._preprocess` (reshape + `transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)`) and
 * against the index formula `c·512 + f·256 + py·16 + px`, fast == reference. pyRound and
 * smartResize are one shared module with no twin (src/image/pro-plan.ts), tested against CPython
 * and the transformers port only.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromArray } from '../../reference/ndarray.js';
import * as ref from '../../reference/image/pro.js';
import { ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/image/pro.js';
import { assertClose, ELEMENTWISE } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { fixtureBytes, fixtureFloats, imageArb, manifest, randomImage } from './fixtures.js';
import { runs } from '../support/runs.js';

describe('pyRound (Python 3 round, banker\'s rounding)', () => {
  it('rounds ties to even, unlike Math.round', () => {
    const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [-3.5, -4], [2.4999999999999996, 2], [1e15 + 0.5, 1e15]];
    for (const [x, want] of cases) {
      expect(fast.pyRound(x), String(x)).toBe(want);
    }
    expect(Math.round(2.5)).toBe(3); // why pyRound exists
  });

  it('agrees with CPython on the fixture table (ties, near-ties, large and negative values)', () => {
    for (const { x, round } of manifest.pyRound) {
      expect(fast.pyRound(x), String(x)).toBe(round);
    }
  });

  it('rejects NaN and infinities', () => {
    expect(() => fast.pyRound(NaN)).toThrow(ValueError);
    expect(() => fast.pyRound(-Infinity)).toThrow(/cannot round -Infinity/);
  });
});

describe('smartResize (spec 6.2.1)', () => {
  it('hand-worked cases', () => {
    // 1080 / 32 = 33.75 -> 34 -> 1088; 1920 / 32 = 60 -> 1920; 2088960 pixels is inside the budget.
    expect(fast.smartResize(1080, 1920)).toEqual({ height: 1088, width: 1920 });
    // 48 / 32 = 1.5 -> 2 (64); 80 / 32 = 2.5 -> 2 (64; Math.round would say 3); 4096 < 65536 so
    // β = √(65536 / 3840) = 4.1312: ⌈48·β/32⌉ = ⌈6.197⌉ = 7 -> 224, ⌈80·β/32⌉ = ⌈10.328⌉ = 11 -> 352.
    expect(fast.smartResize(48, 80)).toEqual({ height: 224, width: 352 });
    // 5000 x 5000 rounds to 4992 x 4992 = 24.9 M > 16.78 M: β = √(25e6 / 16777216) = 5000 / 4096
    // exactly, so ⌊5000 / β / 32⌋ = 128 -> 4096 (4096² = max_pixels).
    expect(fast.smartResize(5000, 5000)).toEqual({ height: 4096, width: 4096 });
    // 112 / 32 = 3.5 -> 4 (128), 80 / 32 = 2.5 -> 2 (64): 8192 < 65536, β = √(65536 / 8960) = 2.7045,
    // ⌈112·β/32⌉ = ⌈9.466⌉ = 10 -> 320, ⌈80·β/32⌉ = ⌈6.761⌉ = 7 -> 224.
    expect(fast.smartResize(112, 80)).toEqual({ height: 320, width: 224 });
    // aspect ratio exactly 200 passes, 201 does not
    expect(() => fast.smartResize(1, 200)).not.toThrow();
    expect(() => fast.smartResize(1, 201)).toThrow(/aspect ratio must be at most 200, got 201\.0 \(1x201\)/);
  });

  it('agrees with the Python port of transformers smart_resize on the fixture table', () => {
    expect(manifest.smartResize.length).toBeGreaterThan(100);
    for (const c of manifest.smartResize) {
      const o = { factor: c.factor, minPixels: c.minPixels, maxPixels: c.maxPixels };
      const what = `${c.height}x${c.width} f=${c.factor} [${c.minPixels}, ${c.maxPixels}]`;
      if (c.out === 'error') {
        expect(() => fast.smartResize(c.height, c.width, o), what).toThrow(ValueError);
      } else {
        expect(fast.smartResize(c.height, c.width, o), what).toEqual({ height: c.out[0], width: c.out[1] });
      }
    }
  });

  it('rejects bad arguments', () => {
    expect(() => fast.smartResize(0, 5)).toThrow(/'height'/);
    expect(() => fast.smartResize(5, 2.5)).toThrow(/'width'/);
    expect(() => fast.smartResize(5, 5, { minPixels: 100, maxPixels: 10 })).toThrow(/'maxPixels'/);
  });
});

/** Frames `[F, C, H, W]` whose values encode their own index, so any misplaced value is visible. */
function codedFrames(F: number, C: number, H: number, W: number): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(F * C * H * W);
  for (let i = 0; i < data.length; i++) data[i] = i;
  return { data, shape: [F, C, H, W] };
}

const proFixtureOptions = (c: (typeof manifest.pro)[number]) => ({
  patchSize: c.patchSize, mergeSize: c.mergeSize, temporalPatchSize: c.temporalPatchSize, minPixels: c.minPixels, maxPixels: c.maxPixels,
});

function fixtureFrames(c: (typeof manifest.pro)[number]) {
  const bytes = fixtureBytes(`expected/${c.framesFile}`);
  const n = c.width * c.height * 3;
  return Array.from({ length: c.frames }, (_, k) => ({ width: c.width, height: c.height, data: new Uint8Array(bytes.subarray(k * n, (k + 1) * n)) }));
}

describe('reference Pro preprocessing vs the transformers port (Pillow + numpy) fixtures', () => {
  for (const c of manifest.pro) {
    it(`${c.case}: ${c.frames} frame(s) ${c.width}x${c.height} -> ${c.resizedWidth}x${c.resizedHeight}, grid ${c.gridThw}`, () => {
      const frames = fixtureFrames(c);
      const out = c.frames === 1 ? ref.preprocessProImage(frames[0], proFixtureOptions(c)) : ref.preprocessProVideo(frames, proFixtureOptions(c));
      expect(out.gridThw).toEqual(c.gridThw);
      expect(out.resized).toEqual({ height: c.resizedHeight, width: c.resizedWidth });
      assertClose(out.pixelValues, { shape: c.shape, data: fixtureFloats(`expected/${c.file}`) }, ELEMENTWISE);
    });
  }
});

forEachBackend(() => {
  describe('fast Pro preprocessing', () => {
    it('matches every transformers-port fixture (float32 vs float32: within an ulp)', async () => {
      for (const c of manifest.pro) {
        await expectNoLeak(() => {
          const frames = fixtureFrames(c);
          const out = c.frames === 1 ? fast.preprocessProImage(frames[0], proFixtureOptions(c)) : fast.preprocessProVideo(frames, proFixtureOptions(c));
          expect(out.gridThw, c.case).toEqual(c.gridThw);
          assertClose(out.pixelValues, { shape: c.shape, data: fixtureFloats(`expected/${c.file}`) }, ELEMENTWISE, c.case);
          out.pixelValues.dispose();
        });
      }
    });

    it('flattening puts frames[g·Tp+f][c][row·16+py][col·16+px] at feature c·512 + f·256 + py·16 + px', () => {
      const F = 3; // padded to 4 frames, t = 2
      const H = 64;
      const W = 96; // gh = 4, gw = 6: 2 x 3 merge windows per frame pair
      const coded = codedFrames(F, 3, H, W);
      const x = tf.tensor4d(coded.data, [F, 3, H, W]);
      const { pixelValues, gridThw } = fast.flattenProPatches(x);
      expect(gridThw).toEqual([2, 4, 6]);
      expect(pixelValues.shape).toEqual([48, 1536]);
      const v = pixelValues.dataSync();
      let i = 0;
      for (let g = 0; g < 2; g++) for (let wy = 0; wy < 2; wy++) for (let wx = 0; wx < 3; wx++) for (let my = 0; my < 2; my++) for (let mx = 0; mx < 2; mx++) {
        const row = 2 * wy + my;
        const col = 2 * wx + mx;
        for (const [c, f, py, px] of [[0, 0, 0, 0], [2, 1, 15, 15], [1, 0, 3, 7], [1, 1, 9, 2]]) {
          const frame = Math.min(g * 2 + f, F - 1);
          const want = ((frame * 3 + c) * H + row * 16 + py) * W + col * 16 + px;
          expect(v[i * 1536 + c * 512 + f * 256 + py * 16 + px], `patch ${i} c${c} f${f} py${py} px${px}`).toBe(want);
        }
        i++;
      }
      tf.dispose([x, pixelValues]);
    });

    it('fast flatten == reference flatten on random geometries (exact: pure data movement)', () => {
      const arb = fc.record({
        F: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 1, max: 3 }), p: fc.integer({ min: 1, max: 3 }),
        m: fc.integer({ min: 1, max: 3 }), tp: fc.integer({ min: 1, max: 3 }), wy: fc.integer({ min: 1, max: 3 }), wx: fc.integer({ min: 1, max: 3 }),
      });
      fc.assert(
        fc.property(arb, ({ F, C, p, m, tp, wy, wx }) => {
          const H = wy * m * p;
          const W = wx * m * p;
          const coded = codedFrames(F, C, H, W);
          const o = { patchSize: p, mergeSize: m, temporalPatchSize: tp };
          const before = tf.memory().numTensors;
          const x = tf.tensor4d(coded.data, [F, C, H, W]);
          const f = fast.flattenProPatches(x, o);
          const r = ref.flattenProPatches(fromArray(coded.data, coded.shape), o);
          expect(f.gridThw).toEqual(r.gridThw);
          assertClose(f.pixelValues, r.pixelValues, { rtol: 0, atol: 0 });
          tf.dispose([x, f.pixelValues]);
          expect(tf.memory().numTensors).toBe(before);
        }),
        { numRuns: runs(40) },
      );
    });

    it('fast == reference on random images and videos (small geometry)', () => {
      const arb = fc.record({
        image: imageArb(1, 40), frames: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 0, max: 1000 }),
        method: fc.constantFrom('pil' as const, 'torch' as const),
      });
      fc.assert(
        fc.property(arb, ({ image, frames, seed, method }) => {
          const clip = [image, ...Array.from({ length: frames - 1 }, (_, k) => randomImage(image.width, image.height, seed + k))];
          const o = { patchSize: 2, mergeSize: 2, temporalPatchSize: 2, minPixels: 16, maxPixels: 2048, method };
          const f = fast.preprocessProVideo(clip, o);
          const r = ref.preprocessProVideo(clip, o);
          expect(f.gridThw).toEqual(r.gridThw);
          expect(f.resized).toEqual(r.resized);
          assertClose(f.pixelValues, r.pixelValues, ELEMENTWISE);
          f.pixelValues.dispose();
        }),
        { numRuns: runs(25) },
      );
    });

    it('an image is two identical frames: its two 256-feature halves per channel are equal', () => {
      const img = randomImage(70, 50, 3);
      const { pixelValues, gridThw, resized } = fast.preprocessProImage(img);
      expect(resized).toEqual(fast.smartResize(50, 70));
      expect(gridThw).toEqual([1, resized.height / 16, resized.width / 16]);
      const v = pixelValues.dataSync();
      for (let i = 0; i < pixelValues.shape[0]; i += 7) {
        for (let c = 0; c < 3; c++) for (let k = 0; k < 256; k += 13) expect(v[i * 1536 + c * 512 + k]).toBe(v[i * 1536 + c * 512 + 256 + k]);
      }
      expect(v.every((x) => x >= -1 && x <= 1)).toBe(true);
      pixelValues.dispose();
    });

    const img = randomImage(8, 8, 1);
    const errors: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
      ['an aspect ratio over 200', () => fast.preprocessProImage(randomImage(402, 2, 1)), ValueError, /preprocessProImage: absolute aspect ratio must be at most 200/],
      ['an empty clip', () => fast.preprocessProVideo([]), ValueError, /needs at least one frame/],
      ['frames of different sizes', () => fast.preprocessProVideo([img, randomImage(8, 9, 2)]), ValueError, /frame 1 is 8x9 but frame 0 is 8x8/],
      ['a bad std', () => fast.preprocessProImage(img, { imageStd: [0.5, 0, 0.5] }), ValueError, /'imageStd' must be 3 finite numbers > 0/],
      ['a bad patch size', () => fast.preprocessProImage(img, { patchSize: 0 }), ValueError, /'patchSize'/],
      ['frames not a multiple of p·m', () => fast.flattenProPatches(tf.zeros([1, 3, 48, 64])), ShapeError, /multiples of patchSize\*mergeSize = 32/],
      ['frames of rank 3', () => fast.flattenProPatches(tf.zeros([3, 32, 32])), ShapeError, /rank 4/],
    ];
    for (const [what, call, cls, msg] of errors) {
      it(`rejects ${what} with ${cls.name}, leaking nothing`, async () => {
        await expectThrowsNoLeak(() => tf.tidy(() => (call() as { pixelValues: tf.Tensor }).pixelValues), cls, msg);
      });
    }
  });
});
