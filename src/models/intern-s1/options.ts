/**
 * Option types and constants of the InternS1 model that the fast path and the reference declare
 * alike (plain data, no twin: DESIGN.md): the model's inputs (generic in the tree's tensor type),
 * the vision tower's weight prefixes and the projector's LayerNorm epsilon.
 *
 * @module
 */

/** Weight prefixes of the InternS1 vision tower. */
export interface VisionTowerPrefixes {
  /** Prefix of the InternViT weights (default `model.vision_tower`). */
  vision?: string;
  /** Prefix of the projector weights (default `model.multi_modal_projector`). */
  projector?: string;
}

/** Epsilon of the projector LayerNorm: PyTorch's default 1e-5, not the ViT's 1e-6 (gotcha 10.8). */
export const PROJECTOR_LN_EPS = 1e-5;

/** Images of a batch (all items in prompt order); `T` is the tree's tensor type. */
export interface ImageInputsOf<T> {
  /**
   * Intern-S1 / mini: tiles `[N, 3, H, W]` (InternVL tiling, thumbnails included).
   * Intern-S1-Pro: patches `[P, 1536]` with `gridThw`.
   */
  readonly pixelValues: T;
  /** Pro only: `[t, gh, gw]` per image, in prompt order. */
  readonly gridThw?: readonly (readonly [number, number, number])[];
}

/** One signal for the time-series tower; `T` is the tree's tensor type. */
export interface SeriesInputOf<T> {
  /** Raw samples `[T, C]` (z-scored by the model's preprocessing). */
  readonly signal: T;
  /** Sampling rate in Hz. */
  readonly samplingRate: number;
  /**
   * The signal is already normalised (as the processor returns it, or `intern-s1 preprocess-series`
   * writes it): skip the z-score (default false: raw samples are z-scored per channel, spec 7.1).
   */
  readonly preprocessed?: boolean;
}

/** What one forward call reads; `T` is the tree's tensor type. */
export interface ModelInputsOf<T> {
  /** Token ids `[B][T]` (rectangular), with the media placeholders already expanded. */
  readonly inputIds: readonly (readonly number[])[];
  /** Images (Intern-S1 / mini tiles, or Pro patches with their grids), in prompt order. */
  readonly images?: ImageInputsOf<T>;
  /**
   * Videos (Intern-S1-Pro): the patches of every video's frame groups (`preprocessProVideo`) with one
   * `[t, gh, gw]` grid per video, in prompt order; their features fill the `<|video_pad|>` tokens.
   */
  readonly videos?: ImageInputsOf<T>;
  /** Signals in prompt order (Pro). */
  readonly series?: readonly SeriesInputOf<T>[];
}
