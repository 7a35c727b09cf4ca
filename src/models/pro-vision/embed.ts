/**
 * The patch embedding of the Intern-S1-Pro vision tower (spec 6.2.2): `Conv3d(Cin → C,
 * kernel = stride = (Tp, p, p))` over each flattened patch, written as one matmul.
 *
 * A patch row of `pixel_values` holds its `Cin·Tp·p·p` (1536) values in the order
 * (channel, frame, py, px), index `c·Tp·p² + f·p² + py·p + px` (spec 6.2.1); the conv weight
 * `[C, Cin, Tp, p, p]` flattened row-major to `[C, K]` has the same order along K, so with a
 * stride equal to the kernel the convolution of one patch is exactly `x · W_flatᵀ + b`.
 *
 * Legend: P patches, K = Cin·Tp·p² patch features, C width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { ProVisionConfig } from '../../io/configs/vision.js';
import { expectShape, join, loadAll, loadTensor } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { dense } from '../../ops/matmul.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { checkProVisionConfig, patchFeatures } from './config.js';

/**
 * `X = pixel_values · W_flatᵀ + b`: `[P, K]` → `[P, C]` (spec 6.2.2, first line).
 *
 * Weights under `prefix` (default `model.visual.patch_embed`): `proj.weight [C, Cin, Tp, p, p]`
 * (stored transposed once as `W_flatᵀ [K, C]`) and `proj.bias [C]`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ProVisionPatchEmbed, parseProVisionConfig, memoryWeights } from 'intern-s1-ts';
 * const cfg = parseProVisionConfig({ depth: 1, hidden_size: 4, intermediate_size: 8, num_heads: 1, out_hidden_size: 4,
 *   num_position_embeddings: 4, in_channels: 1, temporal_patch_size: 1, patch_size: 2 });
 * const w = memoryWeights({
 *   'pe.proj.weight': { dtype: 'F32', shape: [4, 1, 1, 2, 2], data: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] },
 *   'pe.proj.bias': { dtype: 'F32', shape: [4], data: [0, 0, 0, 10] } });
 * const pe = ProVisionPatchEmbed.fromWeights(cfg, w, 'pe');
 * pe.forward(tf.tensor2d([[1, 2, 3, 4]])).print(); // => [[1, 2, 3, 14]]  -- output channel o reads kernel position o
 * pe.dispose();
 * ```
 */
export class ProVisionPatchEmbed implements Disposable {
  /**
   * @param config - the vision config (C, Cin, Tp, p).
   * @param weightT - `W_flatᵀ [K, C]`.
   * @param bias - `[C]`.
   */
  constructor(readonly config: ProVisionConfig, readonly weightT: tf.Tensor2D, readonly bias: tf.Tensor1D) {
    checkProVisionConfig('ProVisionPatchEmbed', config);
    const [K, C] = [patchFeatures(config), config.hidden_size];
    if (weightT.rank !== 2 || weightT.shape[0] !== K || weightT.shape[1] !== C || bias.rank !== 1 || bias.shape[0] !== C) {
      throw new ShapeError(`ProVisionPatchEmbed: weightT ${fmtShape(weightT.shape)} and bias ${fmtShape(bias.shape)} must be [${K}, ${C}] and [${C}]`);
    }
  }

  /** Load `<prefix>.proj.weight [C, Cin, Tp, p, p]` and `<prefix>.proj.bias [C]`, checking the shapes. */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix = 'model.visual.patch_embed'): ProVisionPatchEmbed {
    const op = 'ProVisionPatchEmbed';
    checkProVisionConfig(op, config);
    const c = config;
    const [K, C] = [patchFeatures(c), c.hidden_size];
    const wName = join(prefix, 'proj.weight');
    expectShape(op, weights, wName, [C, c.in_channels, c.temporal_patch_size, c.patch_size, c.patch_size]);
    return loadAll((own) => {
      const weightT = own(tf.tensor2d(transpose(weights.float32(wName), C, K), [K, C]));
      const bias = own(loadTensor(op, weights, join(prefix, 'proj.bias'), [C]) as tf.Tensor1D);
      return new ProVisionPatchEmbed(config, weightT, bias);
    });
  }

  /** Patch features K (1536). */
  get inFeatures(): number {
    return this.weightT.shape[0];
  }

  /** `pixel_values [P, K]` → `[P, C]`. */
  forward(pixelValues: tf.Tensor): tf.Tensor2D {
    const op = 'ProVisionPatchEmbed';
    checkFloat(op, 'pixelValues', pixelValues);
    checkRank(op, 'pixelValues', pixelValues, 2);
    const K = this.inFeatures;
    if (pixelValues.shape[1] !== K) {
      throw new ShapeError(`${op}: 'pixelValues' ${fmtShape(pixelValues.shape)} has ${pixelValues.shape[1]} features per patch, expected in_channels·temporal_patch_size·patch_size² = ${K}`);
    }
    return dense(pixelValues, this.weightT, this.bias) as tf.Tensor2D; // [P, C]
  }

  /** Release the weight and bias. */
  dispose(): void {
    this.weightT.dispose();
    this.bias.dispose();
  }
}

/** Row-major `[rows, cols]` → `[cols, rows]` in JS (one pass, at load). */
function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}
