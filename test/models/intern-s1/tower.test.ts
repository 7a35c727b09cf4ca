/**
 * InternS1VisionTower: fast == reference; 256 tokens per 448 tile; pixel-shuffle order (spec 6.1.3)
 * through the tower; config and checkpoint errors; InternVL-chat names (`mlp1.*`); a parsed
 * top-level config; end to end from a PNG through the InternVL tiling. The projector alone is
 * projector.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/intern-s1/index.js';
import { CheckpointError, ConfigError, ShapeError } from '../../../src/errors.js';
import { type InternS1Config, parseConfig } from '../../../src/io/config.js';
import { readImage } from '../../../src/image/decode.js';
import { tileImage } from '../../../src/image/tiling.js';
import * as fast from '../../../src/models/intern-s1/index.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf, toNd } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { randomWeights } from '../../support/weights.js';
import { pixels, projectorSpecs, tinyVit, tinyWeights, toInternVlChat, towerConfig, vitSpecs, without, withTensors } from '../internvit/tiny.js';
import { runs } from '../../support/runs.js';

const D = 24; // text width of the tiny towers
const flat = (a: ArrayLike<number>) => ({ shape: [a.length], data: a });

/** A 448-tile ViT small enough for tests: width 8, 2 heads, 1 layer (1025 tokens per tile). */
const vit448 = () => tinyVit('mini', { hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: 1, image_size: 448, patch_size: 14 });

forEachBackend(() => {
  describe('InternS1VisionTower', () => {
    it('fast == reference for both variants, several tile grids and vision_feature_layer values', async () => {
      const arb = fc.record({
        grid: fc.constantFrom<[number, number]>([4, 4], [2, 2], [6, 4], [2, 6]), N: fc.integer({ min: 1, max: 2 }),
        seed: fc.nat(), v: fc.constantFrom<'s1' | 'mini'>('s1', 'mini'), layer: fc.constantFrom(-1, -2, 1, 0),
      });
      await fc.assert(fc.asyncProperty(arb, async ({ grid: [hp, wp], N, seed, v, layer }) => {
        const cfg = towerConfig(tinyVit(v), { vision_feature_layer: layer });
        const w = tinyWeights(cfg.vision_config, seed, D);
        const x = pixels([N, 3, 4 * hp, 4 * wp], seed);
        const expected = ref.InternS1VisionTower.fromWeights(cfg, w).forward(dataToNd(x));
        await expectNoLeak(() => {
          const tower = fast.InternS1VisionTower.fromWeights(cfg, w);
          const xt = dataToTf(x);
          const y = tower.forward(xt);
          const Q = (hp / 2) * (wp / 2);
          expect(tower.tokensPerTile(4 * hp, 4 * wp)).toBe(Q);
          expect(y.shape).toEqual([N * Q, D]);
          assertRelClose(y, expected, 1e-4);
          tf.dispose([xt, y]);
          tower.dispose();
        });
      }), { numRuns: runs(12) });
    });

    it('a 448 tile gives 256 tokens (the released geometry: 32x32 patches, shuffle 0.5)', async () => {
      const cfg = towerConfig(vit448());
      const w = tinyWeights(cfg.vision_config, 31, D);
      await expectNoLeak(() => {
        const tower = fast.InternS1VisionTower.fromWeights(cfg, w);
        expect(tower.tokensPerTile()).toBe(256);
        expect(tower.tokensPerTile(448, 896)).toBe(512);
        expect(tower.outFeatures).toBe(D);
        const x = dataToTf(pixels([1, 3, 448, 448], 31));
        const y = tower.forward(x);
        expect(y.shape).toEqual([256, D]);
        tf.dispose([x, y]);
        tower.dispose();
      });
    });

    it('N tiles give N·Q rows, tile n in rows n·Q .. n·Q + Q − 1 (tiles are independent)', async () => {
      const cfg = towerConfig(tinyVit('s1'));
      const w = tinyWeights(cfg.vision_config, 37, D);
      await expectNoLeak(() => {
        const tower = fast.InternS1VisionTower.fromWeights(cfg, w);
        const x = dataToTf(pixels([3, 3, 16, 16], 37));
        const y = tower.forward(x); // [3·4, D]
        expect(y.shape).toEqual([12, D]);
        for (let n = 0; n < 3; n++) {
          const tile = tf.slice(x, [n, 0, 0, 0], [1, 3, 16, 16]);
          const yn = tower.forward(tile); // [4, D]
          const rows = tf.slice(y, [4 * n, 0], [4, D]);
          assertRelClose(rows, toNd(yn), 1e-5, `tile ${n}`);
          tf.dispose([tile, yn, rows]);
        }
        tf.dispose([x, y]);
        tower.dispose();
      });
    });

    it('pixel shuffle order through the tower: G[i, j, (2dy + dx)·C + c] = F[2i + dy, 2j + dx, c] (CLS dropped)', async () => {
      const cfg = towerConfig(tinyVit('s1'));
      const tower = fast.InternS1VisionTower.fromWeights(cfg, tinyWeights(cfg.vision_config, 32, D));
      const [hp, wp, C] = [4, 6, 32];
      const F = (y: number, x: number, c: number) => 1000 * y + 10 * x + c / 100; // value names its place
      const feats = tf.tensor3d(Float32Array.from({ length: (1 + hp * wp) * C }, (_, k) => {
        const t = Math.floor(k / C) - 1;
        return t < 0 ? -1 : F(Math.floor(t / wp), t % wp, k % C);
      }), [1, 1 + hp * wp, C]);
      await expectNoLeak(() => {
        const g = tower.shuffle(feats, 4 * hp, 4 * wp);
        expect(g.shape).toEqual([1, 2, 3, 4 * C]);
        const vals = g.dataSync();
        for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) for (const c of [0, 7, 31]) {
          expect(vals[((i * 3 + j) * 4 + 2 * dy + dx) * C + c]).toBeCloseTo(F(2 * i + dy, 2 * j + dx, c), 3);
        }
        g.dispose();
      });
      feats.dispose();
      tower.dispose();
    });

    it('InternVL-chat names (vision_model.*, fused qkv, mlp1.{0,1,3}) give the same features', async () => {
      const cfg = towerConfig(tinyVit('s1'));
      const hf = tinyWeights(cfg.vision_config, 33, D);
      const chat = toInternVlChat(hf);
      expect(chat.has('mlp1.1.weight')).toBe(true);
      await expectNoLeak(() => {
        const a = fast.InternS1VisionTower.fromWeights(cfg, hf);
        const b = fast.InternS1VisionTower.fromWeights(cfg, chat);
        const x = dataToTf(pixels([2, 3, 16, 16], 33));
        const [ya, yb] = [a.forward(x), b.forward(x)];
        expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
        tf.dispose([x, ya, yb]);
        a.dispose();
        b.dispose();
      });
    });

    it('works from a parsed top-level config.json (parseConfig) with custom prefixes', async () => {
      const cfg = parseConfig({
        model_type: 'intern_s1', image_token_id: 150,
        text_config: {
          model_type: 'qwen3', vocab_size: 200, hidden_size: D, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
          head_dim: 12, max_position_embeddings: 4096, rope_theta: 1e6, rms_norm_eps: 1e-6,
        },
        vision_config: { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, norm_type: 'layer_norm', attention_bias: true, image_size: [16, 16], patch_size: [4, 4] },
      }) as InternS1Config;
      const w = randomWeights({ ...vitSpecs(cfg.vision_config, 'vt'), ...projectorSpecs(128, D, 'proj') }, 34);
      await expectNoLeak(() => {
        const tower = fast.InternS1VisionTower.fromWeights(cfg, w, { vision: 'vt', projector: 'proj' });
        expect(tower.tokensPerTile()).toBe(cfg.image_seq_length);
        const x = dataToTf(pixels([1, 3, 16, 16], 34));
        const y = tower.forward(x);
        expect(y.shape).toEqual([4, D]);
        tf.dispose([x, y]);
        tower.dispose();
      });
    });

    it('errors: grid not divisible for the shuffle, wrong channels, unsupported config values, projector mismatch; no leaks', async () => {
      const vit = tinyVit('mini');
      const cfg = towerConfig(vit);
      const w = tinyWeights(vit, 35, D);
      const tower = fast.InternS1VisionTower.fromWeights(cfg, w);
      const odd = tf.zeros([1, 3, 12, 16]);
      const ch = tf.zeros([1, 1, 16, 16]);
      await expectThrowsNoLeak(() => tower.forward(odd), ShapeError, /patch grid 3x4 of a 12x16 tile is not divisible by the pixel-shuffle factor 2/);
      await expectThrowsNoLeak(() => tower.forward(ch), ShapeError, /1 channels but the config has num_channels 3/);
      tf.dispose([odd, ch]);
      tower.dispose();
      const load = (c: typeof cfg, ws = w) => () => fast.InternS1VisionTower.fromWeights(c, ws);
      await expectThrowsNoLeak(load({ ...cfg, vision_feature_select_strategy: 'full' }), ConfigError, /vision_feature_select_strategy 'full' is not supported/);
      await expectThrowsNoLeak(load({ ...cfg, downsample_ratio: 0.3 }), ConfigError, /downsample_ratio' must be 1\/s/);
      await expectThrowsNoLeak(load({ ...cfg, vision_feature_layer: 3 }), ConfigError, /vision_feature_layer' must be an integer in \[-3, 2\], got 3/);
      await expectThrowsNoLeak(load({ ...cfg, vision_config: { ...vit, norm_type: 'power_norm' as 'rms_norm' } }), ConfigError, /unsupported norm_type 'power_norm'/);
      const narrow = withTensors(w, { 'model.multi_modal_projector.linear_1.weight': { dtype: 'F32', shape: [D, 96], data: new Float32Array(D * 96) } });
      await expectThrowsNoLeak(load(cfg, narrow), ShapeError, /linear_1\.weight' has shape \[24, 96\] but the pixel-shuffled ViT features have width 128/);
      await expectThrowsNoLeak(load(cfg, without(w, 'model.multi_modal_projector.linear_1.bias')), CheckpointError, /model\.multi_modal_projector\.linear_1\.bias/);
      await expectThrowsNoLeak(load(cfg, without(w, 'model.vision_tower.encoder.layer.0.attention.v_proj.weight')), CheckpointError, /layer\.0\.attention\.v_proj\.weight/);
      expect(() => ref.InternS1VisionTower.fromWeights({ ...cfg, vision_feature_select_strategy: 'full' }, w)).toThrow(/not supported/);
    });
  });
});

// One backend: seven 448 tiles are slow on tfjs's pure-JS cpu backend (its attention at 1025
// tokens takes seconds); fast == reference on both backends is covered above.
forEachBackend(() => {
describe('end to end: PNG -> InternVL tiling -> InternViT -> pixel shuffle -> projector', () => {
  it('rgb8.png (23x17) tiles into 3x2 + thumbnail at 448 and gives 7·256 feature rows; fast == reference', async () => {
    const image = readImage('test/fixtures/images/src/rgb8.png');
    const cfg = towerConfig(vit448());
    const w = tinyWeights(cfg.vision_config, 36, D);
    const { pixelValues, grid } = tileImage(image, { maxTiles: 6 });
    // aspect 23/17 = 1.35: the closest of the 14 grids with at most 6 tiles is 3x2 (1.5); plus the thumbnail
    expect([grid.cols, grid.rows, grid.thumbnail, grid.tiles]).toEqual([3, 2, true, 7]);
    expect(pixelValues.shape).toEqual([7, 3, 448, 448]);
    const tower = fast.InternS1VisionTower.fromWeights(cfg, w);
    const y = tower.forward(pixelValues);
    expect(y.shape).toEqual([7 * 256, D]);
    // the thumbnail's features are the last 256 rows
    const thumb = tf.slice(pixelValues, [6, 0, 0, 0], [1, 3, 448, 448]);
    const yt = tower.forward(thumb);
    const last = tf.slice(y, [6 * 256, 0], [256, D]);
    assertRelClose(flat(last.dataSync()), flat(yt.dataSync()), 1e-5);
    // and the whole stack agrees with the float64 reference on the same pixels (one tile keeps it quick)
    const expected = ref.InternS1VisionTower.fromWeights(cfg, w).forward(toNd(thumb));
    assertRelClose(last, expected, 1e-4);
    tf.dispose([pixelValues, y, thumb, yt, last]);
    tower.dispose();
  });
});
}, ['wasm']);
