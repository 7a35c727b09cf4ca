/**
 * The Intern-S1 / -mini vision tower (spec 6.1.2-6.1.3; HF `get_image_features`): InternViT,
 * drop CLS, pixel shuffle, projector.
 *
 * Legend: N images (tiles), P = Hp·Wp patches, C ViT width, s = 1 / downsample_ratio,
 * Q = (Hp/s)·(Wp/s) tokens per tile (256 for a 448 tile), D text width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../../errors.js';
import { loadAll } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { scope } from '../../nn/scope.js';
import { pixelShuffle } from '../../ops/pixel-shuffle.js';
import { reshape } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { type InternS1VisionConfig, checkVitConfig, shuffleFactor } from '../internvit/config.js';
import { InternVisionModel } from '../internvit/model.js';
import { InternS1MultiModalProjector } from './projector.js';

/** Where {@link InternS1VisionTower.fromWeights} finds its two parts. */
export interface VisionTowerPrefixes {
  /** Default `model.vision_tower`. */
  vision?: string;
  /** Default `model.multi_modal_projector`. */
  projector?: string;
}

/**
 * The Intern-S1 / -mini vision tower (spec 6.1.2-6.1.3; HF `get_image_features`):
 *
 * ```
 * F = InternViT(x)[vision_feature_layer]       // [N, 1 + P, C]
 * F = F[:, 1:]                                  // drop CLS           [N, Hp, Wp, C]
 * G = pixel_shuffle(F, downsample_ratio)        // v2 order           [N, Hp/s, Wp/s, s²C]
 * image_features = projector(G)                 // tiles in order     [N·Q, D]
 * ```
 *
 * A 448 tile gives Q = 256 tokens; an image of n tiles gives 256·n rows, in tile order (the
 * thumbnail last), ready to replace the `<IMG_CONTEXT>` tokens (spec 8.1). Tiles whose patch grid
 * differs from 32×32 work as well (the position table is resized); the grid must be divisible by s.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { InternS1VisionTower, initTiny, openCheckpoint, type InternS1Config } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-mini-tower', { variant: 'mini', vocabSize: 64, force: true }); // or a real folder: '/models/Intern-S1-mini'
 * const ckpt = openCheckpoint('/tmp/tiny-mini-tower');
 * const tower = InternS1VisionTower.fromWeights(ckpt.config as InternS1Config, ckpt.weights);
 * console.log(tower.forward(tf.zeros([2, 3, 448, 448])).shape); // => [512, 16]  -- (tiny; [512, 4096] for Intern-S1-mini)
 * tower.dispose();
 * ```
 */
export class InternS1VisionTower implements Disposable {
  /** s = 1 / downsample_ratio. */
  readonly factor: number;

  constructor(
    /** The config keys the tower reads (`vision_config`, `downsample_ratio`, `vision_feature_layer`, ...). */
    readonly config: InternS1VisionConfig,
    /** The InternViT encoder. */
    readonly encoder: InternVisionModel,
    /** The projector from pixel-shuffled ViT features `[.., s²C]` to text width `[.., D]`. */
    readonly projector: InternS1MultiModalProjector,
  ) {
    this.factor = checkTowerConfig(config);
  }

  /** Load the encoder and projector (HF names under `prefixes`, defaults `model.vision_tower` and `model.multi_modal_projector`). */
  static fromWeights(config: InternS1VisionConfig, weights: WeightSource, prefixes: VisionTowerPrefixes = {}): InternS1VisionTower {
    const s = checkTowerConfig(config);
    const C = config.vision_config.hidden_size;
    return loadAll((own) => {
      const enc = own(InternVisionModel.fromWeights(config.vision_config, weights, prefixes.vision ?? 'model.vision_tower'));
      const proj = own(InternS1MultiModalProjector.fromWeights(config, weights, prefixes.projector ?? 'model.multi_modal_projector', s * s * C));
      return new InternS1VisionTower(config, enc, proj);
    });
  }

  /** Text width D of the features. */
  get outFeatures(): number {
    return this.projector.outFeatures;
  }

  /**
   * Tokens per tile Q for an `H×W` tile: `(H/p/s)·(W/p/s)` (256 for 448×448). Throws a ShapeError
   * when the patch size does not divide the tile or s does not divide the patch grid.
   */
  tokensPerTile(height = this.config.vision_config.image_size[0], width = this.config.vision_config.image_size[1]): number {
    const [hp, wp] = this.encoder.embeddings.patchGrid(height, width);
    const s = this.factor;
    if (hp % s !== 0 || wp % s !== 0) {
      throw new ShapeError(`InternS1VisionTower: patch grid ${hp}x${wp} of a ${height}x${width} tile is not divisible by the pixel-shuffle factor ${s} (downsample_ratio ${this.config.downsample_ratio})`);
    }
    return (hp / s) * (wp / s);
  }

  /**
   * Drop CLS and pixel-shuffle ViT features: `[N, 1 + Hp·Wp, C]` → `[N, Hp/s, Wp/s, s²C]`, for a
   * tile of `height × width` pixels (spec 6.1.3, v2 order).
   */
  shuffle(features: tf.Tensor, height: number, width: number): tf.Tensor {
    checkFloat('InternS1VisionTower', 'features', features);
    checkRank('InternS1VisionTower', 'features', features, 3);
    this.tokensPerTile(height, width);
    const [hp, wp] = this.encoder.embeddings.patchGrid(height, width);
    const [N, T, C] = features.shape;
    if (T !== 1 + hp * wp) throw new ShapeError(`InternS1VisionTower: 'features' ${fmtShape(features.shape)} should have 1 + ${hp}x${wp} tokens`);
    return tf.tidy(() => pixelShuffle(tf.reshape(tf.slice(features, [0, 1, 0], [N, hp * wp, C]), [N, hp, wp, C]), 1 / this.factor));
  }

  /** `pixel_values [N, Cin, H, W]` → `image_features [N·Q, D]` (tiles in order, tokens row-major). */
  forward(pixelValues: tf.Tensor): tf.Tensor {
    const [N, , H, W] = checkPixels(pixelValues);
    const Q = this.tokensPerTile(H, W); // validates before the encoder runs
    return scope(() => {
      const g = this.shuffle(this.encoder.featureLayer(pixelValues, this.config.vision_feature_layer), H, W); // [N, Hp/s, Wp/s, s²C]
      return this.projector.forward(reshape(g, [N * Q, this.projector.inFeatures])); // [N·Q, D], tile n owns rows n·Q .. n·Q + Q − 1
    });
  }


  /** Release the encoder and projector weights. */
  dispose(): void {
    this.encoder.dispose();
    this.projector.dispose();
  }
}

/** Validate the tower's config; returns s = 1 / downsample_ratio. */
function checkTowerConfig(cfg: InternS1VisionConfig): number {
  const op = 'InternS1VisionTower';
  checkVitConfig(op, cfg.vision_config);
  if (cfg.vision_feature_select_strategy !== 'default') {
    // HF reshapes the features to a square grid right after this choice, which fails with CLS kept.
    throw new ConfigError(`${op}: vision_feature_select_strategy '${cfg.vision_feature_select_strategy}' is not supported: the pixel shuffle needs the CLS token dropped ('default')`);
  }
  const L = cfg.vision_config.num_hidden_layers;
  const l = cfg.vision_feature_layer;
  if (!Number.isInteger(l) || l < -(L + 1) || l > L) {
    throw new ConfigError(`${op}: 'vision_feature_layer' must be an integer in [${-(L + 1)}, ${L}], got ${l}`);
  }
  return shuffleFactor(op, cfg.downsample_ratio);
}

/** Check `pixel_values` (float32 `[N, 3, H, W]`) and return its shape. */
function checkPixels(pixelValues: tf.Tensor): number[] {
  checkFloat('InternS1VisionTower', 'pixel_values', pixelValues);
  checkRank('InternS1VisionTower', 'pixel_values', pixelValues, 4);
  return pixelValues.shape;
}
