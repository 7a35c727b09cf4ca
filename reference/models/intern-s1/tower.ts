/**
 * Reference vision tower (spec 6.1.2-6.1.3), float64: InternViT → drop CLS → pixel shuffle (v2
 * order) → projector, tiles concatenated in order.
 *
 * Legend: N tiles, Hp×Wp patch grid, C ViT width, s = 1 / downsample_ratio, Q = (Hp/s)(Wp/s), D text width.
 *
 * @module
 */
import { type NDArray, reshape, zeros } from '../../ndarray.js';
import { pixelShuffle } from '../../ops/pixel-shuffle.js';
import type { WeightSource } from '../../weights.js';
import { type InternS1VisionConfig, checkVitConfig } from '../internvit/config.js';
import { InternVisionModel } from '../internvit/model.js';
import { InternS1MultiModalProjector } from './projector.js';
import type { VisionTowerPrefixes } from '../../../src/models/intern-s1/options.js';

export type { VisionTowerPrefixes } from '../../../src/models/intern-s1/options.js';

/** `pixel_values [N, Cin, H, W]` → `image_features [N·Q, D]`. */
export class InternS1VisionTower {
  /** s = 1 / downsample_ratio. */
  readonly factor: number;

  constructor(
    /** The config keys the tower reads. */
    readonly config: InternS1VisionConfig,
    /** The InternViT encoder. */
    readonly encoder: InternVisionModel,
    /** The projector from pixel-shuffled features `[.., s²C]` to `[.., D]`. */
    readonly projector: InternS1MultiModalProjector,
  ) {
    this.factor = checkTowerConfig(config);
  }

  /** Load the encoder and projector under `prefixes`. */
  static fromWeights(config: InternS1VisionConfig, weights: WeightSource, prefixes: VisionTowerPrefixes = {}): InternS1VisionTower {
    const s = checkTowerConfig(config);
    const encoder = InternVisionModel.fromWeights(config.vision_config, weights, prefixes.vision ?? 'model.vision_tower');
    const projector = InternS1MultiModalProjector.fromWeights(config, weights, prefixes.projector ?? 'model.multi_modal_projector', s * s * config.vision_config.hidden_size);
    return new InternS1VisionTower(config, encoder, projector);
  }

  /** Text width D of the features. */
  get outFeatures(): number {
    return this.projector.outFeatures;
  }

  /** Q = (H/p/s)·(W/p/s): 256 for a 448 tile. */
  tokensPerTile(height = this.config.vision_config.image_size[0], width = this.config.vision_config.image_size[1]): number {
    const [hp, wp] = this.encoder.embeddings.patchGrid(height, width);
    const s = this.factor;
    if (hp % s !== 0 || wp % s !== 0) throw new Error(`InternS1VisionTower: patch grid ${hp}x${wp} is not divisible by ${s}`);
    return (hp / s) * (wp / s);
  }

  /** `[N, 1 + Hp·Wp, C]` → drop CLS → `[N, Hp, Wp, C]` → pixel shuffle → `[N, Hp/s, Wp/s, s²C]`. */
  shuffle(features: NDArray, height: number, width: number): NDArray {
    this.tokensPerTile(height, width);
    const [hp, wp] = this.encoder.embeddings.patchGrid(height, width);
    const [N, , C] = features.shape;
    const grid = zeros([N, hp, wp, C]);
    for (let n = 0; n < N; n++) {
      for (let y = 0; y < hp; y++) {
        for (let x = 0; x < wp; x++) for (let c = 0; c < C; c++) grid.set(n, y, x, c, features.get(n, 1 + y * wp + x, c));
      }
    }
    return pixelShuffle(grid, 1 / this.factor);
  }

  /** `pixel_values [N, Cin, H, W]` → `image_features [N·Q, D]` (tiles in order, tokens row-major). */
  forward(pixelValues: NDArray): NDArray {
    const [N, , H, W] = pixelValues.shape;
    const Q = this.tokensPerTile(H, W);
    const g = this.shuffle(this.encoder.featureLayer(pixelValues, this.config.vision_feature_layer), H, W); // [N, Hp/s, Wp/s, s²C]
    return this.projector.forward(reshape(g, [N * Q, g.shape[3]])); // [N·Q, D], tile n owns rows n·Q .. n·Q + Q − 1
  }
}

function checkTowerConfig(cfg: InternS1VisionConfig): number {
  checkVitConfig('InternS1VisionTower', cfg.vision_config);
  if (cfg.vision_feature_select_strategy !== 'default') {
    throw new Error(`InternS1VisionTower: vision_feature_select_strategy '${cfg.vision_feature_select_strategy}' is not supported`);
  }
  const s = Math.round(1 / cfg.downsample_ratio);
  if (!(s >= 1) || Math.abs(1 / cfg.downsample_ratio - s) > 1e-9) throw new Error(`InternS1VisionTower: downsample_ratio ${cfg.downsample_ratio} is not 1/s`);
  return s;
}
