/**
 * The option and data types of the ops that both trees declare with the same fields: convolution,
 * interpolation and attention options, FP8 block sizes and codes (spec section 2). Plain types, no twin (DESIGN.md): the
 * fast path (`src/ops/*.ts`) and the reference (`reference/ops/*.ts`) import them from here and
 * re-export them under the same names. Where an option holds a tensor (the attention mask), the
 * type is generic in the tensor type and each tree fixes it: `tf.Tensor` in the fast path,
 * `NDArray` in the reference.
 *
 * @module
 */

/** Options of `conv1d` (PyTorch `F.conv1d` semantics; padding is symmetric zero padding). */
export interface Conv1dOptions {
  /** Step between output positions; default 1. */
  stride?: number;
  /** Zeros added on both ends; default 0. */
  padding?: number;
  /** Spacing between kernel taps; default 1. */
  dilation?: number;
}

/** Options of `conv2d`: a number applies to both axes, a pair is `[height, width]`. */
export interface Conv2dOptions {
  /** Step between output positions; default 1. */
  stride?: number | readonly [number, number];
  /** Zeros added on both ends of each spatial axis; default 0. */
  padding?: number | readonly [number, number];
  /** Spacing between kernel taps; default 1. */
  dilation?: number | readonly [number, number];
}

/** Options of the interpolation ops. */
export interface InterpolateOptions {
  /**
   * PyTorch `align_corners` (default false). False: source coordinate `(o + 0.5)·in/out − 0.5`
   * (half-pixel centres). True: `o·(in − 1)/(out − 1)` (corner pixels map to corner pixels).
   */
  alignCorners?: boolean;
}

/**
 * Options of `attention`, generic in the tree's tensor type `M` of an explicit mask.
 */
export interface AttentionOptionsOf<M> {
  /**
   * `'none'` (default): every query sees every key. `'causal'`: query i sees keys
   * `j ≤ queryOffset + i`. A tensor `[T, S]`: in the fast path bool (true = visible) or float32
   * added to the scaled scores (use -Infinity to hide a key); in the reference the additive form.
   * With `seqLens` the mask also applies, within blocks. No gradient flows into a mask tensor.
   */
  mask?: 'causal' | 'none' | M;
  /** Multiplies `q·kᵀ`; default `d^-0.5`. */
  scale?: number;
  /**
   * Lengths of sequences packed along T (block-diagonal "varlen" attention, spec 6.2.2 and
   * gotcha 10.14): a token attends only within its own block, bidirectionally or causally
   * (`mask: 'causal'`, positions counted from the block start). Requires S = T and Σ seqLens = T.
   */
  seqLens?: readonly number[];
  /**
   * Position of the first query among the S keys, for causal attention with a KV cache: query i
   * sees keys `j ≤ queryOffset + i`. Default `S − T` (the queries are the newest tokens, bottom-right
   * alignment as in FlashAttention ≥ 2.1 and HF's cache masks); pass 0 for PyTorch's top-left
   * `is_causal`. Only valid with `mask: 'causal'` and without `seqLens`. Queries that see no key
   * (negative offsets) get a zero output.
   */
  queryOffset?: number;
  /** Also return the attention probabilities `[H, T, S]` (`[B, H, T, S]` when batched). */
  returnProbs?: boolean;
}

/** Options of `attentionChunked`: {@link AttentionOptionsOf} plus the query block size. */
export interface ChunkedAttentionOptionsOf<M> extends AttentionOptionsOf<M> {
  /**
   * Queries per block (default 256). Peak extra memory is about `R·chunkSize·S` floats per step.
   * The result does not depend on it (the reference accepts and ignores it).
   */
  chunkSize?: number;
}

/** Output and probabilities, returned when `returnProbs` is true (`T` the tree's tensor type). */
export interface AttentionResultOf<T> {
  /** `[T, H, dv]` (or `[B, T, H, dv]`). */
  output: T;
  /** `[H, T, S]` (or `[B, H, T, S]`); rows of queries that see no key are all zero. */
  probs: T;
}

/** Block size of FP8 block scaling: one number for square blocks, or `[rows, cols]`. */
export type BlockSize = number | readonly [number, number];

/** Raw FP8 codes with their shape (rank ≥ 2, row-major). */
export interface Fp8Block {
  /** Tensor shape, rank ≥ 2 (`[..., R, C]`). */
  readonly shape: readonly number[];
  /** FP8 e4m3fn codes, one byte per element, row-major. */
  readonly data: Uint8Array;
}
