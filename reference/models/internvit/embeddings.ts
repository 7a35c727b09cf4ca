/**
 * Reference InternViT embeddings (spec 6.1.2), float64: patch embedding, CLS token, learned
 * position embeddings (bicubically resized for grids other than the trained one).
 *
 * Legend: N images, Cin channels, H×W image, C width, Hp×Wp patch grid, Gh×Gw position grid.
 *
 * @module
 */
import { type NDArray, zeros } from '../../ndarray.js';
import { patchEmbed2d } from '../../ops/conv.js';
import { interpolateBicubic } from '../../ops/interpolate.js';
import type { WeightSource } from '../../weights.js';
import { type InternVitConfig, checkShape, checkVitConfig, join } from './config.js';

/**
 * `z[n] = concat(cls, conv_{p×p, stride p}(x[n])) + pos`, with `pos` the checkpoint's table when
 * the patch grid is the trained `Gh×Gw`, else its CLS row followed by the grid part resized with
 * PyTorch bicubic (a = −0.75, half-pixel centres, clamped borders).
 */
export class InternVisionEmbeddings {
  constructor(
    /** The vision config (C, Cin, patch and image sizes). */
    readonly config: InternVitConfig,
    /** `[C, Cin, ph, pw]`. */
    readonly patchWeight: NDArray,
    /** `[C]`. */
    readonly patchBias: NDArray,
    /** `[1, 1, C]`. */
    readonly clsToken: NDArray,
    /** `[1, 1 + Gh·Gw, C]` or null. */
    readonly positionEmbeddings: NDArray | null,
  ) {
    checkVitConfig('InternVisionEmbeddings', config);
  }

  /** Load the patch projection, CLS token and (with `use_absolute_position_embeddings`) the position table under `prefix`, shapes checked. */
  static fromWeights(config: InternVitConfig, weights: WeightSource, prefix = 'model.vision_tower.embeddings'): InternVisionEmbeddings {
    const op = 'InternVisionEmbeddings';
    checkVitConfig(op, config);
    const C = config.hidden_size;
    const [gh, gw] = [config.image_size[0] / config.patch_size[0], config.image_size[1] / config.patch_size[1]];
    const load = (name: string, want: number[]) => {
      const a = weights.array(join(prefix, name));
      checkShape(op, join(prefix, name), a.shape, want);
      return a;
    };
    return new InternVisionEmbeddings(
      config,
      load('patch_embeddings.projection.weight', [C, config.num_channels, config.patch_size[0], config.patch_size[1]]),
      load('patch_embeddings.projection.bias', [C]),
      load('cls_token', [1, 1, C]),
      config.use_absolute_position_embeddings ? load('position_embeddings', [1, 1 + gh * gw, C]) : null,
    );
  }

  /** `[Gh, Gw] = image_size / patch_size`. */
  get positionGrid(): [number, number] {
    return [this.config.image_size[0] / this.config.patch_size[0], this.config.image_size[1] / this.config.patch_size[1]];
  }

  /** `[H / ph, W / pw]`; throws when the patch size does not divide the image. */
  patchGrid(height: number, width: number): [number, number] {
    const [ph, pw] = this.config.patch_size;
    if (height % ph !== 0 || width % pw !== 0 || height < ph || width < pw) {
      throw new Error(`InternVisionEmbeddings: image ${height}x${width} is not a positive multiple of the patch size ${ph}x${pw}`);
    }
    return [height / ph, width / pw];
  }

  /** Position embeddings `[1 + Hp·Wp, C]` for an `Hp×Wp` grid (CLS row first). */
  positionsFor(hp: number, wp: number): NDArray {
    const pos = this.positionEmbeddings;
    if (!pos) throw new Error('InternVisionEmbeddings: the config has no absolute position embeddings');
    const C = this.config.hidden_size;
    const [gh, gw] = this.positionGrid;
    const out = zeros([1 + hp * wp, C]);
    for (let c = 0; c < C; c++) out.set(0, c, pos.get(0, 0, c)); // the CLS entry is kept
    if (hp === gh && wp === gw) {
      for (let t = 0; t < gh * gw; t++) for (let c = 0; c < C; c++) out.set(1 + t, c, pos.get(0, 1 + t, c));
      return out;
    }
    const grid = zeros([1, C, gh, gw]); // channels first, as F.interpolate wants
    for (let y = 0; y < gh; y++) {
      for (let x = 0; x < gw; x++) for (let c = 0; c < C; c++) grid.set(0, c, y, x, pos.get(0, 1 + y * gw + x, c));
    }
    const resized = interpolateBicubic(grid, hp, wp); // [1, C, Hp, Wp]
    for (let y = 0; y < hp; y++) {
      for (let x = 0; x < wp; x++) for (let c = 0; c < C; c++) out.set(1 + y * wp + x, c, resized.get(0, c, y, x));
    }
    return out;
  }

  /** `pixel_values [N, Cin, H, W]` → `[N, 1 + Hp·Wp, C]`. */
  forward(pixelValues: NDArray): NDArray {
    const [N, Cin, H, W] = pixelValues.shape;
    if (pixelValues.shape.length !== 4 || Cin !== this.config.num_channels) {
      throw new Error(`InternVisionEmbeddings: 'pixel_values' must be [N, ${this.config.num_channels}, H, W], got [${pixelValues.shape.join(', ')}]`);
    }
    const [hp, wp] = this.patchGrid(H, W);
    const C = this.config.hidden_size;
    const patches = patchEmbed2d(pixelValues, this.patchWeight, this.patchBias); // [N, P, C]
    const pos = this.positionEmbeddings ? this.positionsFor(hp, wp) : null; // [1 + P, C]
    const z = zeros([N, 1 + hp * wp, C]);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t <= hp * wp; t++) {
        for (let c = 0; c < C; c++) {
          const token = t === 0 ? this.clsToken.get(0, 0, c) : patches.get(n, t - 1, c);
          z.set(n, t, c, token + (pos ? pos.get(t, c) : 0));
        }
      }
    }
    return z;
  }
}
