/**
 * The constants of the Intern-S1-Pro time-series tower (spec 7): fixed widths, kernel, norm
 * epsilons, lmdeploy's limits, and the fast path's chunk budgets. Shared by the fast path and
 * the reference (one definition, no twin: DESIGN.md); the reference exports them too so that
 * both entries name the same constants, although it chunks nothing.
 *
 * @module
 */
import { TS_MAX_STRIDE } from './plan.js';

// patch-encoder
/** Width of the patch encoder (conv channels, transformer d_model), fixed by the release. */
export const TS_PATCH_DIM = 128;
/** Heads of the patch transformer layer (`nn.TransformerEncoderLayer(d_model=128, nhead=8)`). */
export const TS_PATCH_HEADS = 8;
/** Kernel of the patch conv1d (padding 2 keeps the length p). */
export const TS_PATCH_KERNEL = 5;
/** LayerNorm eps of `nn.TransformerEncoderLayer` (PyTorch default). */
export const TS_PATCH_LN_EPS = 1e-5;
/** Rows of the sinusoidal table needed for the largest patch, 2·160. */
export const TS_PE_ROWS = 2 * TS_MAX_STRIDE;
/** Largest allowed |checkpoint pe − formula|: BF16 storage of values in [−1, 1] errs by ≤ 2^-9. */
export const TS_PE_CHECK_ATOL = 1e-2;
/** Default batch budget: positions (rows × p) encoded per batch (the FFN holds ×F floats). */
export const TS_PATCH_BATCH_POSITIONS = 16384;

// whisper
/** LayerNorm eps of the Whisper layers and the final norm (training code, spec 7.3). */
export const TS_WHISPER_LN_EPS = 1e-5;
/** Output positions per convolution chunk. */
export const TS_CONV_CHUNK = 8192;
/** Rows per MLP chunk. */
export const TS_MLP_CHUNK = 8192;
/** Budget of one attention chunk's scores, queries × keys (2^23 floats = 32 MB). */
export const TS_ATTENTION_BLOCK = 2 ** 23;

// model
/** LayerNorm eps of the projector (PyTorch default, spec 7.4). */
export const TS_PROJECTOR_LN_EPS = 1e-5;

// processor
/** lmdeploy's truncation length (samples per channel, spec 7.1 step 2). */
export const TS_LMDEPLOY_MAX_SAMPLES = 240_000;
/** The `+1e-8` of lmdeploy's z-score denominator `(x − mean) / (std + 1e-8)`. */
export const TS_ZSCORE_EPS = 1e-8;
