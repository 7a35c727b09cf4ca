/**
 * The forward options of the InternViT model, shared by the fast path and the reference (a plain
 * type, no twin: DESIGN.md).
 *
 * @module
 */

/** The hidden-state and attention outputs `InternVisionModel.forward` may also return. */
export interface InternVisionForwardOptions {
  /** Also return every hidden state: the embeddings output, then each layer's output (L + 1 tensors). */
  outputHiddenStates?: boolean;
  /** Also return each layer's attention probabilities `[N, H, T, T]`. */
  outputAttentions?: boolean;
}
