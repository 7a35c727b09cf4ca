/**
 * InternVL dynamic tiling (spec 6.1.1): the grid choice against a hand-worked table and against a
 * Python port of InternVL's `find_closest_aspect_ratio` (both candidate orders), pixel values
 * against InternVL's `dynamic_preprocess` + `build_transform` run with Pillow/torch, and fast ==
 * reference on random images. The grid (steps 1 and 2) is one shared module with no twin
 * (src/image/tiling-plan.ts), tested here against the tables only.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/image/tiling.js';
import { ValueError } from '../../src/errors.js';
import * as fast from '../../src/image/tiling.js';
import type { RgbImage } from '../../src/image/types.js';
import { assertClose, ELEMENTWISE } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { fixtureBytes, fixtureFloats, imageArb, manifest, pilDecoded, randomImage } from './fixtures.js';
import { runs } from '../support/runs.js';

/**
 * Worked by hand from spec 6.1.1 with s = 448, 1..12 tiles (½·s² = 100352):
 */
const HAND: { w: number; h: number; grid: [number, number]; why: string }[] = [
  // a = 1: (1,1) diff 0; (2,2) ties, needs W·H > 100352·4 = 401408; 200704 is not -> (1,1), no thumbnail
  { w: 448, h: 448, grid: [1, 1], why: 'square, too small for the 2x2 tie-break' },
  // a = 1: 640000 > 401408 -> (2,2); (3,3) needs > 903168 -> stays (2,2)
  { w: 800, h: 800, grid: [2, 2], why: 'square, earns 2x2 but not 3x3' },
  // a = 1: 1e6 > 903168 -> (3,3); (4,4) has 16 > 12 tiles, not a candidate
  { w: 1000, h: 1000, grid: [3, 3], why: 'square, earns 3x3' },
  // a = 16/9 = 1.7778: (2,1) |1.7778 − 2| = 0.2222 beats (1,1) 0.7778; (3,2) 0.2778 loses; (4,2) ties
  // 0.2222 exactly (same double), W·H = 2073600 > 100352·8 = 802816 -> (4,2); (5,3) = 15 tiles is out
  { w: 1920, h: 1080, grid: [4, 2], why: '16:9, earns the 4x2 tie-break' },
  // same a, W·H = 589824 < 802816 -> keeps (2,1)
  { w: 1024, h: 576, grid: [2, 1], why: '16:9 but too small for 4x2' },
  // a = 0.75: (1,1) 0.25, (1,2) ties at 0.25 but 120000 < 200704; (2,3) 0.0833 wins; (3,4) 0 wins (12 tiles)
  { w: 300, h: 400, grid: [3, 4], why: '3:4 exact grid with 12 tiles, even for a small image' },
  // a = 2: (2,1) diff 0; (4,2) ties but 125000 < 802816 -> (2,1)
  { w: 500, h: 250, grid: [2, 1], why: '2:1, small' },
  // a = 2, W·H = 2e6 > 802816 -> (4,2); (6,3) has 18 tiles, out
  { w: 2000, h: 1000, grid: [4, 2], why: '2:1, large' },
  // a = 50: the widest candidate (12,1) has the smallest diff, 38
  { w: 5000, h: 100, grid: [12, 1], why: 'panorama' },
  // a = 1.50333: (3,2) diff 0.00333 is the only close one
  { w: 451, h: 300, grid: [3, 2], why: 'near 3:2' },
  // a = 1, W·H = 1: no tie-break can fire
  { w: 1, h: 1, grid: [1, 1], why: 'one pixel' },
];

describe('candidateGrids (spec 6.1.1 step 1)', () => {
  it('lists grids in the GotOcr2 order: c, then r, stably sorted by c·r', () => {
    expect(fast.candidateGrids(1, 12)).toEqual(manifest.candidateOrder['1-12']);
    expect(fast.candidateGrids(2, 6)).toEqual(manifest.candidateOrder['2-6']);
    expect(fast.candidateGrids(1, 4)).toEqual([[1, 1], [1, 2], [2, 1], [1, 3], [3, 1], [1, 4], [2, 2], [4, 1]]);
  });
});

describe('chooseGrid (spec 6.1.1 step 2)', () => {
  for (const c of HAND) {
    it(`${c.w}x${c.h} -> ${c.grid.join('x')} (${c.why})`, () => {
      const g = fast.chooseGrid(c.w, c.h);
      expect([g.cols, g.rows]).toEqual(c.grid);
      const n = c.grid[0] * c.grid[1];
      expect(g.tiles).toBe(n > 1 ? n + 1 : 1);
      expect(g.thumbnail).toBe(n > 1);
    });
  }

  it('agrees with the Python port of InternVL on the whole fixture table (both candidate orders)', () => {
    expect(manifest.grids.length).toBeGreaterThan(100);
    for (const g of manifest.grids) {
      const o = { tileSize: g.tileSize, minTiles: g.minTiles, maxTiles: g.maxTiles, maxAspectRatio: Infinity };
      const what = `${g.width}x${g.height} s=${g.tileSize} ${g.minTiles}..${g.maxTiles}`;
      const f = fast.chooseGrid(g.width, g.height, o);
      expect([f.cols, f.rows], what).toEqual(g.internvl);
      expect(g.gotocr2, what).toEqual(g.internvl);
    }
  });

  it('rejects an aspect ratio over 200 unless allowed, and bad options', () => {
    expect(() => fast.chooseGrid(201, 1)).toThrow(/aspect ratio 201\.0 of a 201x1 image exceeds 200/);
    expect(fast.chooseGrid(201, 1, { maxAspectRatio: Infinity }).cols).toBe(12);
    expect(() => fast.chooseGrid(10, 10, { maxTiles: 0 })).toThrow(/'maxTiles' must be an integer in \[1, 256\]/);
    expect(() => fast.chooseGrid(10, 10, { minTiles: 3, maxTiles: 2 })).toThrow(/'maxTiles' must be an integer in \[3, 256\]/);
    expect(() => fast.chooseGrid(10, 10, { tileSize: 0 })).toThrow(/'tileSize'/);
    expect(() => fast.chooseGrid(0, 10)).toThrow(/'width'/);
    expect(() => fast.chooseGrid(10, 10, { maxAspectRatio: 0.5 })).toThrow(/'maxAspectRatio' must be >= 1/);
  });
});

function fixtureImage(t: (typeof manifest.tiles)[number]): RgbImage {
  if (t.src) return pilDecoded(t.src);
  return { width: t.width as number, height: t.height as number, data: new Uint8Array(fixtureBytes(`expected/${t.pixelsFile}`)) };
}

describe('reference tileImage vs InternVL (Pillow + torch) fixtures', () => {
  for (const t of manifest.tiles) {
    it(`${t.case}: ${t.cols}x${t.rows} grid, ${t.tiles} tiles of ${t.tileSize}`, () => {
      const o = { tileSize: t.tileSize, minTiles: t.minTiles, maxTiles: t.maxTiles, useThumbnail: t.useThumbnail };
      const { pixelValues, grid } = ref.tileImage(fixtureImage(t), o);
      expect([grid.cols, grid.rows, grid.tiles]).toEqual([t.cols, t.rows, t.tiles]);
      assertClose(pixelValues, { shape: t.shape, data: fixtureFloats(`expected/${t.file}`) }, ELEMENTWISE);
    });
  }
});

forEachBackend(() => {
  describe('fast tileImage', () => {
    it('matches every InternVL fixture bit for bit (Pillow-exact resize, float32 ops in torchvision order)', async () => {
      for (const t of manifest.tiles) {
        const o = { tileSize: t.tileSize, minTiles: t.minTiles, maxTiles: t.maxTiles, useThumbnail: t.useThumbnail };
        await expectNoLeak(() => {
          const { pixelValues, grid } = fast.tileImage(fixtureImage(t), o);
          expect([grid.cols, grid.rows, grid.tiles], t.case).toEqual([t.cols, t.rows, t.tiles]);
          assertClose(pixelValues, { shape: t.shape, data: fixtureFloats(`expected/${t.file}`) }, { rtol: 0, atol: 0 }, t.case);
          pixelValues.dispose();
        });
      }
    });

    it('fast == reference on random images, tile sizes and tile ranges', () => {
      const arb = fc.record({
        image: imageArb(1, 40),
        tileSize: fc.integer({ min: 2, max: 12 }),
        minTiles: fc.integer({ min: 1, max: 3 }),
        extra: fc.integer({ min: 0, max: 6 }),
        useThumbnail: fc.boolean(),
        method: fc.constantFrom('pil' as const, 'torch' as const),
      });
      fc.assert(
        fc.property(arb, (c) => {
          const o = { tileSize: c.tileSize, minTiles: c.minTiles, maxTiles: c.minTiles + c.extra, useThumbnail: c.useThumbnail, method: c.method };
          const before = tf.memory().numTensors;
          const f = fast.tileImage(c.image, o);
          const r = ref.tileImage(c.image, o);
          expect(f.grid).toEqual(r.grid);
          assertClose(f.pixelValues, r.pixelValues, ELEMENTWISE);
          f.pixelValues.dispose();
          expect(tf.memory().numTensors).toBe(before);
        }),
        { numRuns: runs(30) },
      );
    });

    it('tiles are the row-major crops of the resize and the thumbnail is last', () => {
      // A 4x2 grid of 2-pixel tiles on an 8x4 image: no resize happens, so tile i must be the
      // crop at column i mod 4, row floor(i / 4) of the normalised image itself.
      const img = randomImage(8, 4, 77);
      const { pixelValues, grid } = fast.tileImage(img, { tileSize: 2, maxTiles: 8 });
      expect([grid.cols, grid.rows, grid.tiles]).toEqual([4, 2, 9]);
      const v = pixelValues.arraySync() as number[][][][];
      for (let i = 0; i < 8; i++) {
        for (let ch = 0; ch < 3; ch++) {
          for (let y = 0; y < 2; y++) {
            for (let x = 0; x < 2; x++) {
              const px = img.data[(((Math.floor(i / 4) * 2 + y) * 8) + (i % 4) * 2 + x) * 3 + ch];
              const want = Math.fround(Math.fround(Math.fround(px / 255) - Math.fround(fast.IMAGENET_MEAN[ch])) / Math.fround(fast.IMAGENET_STD[ch]));
              expect(v[i][ch][y][x]).toBeCloseTo(want, 6);
            }
          }
        }
      }
      pixelValues.dispose();
    });

    const img = randomImage(6, 4, 2);
    const errors: [string, () => unknown, RegExp][] = [
      ['an absurd aspect ratio', () => fast.tileImage(randomImage(402, 2, 1)), /tileImage: aspect ratio 201\.0 of a 402x2 image exceeds 200/],
      ['a canvas over 100 megapixels', () => fast.tileImage(randomImage(40, 30, 1), { tileSize: 4000 }), /tileImage: output 16000x12000/],
      ['a malformed image', () => fast.tileImage({ width: 2, height: 2, data: new Uint8Array(5) }), /5 bytes but 2x2 RGB needs 12/],
      ['a bad method', () => fast.tileImage(img, { method: 'area' as never }), /'method' must be 'pil' or 'torch'/],
      ['maxTiles below minTiles', () => fast.tileImage(img, { minTiles: 4, maxTiles: 2 }), /'maxTiles'/],
    ];
    for (const [what, call, msg] of errors) {
      it(`rejects ${what} with a ValueError, leaking nothing`, async () => {
        await expectThrowsNoLeak(call, ValueError, msg);
      });
    }
  });
});
