import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/intern-s1/assemble.js';
import { ShapeError, ValueError } from '../../../src/errors.js';
import * as fast from '../../../src/models/intern-s1/assemble.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { assertClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectThrowsNoLeak } from '../../support/leak.js';

const IMG = 7;
const TS = 8;

/** A random prompt with some image and time-series placeholders, and matching features. */
const caseArb = fc.record({
  B: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 12 }), D: fc.integer({ min: 1, max: 6 }), seed: fc.nat(),
}).map(({ B, T, D, seed }) => {
  const rand = mulberry32(seed);
  const ids = Array.from({ length: B * T }, () => [1, 2, IMG, TS][Math.floor(rand() * 4)]);
  const nImg = ids.filter((i) => i === IMG).length;
  const nTs = ids.filter((i) => i === TS).length;
  return {
    ids, D,
    embeds: { shape: [B, T, D], data: normals(rand, B * T * D) },
    img: { shape: [nImg, D], data: normals(rand, nImg * D) },
    ts: { shape: [nTs, D], data: normals(rand, nTs * D) },
  };
});

forEachBackend(() => {
  describe('scatterFeatures', () => {
    it('fast == reference and leaks nothing', () => {
      fc.assert(fc.property(caseArb, (c) => {
        const expected = ref.scatterFeatures(dataToNd(c.embeds), c.ids, [
          { name: 'image', tokenId: IMG, features: dataToNd(c.img) },
          { name: 'ts', tokenId: TS, features: dataToNd(c.ts) },
        ]);
        const before = tf.memory().numTensors;
        const [e, fi, ft] = [dataToTf(c.embeds), dataToTf(c.img), dataToTf(c.ts)];
        const out = fast.scatterFeatures(e, c.ids, [
          { name: 'image', tokenId: IMG, features: fi },
          { name: 'ts', tokenId: TS, features: ft },
        ]);
        assertClose(out, expected, { rtol: 0, atol: 0 });
        tf.dispose([e, fi, ft, out]);
        expect(tf.memory().numTensors).toBe(before);
      }));
    });

    it('places the n-th feature row at the n-th placeholder, batch-major', () => {
      const E = tf.zeros([2, 2, 1]);
      const F = tf.tensor2d([[10], [20], [30]]);
      const out = fast.scatterFeatures(E, [IMG, 1, IMG, IMG], [{ name: 'image', tokenId: IMG, features: F }]);
      expect(Array.from(out.dataSync())).toEqual([10, 0, 20, 30]);
      tf.dispose([E, F, out]);
    });

    it('passes gradients to the features and the surviving embedding rows', () => {
      const E = tf.ones([1, 3, 2]);
      const F = tf.ones([1, 2]);
      const g = tf.grads((e: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.mul(fast.scatterFeatures(e, [1, IMG, 2], [{ name: 'image', tokenId: IMG, features: f }]), tf.tensor3d([[[1, 2], [3, 4], [5, 6]]]))),
      )([E, F]);
      expect(Array.from(g[0].dataSync())).toEqual([1, 2, 0, 0, 5, 6]);
      expect(Array.from(g[1].dataSync())).toEqual([3, 4]);
      tf.dispose([E, F, ...g]);
    });

    it('rejects a placeholder count that differs from the feature rows, naming both numbers', async () => {
      const E = tf.zeros([1, 3, 2]);
      const F = tf.zeros([1, 2]);
      await expectThrowsNoLeak(() => fast.scatterFeatures(E, [IMG, IMG, 1], [{ name: 'image', tokenId: IMG, features: F }]), ShapeError, /2 image placeholder tokens.*1 feature rows/);
      await expectThrowsNoLeak(() => fast.scatterFeatures(E, [1, 1], [{ name: 'image', tokenId: IMG, features: F }]), ShapeError, /'ids' has 2 entries/);
      const Fw = tf.zeros([2, 3]);
      await expectThrowsNoLeak(() => fast.scatterFeatures(E, [IMG, IMG, 1], [{ name: 'image', tokenId: IMG, features: Fw }]), ShapeError, /width 3/);
      await expectThrowsNoLeak(() => fast.scatterFeatures(E, [IMG, 1, 1], [
        { name: 'image', tokenId: IMG, features: F }, { name: 'video', tokenId: IMG, features: F },
      ]), ValueError, /two modalities/);
      tf.dispose([E, F, Fw]);
    });
  });
});
