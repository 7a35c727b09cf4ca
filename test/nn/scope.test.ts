/** `scope` (src/nn/scope.ts): named outputs survive, intermediates are freed, also on a throw. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { scope } from '../../src/nn/scope.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak } from '../support/leak.js';

forEachBackend(() => {
  describe('scope', () => {
    it('keeps the tensors of a nested result with nulls and frees the rest', async () => {
      const x = tf.tensor1d([1, 2, 3]);
      const before = tf.memory().numTensors;
      const out = scope(() => {
        const h = tf.add(x, 1); // freed
        const logits = tf.mul(h, 2);
        return { hidden: tf.sum(h), router: { logits, list: [tf.neg(h)] }, probs: null as tf.Tensor | null, n: 3 };
      });
      expect(tf.memory().numTensors - before).toBe(3);
      expect(Array.from(out.hidden.dataSync())).toEqual([9]);
      expect(Array.from(out.router.logits.dataSync())).toEqual([4, 6, 8]);
      expect(Array.from(out.router.list[0].dataSync())).toEqual([-2, -3, -4]);
      expect(out.probs).toBeNull();
      expect(out.n).toBe(3);
      tf.dispose([out.hidden, out.router.logits, out.router.list[0], x]);
    });
    it('frees every tensor made inside when the body throws, but not its inputs or kept tensors', async () => {
      const x = tf.tensor1d([1, 2]);
      let kept: tf.Tensor | null = null;
      await expectNoLeak(() => {
        expect(() => scope(() => {
          tf.add(x, 1);
          kept = tf.keep(tf.add(x, 2));
          throw new RangeError('boom');
        })).toThrow(RangeError);
        expect(kept!.isDisposed).toBe(false);
        kept!.dispose();
      });
      expect(x.isDisposed).toBe(false);
      x.dispose();
    });
    it('returns a tensor that is an input unchanged', () => {
      const x = tf.tensor1d([5]);
      expect(scope(() => x)).toBe(x);
      expect(x.isDisposed).toBe(false);
      x.dispose();
    });
  });
});
