/**
 * Reference Intern-S1-Pro vision tower (spec 6.2.2), float64:
 *
 * ```
 * X  = pixel_values · W_peᵀ + b_pe + PosInterp(E, grid)
 * X  = Block_i(X; cos, sin, seqLens)   for i < depth
 * Y  = Merger(X)
 * ```
 *
 * @module
 */
import { type NDArray, toFlat, zeros } from '../../ndarray.js';
import type { WeightSource } from '../../weights.js';
import { ProVisionBlock, type ProVisionPositions } from './block.js';
import { type ProVisionConfig, checkProVisionConfig, join, patchFeatures } from './config.js';
import { ProVisionPatchEmbed } from './embed.js';
import { type GridThw, checkGridThw, proPatchCount, proVisionSeqLens, proVisionTokenCounts } from './grid.js';
import { ProVisionPatchMerger } from './merger.js';
import { ProVisionPositionEmbedding, proVisionRopeTables } from './positions.js';

/** With `outputHiddenStates`: the features and the depth + 1 hidden states `[P, C]`. */
export interface ProVisionOutput {
  /** `image_features [P / m², D]`. */
  imageFeatures: NDArray;
  /** depth + 1 arrays `[P, C]`: the embedded input, then each block's output. */
  hiddenStates: NDArray[];
}

/** `pixel_values [P, K]` + `gridThw` → `image_features [P / m², D]`. */
export class ProVisionModel {
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

  /** Load every part from the HF names under `prefix`. */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix = 'model.visual'): ProVisionModel {
    const blocks: ProVisionBlock[] = [];
    for (let i = 0; i < config.depth; i++) blocks.push(ProVisionBlock.fromWeights(config, weights, join(prefix, `blocks.${i}`)));
    return new ProVisionModel(
      config,
      ProVisionPatchEmbed.fromWeights(config, weights, join(prefix, 'patch_embed')),
      ProVisionPositionEmbedding.fromWeights(config, weights, join(prefix, 'pos_embed')),
      blocks,
      ProVisionPatchMerger.fromWeights(config, weights, join(prefix, 'merger')),
    );
  }

  /** `t·gh·gw / m²` per item. */
  tokenCounts(gridThw: GridThw | NDArray): number[] {
    return proVisionTokenCounts(gridThw, this.config.spatial_merge_size);
  }

  /** Check `pixelValues [P, K]` against the grid. */
  checkInputs(pixelValues: NDArray, gridThw: GridThw | NDArray): [number, number, number][] {
    const grid = checkGridThw('ProVisionModel', gridThw, this.config.spatial_merge_size);
    const [P, K] = pixelValues.shape;
    if (pixelValues.shape.length !== 2 || K !== patchFeatures(this.config) || P !== proPatchCount(grid)) {
      throw new Error(`ProVisionModel: 'pixelValues' [${pixelValues.shape.join(', ')}] must be [${proPatchCount(grid)}, ${patchFeatures(this.config)}] for this grid`);
    }
    return grid;
  }

  /** `X = patch_embed(pixel_values) + PosInterp` → `[P, C]`. */
  embed(pixelValues: NDArray, gridThw: GridThw | NDArray): NDArray {
    const grid = this.checkInputs(pixelValues, gridThw);
    const a = this.patchEmbed.forward(pixelValues);
    const b = this.posEmbed.forward(grid);
    const out = zeros(a.shape);
    const [fa, fb] = [toFlat(a), toFlat(b)];
    for (let i = 0; i < out.size; i++) out.data[i] = fa[i] + fb[i];
    return out;
  }

  /** RoPE tables and attention blocks of a grid. */
  positions(gridThw: GridThw | NDArray): ProVisionPositions {
    const m = this.config.spatial_merge_size;
    const { cos, sin } = proVisionRopeTables(gridThw, this.config.hidden_size / this.config.num_heads, m);
    return { cos, sin, seqLens: proVisionSeqLens(gridThw, m) };
  }

  /** `pixelValues [P, K]`, `gridThw` → `image_features [P / m², D]`, or with `outputHiddenStates` a {@link ProVisionOutput}. */
  forward(pixelValues: NDArray, gridThw: GridThw | NDArray, opts?: { outputHiddenStates?: false }): NDArray;
  forward(pixelValues: NDArray, gridThw: GridThw | NDArray, opts: { outputHiddenStates: true }): ProVisionOutput;
  forward(pixelValues: NDArray, gridThw: GridThw | NDArray, opts: { outputHiddenStates?: boolean } = {}): NDArray | ProVisionOutput {
    const grid = this.checkInputs(pixelValues, gridThw);
    const pos = this.positions(grid);
    let h = this.embed(pixelValues, grid);
    const hidden = [h];
    for (const block of this.blocks) {
      h = block.forward(h, pos);
      hidden.push(h);
    }
    const imageFeatures = this.merger.forward(h);
    return opts.outputHiddenStates ? { imageFeatures, hiddenStates: hidden } : imageFeatures;
  }
}
