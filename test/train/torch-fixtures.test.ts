/**
 * lossAndGrads against PyTorch float64 autograd (issue 16, items 1 and 2): the fixtures were made
 * by test/fixtures/train/make_text_grads.py from the Hugging Face modeling math (dense Qwen3,
 * Qwen3-MoE top-2, grouped top-4 of 8 in 2 groups; batch sizes 1 and 2; CE + HF aux loss). Every
 * gradient (float32) is within 1e-4 relative Frobenius error of the float64 one.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/io/checkpoint.js';
import { parseTextConfig } from '../../src/io/configs/text.js';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import { TextParams } from '../../src/train/params.js';
import { lossAndGrads } from '../../src/train/step.js';
import { assertRelClose } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { toNd } from '../support/convert.js';

const file = (kind: string) => fileURLToPath(new URL(`../fixtures/train/text_grads_${kind}.safetensors`, import.meta.url));

/** int64 rows [B][T] of a fixture tensor. */
function intRows(w: ReturnType<typeof openSafetensors>, name: string): number[][] {
  const [B, T] = w.info(name).shape;
  const v = w.array(name);
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => v.get(b, t)));
}

forEachBackend(() => {
  describe('lossAndGrads == PyTorch float64 autograd', () => {
    for (const kind of ['dense', 'moe', 'grouped']) {
      it(`${kind}: loss, and every weight's gradient within 1e-4 relative`, () => {
        const f = SafetensorsFile.open(file(kind));
        const cfg = parseTextConfig(JSON.parse(f.metadata.config));
        f.close();
        const w = openSafetensors(file(kind));
        const params = TextParams.fromWeights(cfg, w);
        const r = lossAndGrads(params, { inputIds: intRows(w, 'input_ids'), labels: intRows(w, 'labels') });
        const want = w.array('loss').get(0);
        expect(Math.abs(r.loss - want)).toBeLessThanOrEqual(1e-5 * want);
        expect(params.trainable.length).toBe(w.names().filter((n) => n.startsWith('grad.')).length);
        for (const n of params.trainable) {
          const g = r.grads.get(n)!;
          const e = w.array(`grad.${n}`);
          if (e.data.every((x) => x === 0)) expect(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]), n).toBe(0);
          else assertRelClose(toNd(g), e, 1e-4, n);
        }
        for (const g of r.grads.values()) g.dispose();
        params.dispose();
        w.close();
      });
    }
  });
});
