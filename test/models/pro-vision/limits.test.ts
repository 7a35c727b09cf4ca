/**
 * Issue #12 item 1: a 3000×3000 image through the Pro vision tower needed one 4.9 GB attention
 * score matrix and crashed wasm ("memory access out of bounds"). Decision: a patch limit per frame
 * (PRO_MAX_PATCHES = 16384), checked before any work by the preprocessing (after smart_resize,
 * before resizing) and by ProVisionModel on gridThw; both can raise it (maxPatches).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import { PRO_MAX_PATCHES, preprocessProImage } from '../../../src/image/pro.js';
import { rgbImage } from '../../../src/image/types.js';
import * as fast from '../../../src/models/pro-vision/index.js';
import { dataToTf } from '../../support/convert.js';
import { expectThrowsNoLeak } from '../../support/leak.js';
import { gridPatches, proVisionWeights, tinyProVision } from './tiny.js';

describe('Pro vision patch limit (issue #12 item 1)', () => {
  it('the preprocessing refuses a 3000x3000 image before resizing, naming the limit and the maxPixels that fits', async () => {
    const big = rgbImage(3000, 3000, new Uint8Array(3000 * 3000 * 3));
    await expectThrowsNoLeak(() => preprocessProImage(big), ValueError,
      /^preprocessProImage: the image resized to 3008x3008 is 188x188 = 35344 patches per frame, above the limit of 16384 \(PRO_MAX_PATCHES.*maxPixels <= 4194304/);
  });

  it('maxPatches lowers or raises the limit, which is inclusive', () => {
    expect(PRO_MAX_PATCHES).toBe(16384);
    const small = rgbImage(64, 64, new Uint8Array(64 * 64 * 3)); // resized up to 256x256 = 16x16 patches
    expect(() => preprocessProImage(small, { maxPatches: 255 })).toThrow(/16x16 = 256 patches per frame, above the limit of 255/);
    const ok = preprocessProImage(small, { maxPatches: 256 });
    expect(ok.gridThw).toEqual([1, 16, 16]);
    ok.pixelValues.dispose();
    expect(() => preprocessProImage(small, { maxPatches: 0 })).toThrow(/'maxPatches'/);
  });

  it('the tower refuses a 188x188 grid before touching pixelValues (no allocation), and honours maxPatches', async () => {
    const cfg = tinyProVision();
    const tower = fast.ProVisionModel.fromWeights(cfg, proVisionWeights(cfg, 5));
    const x = dataToTf(gridPatches(cfg, [[1, 2, 4]], 6)); // [8, 1536]
    await expectThrowsNoLeak(() => tower.forward(x, [[1, 188, 188]]), ValueError, /ProVisionModel: 'gridThw\[0\]' is 188x188 = 35344 patches per frame, above the limit of 16384/);
    await expectThrowsNoLeak(() => tower.forward(x, [[1, 2, 4], [2, 188, 188]]), ValueError, /'gridThw\[1\]' is 188x188/);
    tower.maxPatches = 4;
    await expectThrowsNoLeak(() => tower.forward(x, [[1, 2, 4]]), ValueError, /2x4 = 8 patches per frame, above the limit of 4/);
    tower.maxPatches = 8;
    const y = tower.forward(x, [[1, 2, 4]]);
    expect(y.shape[0]).toBe(2);
    tf.dispose([x, y]);
    tower.dispose();
  });
});
