/**
 * The options of the time-series tower's encoders and model (spec 7), shared by the fast path and
 * the reference (plain types, no twin: DESIGN.md). Batching and chunking options tune the fast
 * path's memory and never change a result; the reference accepts and ignores them.
 *
 * @module
 */
import type { TimeSeriesPlanOptions } from './plan.js';

/** Options of `TimeSeriesPatchEncoder.forward` (the reference ignores `patchBatch`). */
export interface PatchEncoderOptions {
  /** Patches per batch (even, ≥ 2). Default: as many as fit `TS_PATCH_BATCH_POSITIONS` (16384) positions. */
  readonly patchBatch?: number;
}

/** Options of the Whisper encoder. */
export interface WhisperEncoderOptions {
  /** LayerNorm eps inside the layers (default 1e-5, the training code; lmdeploy uses 1e-6). */
  readonly layerNormEps?: number;
}

/** Options of a Whisper forward pass (the reference ignores the chunk sizes). */
export interface WhisperForwardOptions {
  /**
   * Queries per attention chunk; does not change the result. Default: 256, fewer for long inputs
   * so that one chunk's scores stay under `TS_ATTENTION_BLOCK` (2^23) floats (at least 16).
   */
  readonly attentionChunk?: number;
  /** Output positions per convolution chunk (default `TS_CONV_CHUNK` (8192)); does not change the result. */
  readonly convChunk?: number;
  /** Rows per MLP chunk (default `TS_MLP_CHUNK` (8192)); does not change the result. */
  readonly mlpChunk?: number;
}

/** The plan, batching, chunking and extra-output options of `TimeSeriesModel.forward`. */
export interface TimeSeriesForwardOptions extends TimeSeriesPlanOptions, PatchEncoderOptions, WhisperForwardOptions {
  /** Also return `E1 [L1, 128]`, the per-patch features (holds all L1 rows). */
  readonly returnPatchFeatures?: boolean;
  /** Also return `Z [N_ts, ts_hidden_dim]`, the encoder output before the projector. */
  readonly returnEncoderStates?: boolean;
}
