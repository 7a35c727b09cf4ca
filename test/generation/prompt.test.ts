/**
 * prepareChat: conversations with several images and with videos, through the whole tiny
 * Intern-S1-Pro (demo checkpoint and tokenizer): the placeholders expanded to the tower's rows, the
 * video's frame groups stamped in seconds, and the fast model's logits == the float64 reference's.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as refModel from '../../reference/models/intern-s1/model.js';
import { demoCheckpoint } from '../../src/cli/demo/checkpoint.js';
import { buildDemoTokenizer, type DemoTokenizer } from '../../src/cli/demo/tokenizer.js';
import { ConfigError, ValueError } from '../../src/errors.js';
import { prepareChat, videoGroups } from '../../src/generation/prompt.js';
import { rgbImage, type RgbImage } from '../../src/image/types.js';
import { InternS1ForConditionalGeneration } from '../../src/models/intern-s1/model.js';
import { InternS1Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { relError } from '../support/assert-close.js';
import { toNd } from '../support/convert.js';
import { mulberry32 } from '../support/arbitraries.js';
import { forEachBackend } from '../support/backends.js';

let dt: DemoTokenizer;
let tok: InternS1Tokenizer;
beforeAll(() => {
  dt = buildDemoTokenizer();
  tok = InternS1Tokenizer.fromFiles(dt.files);
});

function frame(w: number, h: number, seed: number): RgbImage {
  const r = mulberry32(seed);
  return rgbImage(w, h, Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)));
}

describe('videoGroups', () => {
  it('pairs frames, repeats the last one when odd, stamps the mean time', () => {
    expect(videoGroups(3, 2, 4, 4)).toEqual([{ seconds: 0.25, tokens: 4 }, { seconds: 1, tokens: 4 }]);
    expect(videoGroups(4, 1, 2, 6)).toEqual([{ seconds: 0.5, tokens: 3 }, { seconds: 2.5, tokens: 3 }]);
    expect(() => videoGroups(2, 0, 2, 2)).toThrow(ValueError);
  });
});

forEachBackend(() => {
  describe('prepareChat with media (tiny Pro)', () => {
    it('a video and two images: placeholders, timestamps, and fast logits == float64 reference', () => {
      const ck = demoCheckpoint('pro', dt, 2);
      const model = InternS1ForConditionalGeneration.fromWeights(ck.config, ck.weights, { timeSeries: false });
      const before = tf.memory().numTensors;
      const frames = [frame(64, 64, 1), frame(64, 64, 2), frame(64, 64, 3)];
      const p = prepareChat(model, tok, [{
        role: 'user',
        content: [{ type: 'image', image: frame(40, 30, 4) }, { type: 'video', video: { frames, fps: 4 } }, { type: 'image', image: frame(30, 40, 5) }, { type: 'text', text: 'What moves?' }],
      }], { enableThinking: false });
      // Pro renders each temporal group as '<t seconds><|vision_start|><|video_pad|>…<|vision_end|>'.
      const text = tok.decode(p.inputs.inputIds[0]);
      expect(text).toContain('Video 1: <0.1 seconds><|vision_start|><|video_pad|>');
      expect(text).toContain('<0.5 seconds><|vision_start|>');
      expect(text).toContain('Picture 2: ');
      expect(p.inputs.videos!.gridThw).toEqual([[2, 4, 4]]);
      expect(p.inputs.images!.gridThw).toHaveLength(2);
      const ids = p.inputs.inputIds[0];
      const count = (id: number) => ids.filter((x) => x === id).length;
      expect(count(dt.added['<|video_pad|>'])).toBe(2 * 4);
      const out = model.forward(p.inputs, { logits: 'last' });
      expect(out.mediaTokens).toEqual({ image: count(dt.added['<|image_pad|>']), video: 8 });
      const ref = refModel.InternS1ForConditionalGeneration.fromWeights(ck.config as never, ck.weights, { timeSeries: false }).forward({
        inputIds: p.inputs.inputIds,
        images: { pixelValues: toNd(p.inputs.images!.pixelValues), gridThw: p.inputs.images!.gridThw },
        videos: { pixelValues: toNd(p.inputs.videos!.pixelValues), gridThw: p.inputs.videos!.gridThw },
      } as never, { logits: 'last' });
      expect(relError(out.logits!, ref.logits!)).toBeLessThan(1e-4);
      model.disposeOutput(out);
      tf.dispose(p.owned);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    it('Intern-S1-mini: several images become InternVL tiles, each placeholder expanded to its feature rows', () => {
      const mini = demoCheckpoint('mini', dt, 2);
      const model = InternS1ForConditionalGeneration.fromWeights(mini.config, mini.weights);
      const before = tf.memory().numTensors;
      const p = prepareChat(model, tok, [{ role: 'user', content: [{ type: 'image', image: frame(40, 30, 1) }, { type: 'text', text: 'and' }, { type: 'image', image: frame(90, 30, 2) }] }], { maxTiles: 4 });
      const ctx = dt.added['<IMG_CONTEXT>'];
      expect(p.inputs.inputIds[0].filter((x) => x === ctx).length).toBe(p.counts.images[0] + p.counts.images[1]);
      expect(model.vision!.featureRows(p.inputs.images!)).toBe(p.counts.images[0] + p.counts.images[1]); // the tiles of both, concatenated
      expect(p.counts.images[1]).toBeGreaterThan(p.counts.images[0]); // the wide image gets more tiles
      tf.dispose(p.owned);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    it('refuses a video without the Pro tower, and malformed media items', () => {
      const mini = demoCheckpoint('mini', dt, 2);
      const model = InternS1ForConditionalGeneration.fromWeights(mini.config, mini.weights);
      const before = tf.memory().numTensors;
      expect(() => prepareChat(model, tok, [{ role: 'user', content: [{ type: 'video', video: { frames: [frame(8, 8, 1)] } }] }])).toThrow(ConfigError);
      expect(() => prepareChat(model, tok, [{ role: 'user', content: [{ type: 'video', video: { frames: [] } }] }])).toThrow(/frames/);
      expect(() => prepareChat(model, tok, [{ role: 'user', content: [{ type: 'image' }] }])).toThrow(/decoded image/);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  });
});
