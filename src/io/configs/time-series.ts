/**
 * The time-series tower config (`ts_config`, a WhisperConfig subclass; spec 7.6). The key names
 * are verified [V LMD]; most released values are inferred [I], so the Whisper-shape keys are
 * required rather than defaulted, and the defaults below are the ones spec 7.6 fixes.
 *
 * @module
 */
import { type Activation, Fields, divisible, freeze } from './fields.js';

/**
 * Width of the adaptive-patching stage (spec 7.2): conv1d 1 → 128, one 128-wide transformer
 * layer; two rows are concatenated, so `ts_adapt_in_dim` must be 2·128.
 */
export const TS_EMBED_DIM = 128;

/** `ts_config` (spec 7.6). Values in brackets are the spec's inferred [I] Pro values. */
export interface TimeSeriesConfig {
  /** Whisper encoder width d [768 I]. Required. */
  readonly d_model: number;
  /** Whisper encoder layers [17 I]. Required. */
  readonly encoder_layers: number;
  /** Encoder heads (d must be a multiple) [8 I]. Required. */
  readonly encoder_attention_heads: number;
  /** Encoder FFN width F [3072 I]. Required. */
  readonly encoder_ffn_dim: number;
  /** Rows of the learned `embed_positions`; later positions get zero PE. Default 1500 [I]. */
  readonly max_source_positions: number;
  /** Input channels of `conv1` = outputs of `adapt_in`; default 80 [V]. */
  readonly num_mel_bins: number;
  /** Whisper `scale_embedding` (unused by the forward); default false [I]. */
  readonly scale_embedding: boolean;
  /** Encoder and projector activation; default `gelu` (erf) [I]. */
  readonly activation_function: Activation;
  /** Input of `adapt_in`: 2·128 from the concat subsampling; default and only value 256 [V*]. */
  readonly ts_adapt_in_dim: number;
  /** Output of `adapt_out` [1024 I]; default 1024. */
  readonly ts_adapt_out_dim: number;
  /** Width of the projector input; must equal ts_adapt_out_dim [I]. Default ts_adapt_out_dim. */
  readonly ts_hidden_dim: number;
  /** Projector output width (= the text hidden_size); default: the text hidden_size. */
  readonly out_hidden_size: number;
}

/**
 * Parse and validate a `ts_config`.
 *
 * @param json - the `ts_config` object.
 * @param textHidden - the text hidden_size (default of `out_hidden_size`, and what it must equal).
 * @throws ConfigError for a missing key, heads not dividing d_model, ts_adapt_in_dim ≠ 256,
 *   ts_hidden_dim ≠ ts_adapt_out_dim, out_hidden_size ≠ the text width, unknown activation.
 * @example
 * ```ts
 * import { parseTimeSeriesConfig } from 'intern-s1-ts';
 * const ts = parseTimeSeriesConfig({ d_model: 16, encoder_layers: 1, encoder_attention_heads: 2,
 *   encoder_ffn_dim: 32, ts_adapt_out_dim: 24 }, 16);
 * console.log(ts.ts_hidden_dim); // => 24
 * ```
 */
export function parseTimeSeriesConfig(json: unknown, textHidden: number, path = 'ts_config'): TimeSeriesConfig {
  const f = Fields.of(json, path);
  const d_model = f.int('d_model');
  const heads = f.int('encoder_attention_heads');
  divisible(f, 'd_model', d_model, 'encoder_attention_heads', heads);
  const ts_adapt_in_dim = f.int('ts_adapt_in_dim', 2 * TS_EMBED_DIM);
  if (ts_adapt_in_dim !== 2 * TS_EMBED_DIM) f.fail('ts_adapt_in_dim', `must be ${2 * TS_EMBED_DIM} (two ${TS_EMBED_DIM}-wide rows concatenated, spec 7.2), got ${ts_adapt_in_dim}`);
  const ts_adapt_out_dim = f.int('ts_adapt_out_dim', 1024);
  const ts_hidden_dim = f.int('ts_hidden_dim', ts_adapt_out_dim);
  if (ts_hidden_dim !== ts_adapt_out_dim) f.fail('ts_hidden_dim', `(${ts_hidden_dim}) must equal ts_adapt_out_dim (${ts_adapt_out_dim})`);
  const out_hidden_size = f.int('out_hidden_size', textHidden);
  if (out_hidden_size !== textHidden) f.fail('out_hidden_size', `(${out_hidden_size}) must equal the text hidden_size (${textHidden})`);
  return freeze({
    d_model, encoder_layers: f.int('encoder_layers'), encoder_attention_heads: heads,
    encoder_ffn_dim: f.int('encoder_ffn_dim'), max_source_positions: f.int('max_source_positions', 1500),
    num_mel_bins: f.int('num_mel_bins', 80), scale_embedding: f.bool('scale_embedding', false),
    activation_function: f.act('activation_function', 'gelu'), ts_adapt_in_dim, ts_adapt_out_dim, ts_hidden_dim, out_hidden_size,
  });
}
