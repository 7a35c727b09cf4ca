import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromArray } from '../../reference/ndarray.js';
import * as ref from '../../reference/ops/pixel-shuffle.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/pixel-shuffle.js';
import { data, dataArb } from '../support/arbitraries.js';
import { assertClose } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak } from '../support/leak.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';
// A JSON import (not readFileSync) so that the browser suite runs this file too.
import fixtureJson from '../fixtures/pixel_shuffle.json' with { type: 'json' };

type P = { ratio: number };
const cases: fc.Arbitrary<OpCase<P>> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }), s: fc.integer({ min: 1, max: 3 }),
    hs: fc.integer({ min: 1, max: 3 }), ws: fc.integer({ min: 1, max: 3 }), C: fc.integer({ min: 1, max: 3 }),
  })
  .chain((c) => fc.record({
    inputs: fc.record({ x: dataArb([c.N, c.hs * c.s, c.ws * c.s, c.C]) }),
    params: fc.constant({ ratio: 1 / c.s }),
  }));

const grid = (h: number, w: number) => data([1, h, w, 2], (i) => i);

describe('pixelShuffle', () =>
  runOpSpec<P>({
    name: 'pixelShuffle',
    cases,
    fast: (t, p) => fast.pixelShuffle(t.x, p.ratio),
    reference: (a, p) => ref.pixelShuffle(a.x, p.ratio),
    tol: { rtol: 0, atol: 0 },
    samples: [
      { what: 'the InternViT grid (32x32, ratio 0.5)', case: { inputs: { x: data([1, 32, 32, 3], (i) => i) }, params: { ratio: 0.5 } } },
      { what: 'NaN moves with its element', case: { inputs: { x: data([1, 2, 2, 1], [1, NaN, 3, 4]) }, params: { ratio: 0.5 } } },
    ],
    errors: [
      { what: 'h not divisible by 1/ratio', inputs: { x: grid(3, 4) }, params: { ratio: 0.5 }, error: ShapeError, message: /3x4 grid .* not divisible by 1\/ratio = 2/ },
      { what: 'w not divisible by 1/ratio', inputs: { x: grid(4, 6) }, params: { ratio: 0.25 }, error: ShapeError },
      { what: 'a ratio that is not 1/s', inputs: { x: grid(4, 4) }, params: { ratio: 0.4 }, error: ValueError, message: /'ratio' must be 1\/s/ },
      { what: 'a ratio above 1', inputs: { x: grid(4, 4) }, params: { ratio: 2 }, error: ValueError },
      { what: 'a zero ratio', inputs: { x: grid(4, 4) }, params: { ratio: 0 }, error: ValueError },
      { what: 'a rank-3 input', inputs: { x: data([4, 4, 2], () => 1) }, params: { ratio: 0.5 }, error: ShapeError },
      { what: 'an int32 input', inputs: { x: { ...grid(2, 2), dtype: 'int32' } }, params: { ratio: 0.5 }, error: DTypeError },
    ],
  }));

interface Fixture { torch: string; cases: { inputShape: number[]; ratio: number; shape: number[]; data: number[] }[] }
const fixture = fixtureJson as unknown as Fixture;

describe(`pixelShuffle against HF InternVLModel.pixel_shuffle run in PyTorch ${fixture.torch}`, () => {
  forEachBackend(() => {
    for (const c of fixture.cases) {
      it(`[${c.inputShape}] with ratio ${c.ratio} -> [${c.shape}]`, async () => {
        const n = c.inputShape.reduce((a, b) => a * b, 1);
        const iota = Array.from({ length: n }, (_, i) => i); // each value names its source element
        const x = tf.tensor(iota, c.inputShape);
        await expectNoLeak(() => {
          const y = fast.pixelShuffle(x, c.ratio);
          assertClose(y, { shape: c.shape, data: c.data }, { rtol: 0, atol: 0 });
          y.dispose();
        });
        assertClose(ref.pixelShuffle(fromArray(iota, c.inputShape), c.ratio), { shape: c.shape, data: c.data }, { rtol: 0, atol: 0 });
        x.dispose();
      });
    }

    it('spec 6.1.3 spelled out for one token: [F(2i,2j), F(2i,2j+1), F(2i+1,2j), F(2i+1,2j+1)]', () => {
      const [h, w, C] = [4, 6, 2];
      const x = tf.tensor(Array.from({ length: h * w * C }, (_, i) => i), [1, h, w, C]);
      const y = fast.pixelShuffle(x, 0.5);
      const F = (r: number, col: number) => [0, 1].map((c) => (r * w + col) * C + c);
      const [i, j] = [1, 2];
      expect((y.arraySync() as number[][][][])[0][i][j]).toEqual([...F(2 * i, 2 * j), ...F(2 * i, 2 * j + 1), ...F(2 * i + 1, 2 * j), ...F(2 * i + 1, 2 * j + 1)]);
      tf.dispose([x, y]);
    });
  });
});
