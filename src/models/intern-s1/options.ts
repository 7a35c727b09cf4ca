/**
 * Option types and constants of the InternS1 model that the fast path and the reference declare
 * alike (plain data, no twin: DESIGN.md): sampling options, the vision tower's weight prefixes and
 * the projector's LayerNorm epsilon.
 *
 * @module
 */

/** How to pick the next token. */
export interface SamplingOptions {
  /** Softmax temperature; `0` (default) means greedy argmax. */
  readonly temperature?: number;
  /** Keep only the `topK` most likely tokens (0 or undefined: all). */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability sum reaches `topP` (1: all). */
  readonly topP?: number;
}

/** Weight prefixes of the InternS1 vision tower. */
export interface VisionTowerPrefixes {
  /** Prefix of the InternViT weights (default `model.vision_tower`). */
  vision?: string;
  /** Prefix of the projector weights (default `model.multi_modal_projector`). */
  projector?: string;
}

/** Epsilon of the projector LayerNorm: PyTorch's default 1e-5, not the ViT's 1e-6 (gotcha 10.8). */
export const PROJECTOR_LN_EPS = 1e-5;
