/**
 * The Intern-S1-Pro vision tower (spec 6.2.2; HF `InternS1ProVisionModel`, Qwen3-VL style without
 * deepstack): native-resolution patches → patch embedding + bilinear learned positions → `depth`
 * blocks with 2-D RoPE and block-diagonal attention → 2×2 merger to the text width.
 *
 * ```
 * X  = pixel_values · W_peᵀ + b_pe + PosInterp(E, grid)      // [P, C]
 * X  = Block_i(X; cos, sin, seqLens)   for i < depth          // [P, C]
 * Y  = Merger(X)                                              // [P / 4, D]
 * ```
 *
 * Legend: P = Σ t·gh·gw patches, K = 1536 patch features, C width, D out_hidden_size.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { PRO_MAX_PATCHES, checkProPatches } from '../../image/pro-plan.js';
import { ShapeError } from '../../errors.js';
import type { ProVisionConfig } from '../../io/configs/vision.js';
import { join, loadAll } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { scope } from '../../nn/scope.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { ProVisionBlock, type ProVisionPositions } from './block.js';
import { checkProVisionConfig, patchFeatures } from './config.js';
import { ProVisionPatchEmbed } from './embed.js';
import { type GridThw, checkGridThw, proPatchCount, proVisionSeqLens, proVisionTokenCounts } from './grid.js';
import { ProVisionPatchMerger } from './merger.js';
import { ProVisionPositionEmbedding, proVisionRopeTables } from './positions.js';

/** The per-call options of {@link ProVisionModel.forward}. */
export interface ProVisionForwardOptions {
  /** Also return the hidden states: the embeddings, then each block's output (depth + 1 tensors `[P, C]`). */
  outputHiddenStates?: boolean;
}

/** What {@link ProVisionModel.forward} returns with `outputHiddenStates`; the caller disposes every tensor. */
export interface ProVisionOutput {
  /** `[P / m², D]`: the merger output, the rows that replace `<|image_pad|>` / `<|video_pad|>` tokens. */
  imageFeatures: tf.Tensor;
  /** depth + 1 tensors `[P, C]`: index 0 the embeddings, i the output of block i − 1. */
  hiddenStates: tf.Tensor[];
}

/**
 * The Pro vision tower: `pixel_values [P, K]` with `image_grid_thw` rows `[t, gh, gw]` →
 * `image_features [Σ t·gh·gw / m², D]`, items in order, each item's tokens in merge-window order.
 * Several images (and videos) go in one call: their patches are concatenated in `pixelValues` in
 * grid order, and attention never crosses an item or a temporal group.
 *
 * Weights under `prefix` (default `model.visual`, spec 9.3): `patch_embed.proj.*`,
 * `pos_embed.weight`, `blocks.{i}.*`, `merger.*`.
 *
 * @example
 * ```ts
 * import { ProVisionModel, initTiny, openCheckpoint, preprocessProImage, readImage, type InternS1ProConfig } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-pro-vision', { variant: 'pro', seed: 1, vocabSize: 256, force: true });
 * const ckpt = openCheckpoint('/tmp/tiny-pro-vision');
 * const tower = ProVisionModel.fromWeights((ckpt.config as InternS1ProConfig).vision_config, ckpt.weights);
 * const { pixelValues, gridThw } = preprocessProImage(readImage('test/fixtures/images/src/rgb8.png'));
 * const features = tower.forward(pixelValues, [gridThw]);
 * console.log(gridThw, features.shape); // => [1, 14, 20], [70, 16]
 * tower.dispose();
 * ```
 */
export class ProVisionModel implements Disposable {
  constructor(
    /** The vision config. */
    readonly config: ProVisionConfig,
    /** Patch embedding `[P, K]` → `[P, C]`. */
    readonly patchEmbed: ProVisionPatchEmbed,
    /** Learned position embedding, interpolated to each grid. */
    readonly posEmbed: ProVisionPositionEmbedding,
    /** The `depth` blocks, in order. */
    readonly blocks: readonly ProVisionBlock[],
    /** The patch merger `[P, C]` → `[P / m², D]`. */
    readonly merger: ProVisionPatchMerger,
  ) {
    checkProVisionConfig('ProVisionModel', config);
  }

  /** Load every part from the HF names under `prefix`; on any error nothing stays allocated. */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix = 'model.visual'): ProVisionModel {
    checkProVisionConfig('ProVisionModel', config);
    return loadAll((own) => {
      const pe = own(ProVisionPatchEmbed.fromWeights(config, weights, join(prefix, 'patch_embed')));
      const pos = own(ProVisionPositionEmbedding.fromWeights(config, weights, join(prefix, 'pos_embed')));
      const blocks: ProVisionBlock[] = [];
      for (let i = 0; i < config.depth; i++) blocks.push(own(ProVisionBlock.fromWeights(config, weights, join(prefix, `blocks.${i}`))));
      const merger = own(ProVisionPatchMerger.fromWeights(config, weights, join(prefix, 'merger')));
      return new ProVisionModel(config, pe, pos, blocks, merger);
    });
  }

  /**
   * Largest patch grid gh·gw per frame {@link forward} accepts (default {@link PRO_MAX_PATCHES});
   * a larger frame is a ValueError before any work. Raise it when the backend has the memory
   * for one (gh·gw)² float32 score matrix per head.
   */
  maxPatches = PRO_MAX_PATCHES;

  /** Visual tokens per item, `t·gh·gw / m²` (the prompt expansion counts, spec 8.2). */
  tokenCounts(gridThw: GridThw | tf.Tensor): number[] {
    return proVisionTokenCounts(gridThw, this.config.spatial_merge_size);
  }

  /**
   * Check `pixelValues [P, K]` against the grid, returning the checked rows.
   * @throws ShapeError / DTypeError / ValueError naming `pixelValues` or `gridThw`.
   */
  checkInputs(pixelValues: tf.Tensor, gridThw: GridThw | tf.Tensor): [number, number, number][] {
    const op = 'ProVisionModel';
    checkFloat(op, 'pixelValues', pixelValues);
    checkRank(op, 'pixelValues', pixelValues, 2);
    const K = patchFeatures(this.config);
    if (pixelValues.shape[1] !== K) {
      throw new ShapeError(`${op}: 'pixelValues' ${fmtShape(pixelValues.shape)} has ${pixelValues.shape[1]} features per patch, expected in_channels·temporal_patch_size·patch_size² = ${K}`);
    }
    const grid = checkGridThw(op, gridThw, this.config.spatial_merge_size);
    // issue #12 item 1: checked before any work (one head's scores are (gh·gw)² floats)
    grid.forEach(([, gh, gw], i) => checkProPatches(op, `'gridThw[${i}]'`, gh, gw, this.config.patch_size, this.maxPatches));
    const P = proPatchCount(grid);
    if (pixelValues.shape[0] !== P) {
      throw new ShapeError(`${op}: 'pixelValues' has ${pixelValues.shape[0]} patches but 'gridThw' [${grid.map((r) => `[${r.join(', ')}]`).join(', ')}] needs Σ t·gh·gw = ${P}`);
    }
    return grid;
  }

  /** Patch embedding plus positions: `[P, K]` → `[P, C]` (the input of block 0). */
  embed(pixelValues: tf.Tensor, gridThw: GridThw | tf.Tensor): tf.Tensor {
    const grid = this.checkInputs(pixelValues, gridThw);
    return tf.tidy(() => tf.add(this.patchEmbed.forward(pixelValues), this.posEmbed.forward(grid))); // [P, C]
  }

  /**
   * The RoPE tables and attention blocks of a grid, shared by every block. The caller disposes
   * `cos` and `sin`.
   */
  positions(gridThw: GridThw | tf.Tensor): ProVisionPositions {
    const m = this.config.spatial_merge_size;
    const grid = checkGridThw('ProVisionModel', gridThw, m);
    const { cos, sin } = proVisionRopeTables(grid, this.config.hidden_size / this.config.num_heads, m);
    return { cos, sin, seqLens: proVisionSeqLens(grid, m) };
  }

  /**
   * `pixelValues [P, K]`, `gridThw` → `image_features [P / m², D]`, or with `outputHiddenStates`
   * a {@link ProVisionOutput}. Without hidden states each block's input is freed as soon as its
   * output exists, so peak memory is a few `[P, C]` activations.
   */
  forward(pixelValues: tf.Tensor, gridThw: GridThw | tf.Tensor, opts?: { outputHiddenStates?: false }): tf.Tensor;
  forward(pixelValues: tf.Tensor, gridThw: GridThw | tf.Tensor, opts: { outputHiddenStates: true }): ProVisionOutput;
  forward(pixelValues: tf.Tensor, gridThw: GridThw | tf.Tensor, opts: ProVisionForwardOptions = {}): tf.Tensor | ProVisionOutput {
    const grid = this.checkInputs(pixelValues, gridThw);
    const keep = opts.outputHiddenStates === true;
    return scope(() => {
      const pos = this.positions(grid);
      let h = this.embed(pixelValues, grid); // [P, C]
      const hidden = [h];
      for (const block of this.blocks) {
        const next = block.forward(h, pos); // [P, C]
        if (!keep) h.dispose(); // without hidden states, a block's input is freed as soon as its output exists
        h = next;
        hidden.push(h);
      }
      const imageFeatures = this.merger.forward(h); // [P/m², D]
      return keep ? { imageFeatures, hiddenStates: hidden } : imageFeatures;
    });
  }

  /** Release every part's weights. */
  dispose(): void {
    this.patchEmbed.dispose();
    this.posEmbed.dispose();
    for (const b of this.blocks) b.dispose();
    this.merger.dispose();
  }
}
