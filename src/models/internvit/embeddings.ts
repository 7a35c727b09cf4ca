/**
 * InternViT embeddings (spec 6.1.2): 14×14 stride-14 patch embedding, CLS token, learned absolute
 * position embeddings, bicubically resized when the image's patch grid differs from the grid the
 * table was trained on.
 *
 * Legend: N images (tiles), Cin input channels, H×W image, C width, P = Hp·Wp patches of the
 * image, Gh×Gw the position grid of the checkpoint (32×32 for 448 / 14).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { InternVitConfig } from '../../io/configs/vision.js';
import { join, loadAll, loadTensor } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { patchEmbed2d } from '../../ops/conv.js';
import { interpolateBicubic } from '../../ops/interpolate.js';
import { checkFloat, checkNonEmpty, checkRank, fmtShape } from '../../util/check.js';
import { checkVitConfig } from './config.js';

/**
 * Turns `pixel_values [N, Cin, H, W]` into the encoder's input tokens `[N, 1 + P, C]`:
 *
 * ```
 * patches = conv2d_{p×p, stride p}(x)               // [N, P, C], row-major over the Hp×Wp grid
 * z       = concat(cls_token, patches) + pos        // [N, 1 + P, C]
 * pos     = [pos_cls; resize(pos_grid, Hp×Wp)]      // identity when Hp×Wp = Gh×Gw
 * ```
 *
 * `resize` is PyTorch's `F.interpolate(mode='bicubic', align_corners=False)` in float32 on the
 * `[1, C, Gh, Gw]` grid (spec 6.1.2, gotcha 10.9). As in HF (and unlike the original InternVL
 * code, which always calls it), it is skipped when the grids are equal; the two agree there only
 * up to rounding, so skipping is what reproduces HF bit for bit.
 *
 * Weights (HF names under `prefix`, default `model.vision_tower.embeddings`):
 * `cls_token [1, 1, C]`, `position_embeddings [1, 1 + Gh·Gw, C]` (when
 * `use_absolute_position_embeddings`), `patch_embeddings.projection.{weight [C, Cin, ph, pw], bias [C]}`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { InternVisionEmbeddings, parseInternVitConfig, memoryWeights } from 'intern-s1-ts';
 * const cfg = parseInternVitConfig({ hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1,
 *   intermediate_size: 8, image_size: 8, patch_size: 4 });
 * const z = (shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
 * const w = memoryWeights({ 'emb.cls_token': z([1, 1, 4]), 'emb.position_embeddings': z([1, 5, 4]),
 *   'emb.patch_embeddings.projection.weight': z([4, 3, 4, 4]), 'emb.patch_embeddings.projection.bias': z([4]) });
 * const emb = InternVisionEmbeddings.fromWeights(cfg, w, 'emb');
 * console.log(emb.forward(tf.zeros([2, 3, 12, 8])).shape); // => [2, 7, 4]  -- CLS + a 3x2 grid, positions resized
 * emb.dispose();
 * ```
 */
export class InternVisionEmbeddings implements Disposable {
  /**
   * @param config - the ViT config (width, patch size, channels, image size).
   * @param patchWeight - `[C, Cin, ph, pw]` conv weight (PyTorch OIHW).
   * @param patchBias - `[C]`.
   * @param clsToken - `[1, 1, C]`.
   * @param positionEmbeddings - `[1, 1 + Gh·Gw, C]`, or null when the config has none.
   */
  constructor(
    readonly config: InternVitConfig,
    readonly patchWeight: tf.Tensor,
    readonly patchBias: tf.Tensor,
    readonly clsToken: tf.Tensor,
    readonly positionEmbeddings: tf.Tensor | null,
  ) {
    checkVitConfig('InternVisionEmbeddings', config);
  }

  /** Load from HF names under `prefix` (see the class comment), checking every shape against the config. */
  static fromWeights(config: InternVitConfig, weights: WeightSource, prefix = 'model.vision_tower.embeddings'): InternVisionEmbeddings {
    const op = 'InternVisionEmbeddings';
    checkVitConfig(op, config);
    const C = config.hidden_size;
    const [ph, pw] = config.patch_size;
    const [gh, gw] = positionGrid(config);
    return loadAll((own) => {
      const w = own(loadTensor(op, weights, join(prefix, 'patch_embeddings.projection.weight'), [C, config.num_channels, ph, pw]));
      const b = own(loadTensor(op, weights, join(prefix, 'patch_embeddings.projection.bias'), [C]));
      const cls = own(loadTensor(op, weights, join(prefix, 'cls_token'), [1, 1, C]));
      const pos = config.use_absolute_position_embeddings
        ? own(loadTensor(op, weights, join(prefix, 'position_embeddings'), [1, 1 + gh * gw, C]))
        : null;
      return new InternVisionEmbeddings(config, w, b, cls, pos);
    });
  }

  /** The position grid `[Gh, Gw]` the table was trained on: `image_size / patch_size` (32×32). */
  get positionGrid(): [number, number] {
    return positionGrid(this.config);
  }

  /**
   * The patch grid `[Hp, Wp]` of an `H×W` image, or a ShapeError naming the op when the patch
   * size does not divide it.
   */
  patchGrid(height: number, width: number): [number, number] {
    const [ph, pw] = this.config.patch_size;
    if (height % ph !== 0 || width % pw !== 0 || height < ph || width < pw) {
      throw new ShapeError(`InternVisionEmbeddings: image ${height}x${width} is not a positive multiple of the patch size ${ph}x${pw}`);
    }
    return [height / ph, width / pw];
  }

  /**
   * The position embeddings for an `Hp×Wp` patch grid, `[1 + Hp·Wp, C]` (CLS row first): the
   * checkpoint's table when the grid is `Gh×Gw`, else its grid part resized bicubically.
   */
  positionsFor(hp: number, wp: number): tf.Tensor {
    const pos = this.positionEmbeddings;
    if (!pos) throw new ShapeError('InternVisionEmbeddings: the config has no absolute position embeddings');
    const C = this.config.hidden_size;
    const [gh, gw] = this.positionGrid;
    return tf.tidy(() => {
      const table = tf.reshape(pos, [1 + gh * gw, C]); // [1 + Gh·Gw, C]
      if (hp === gh && wp === gw) return tf.clone(table);
      const cls = tf.slice(table, [0, 0], [1, C]); // [1, C]
      const grid = tf.transpose(tf.reshape(tf.slice(table, [1, 0], [gh * gw, C]), [gh, gw, C]), [2, 0, 1]); // [C, Gh, Gw]
      const resized = interpolateBicubic(tf.reshape(grid, [1, C, gh, gw]), hp, wp); // [1, C, Hp, Wp]
      const rows = tf.transpose(tf.reshape(resized, [C, hp * wp])); // [Hp·Wp, C]
      return tf.concat([cls, rows], 0); // [1 + Hp·Wp, C]
    });
  }

  /** `pixel_values [N, Cin, H, W]` → `[N, 1 + Hp·Wp, C]`. */
  forward(pixelValues: tf.Tensor): tf.Tensor {
    const op = 'InternVisionEmbeddings';
    checkFloat(op, 'pixel_values', pixelValues);
    checkRank(op, 'pixel_values', pixelValues, 4);
    checkNonEmpty(op, 'pixel_values', pixelValues);
    const [N, Cin, H, W] = pixelValues.shape;
    if (Cin !== this.config.num_channels) {
      throw new ShapeError(`${op}: 'pixel_values' ${fmtShape(pixelValues.shape)} has ${Cin} channels but the config has num_channels ${this.config.num_channels}`);
    }
    const [hp, wp] = this.patchGrid(H, W);
    const C = this.config.hidden_size;
    return tf.tidy(() => {
      const patches = patchEmbed2d(pixelValues, this.patchWeight, this.patchBias); // [N, P, C]
      const cls = tf.broadcastTo(this.clsToken, [N, 1, C]); // [N, 1, C]
      const z = tf.concat([cls, patches], 1); // [N, 1 + P, C]
      if (!this.positionEmbeddings) return z;
      return tf.add(z, tf.expandDims(this.positionsFor(hp, wp), 0)); // [N, 1 + P, C]
    });
  }

  /** Release the weights. */
  dispose(): void {
    tf.dispose([this.patchWeight, this.patchBias, this.clsToken]);
    this.positionEmbeddings?.dispose();
  }
}

/** `image_size / patch_size`, the grid of the learned position table. */
function positionGrid(cfg: InternVitConfig): [number, number] {
  return [cfg.image_size[0] / cfg.patch_size[0], cfg.image_size[1] / cfg.patch_size[1]];
}
