/**
 * Reference Whisper-style encoder `encoder` of the time-series tower (spec 7.3), float64:
 * adapt_in, two GELU convolutions, learned positions (zero past max_source_positions), pre-LN
 * layers with a causal mask and no k_proj bias, final LayerNorm, adapt_out.
 *
 * Legend: L2 rows in, L3 = ⌈L2/2⌉ rows out, d = d_model, H heads, hd = d/H.
 *
 * @module
 */
import { type NDArray, zeros } from '../../ndarray.js';
import { gelu } from '../../ops/activations.js';
import { attention } from '../../ops/attention.js';
import { conv1d } from '../../ops/conv.js';
import { reshape, transpose } from '../../ops/shape.js';
import { type ActivationFn, activation } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import type { WeightSource } from '../../weights.js';
import { TS_WHISPER_LN_EPS } from '../../../src/models/time-series/constants.js';
import type { TimeSeriesConfig as SrcTimeSeriesConfig } from '../../../src/io/configs/time-series.js';
import type { WhisperEncoderOptions, WhisperForwardOptions } from '../../../src/models/time-series/options.js';

export type { WhisperEncoderOptions, WhisperForwardOptions } from '../../../src/models/time-series/options.js';

// Shared with the fast path (constants of the release, no twin, DESIGN.md).
export { TS_WHISPER_LN_EPS, TS_CONV_CHUNK, TS_MLP_CHUNK, TS_ATTENTION_BLOCK } from '../../../src/models/time-series/constants.js';

/**
 * The `ts_config` fields the reference reads: a subset of the one parsed config type
 * (src/io/configs/time-series.ts, shared: configs have no twin), so hand-built test configs need
 * only these keys.
 */
export type TimeSeriesConfig = Pick<SrcTimeSeriesConfig,
  'd_model' | 'encoder_layers' | 'encoder_attention_heads' | 'encoder_ffn_dim' | 'max_source_positions' | 'num_mel_bins' | 'activation_function' | 'ts_adapt_in_dim' | 'ts_adapt_out_dim' | 'ts_hidden_dim' | 'out_hidden_size'>;

function addArrays(a: NDArray, b: NDArray): NDArray {
  const out = zeros(a.shape);
  for (let i = 0; i < a.size; i++) out.data[i] = a.data[i] + b.data[i];
  return out;
}

/** Pre-LN Whisper layer: `H += out(attn_causal(LN1(H)))`, `H += fc2(act(fc1(LN2(H))))`. */
export class TimeSeriesWhisperLayer {
  constructor(
    /** `self_attn.q_proj`, `[d, d]`. */
    readonly qProj: Linear,
    /** `self_attn.k_proj`, `[d, d]` (no bias unless the checkpoint has one). */
    readonly kProj: Linear,
    /** `self_attn.v_proj`, `[d, d]`. */
    readonly vProj: Linear,
    /** `self_attn.out_proj`, `[d, d]`. */
    readonly outProj: Linear,
    /** `self_attn_layer_norm`, LayerNorm `[d]` before attention. */
    readonly attnNorm: LayerNorm,
    /** `fc1`, `[F, d]`. */
    readonly fc1: Linear,
    /** `fc2`, `[d, F]`. */
    readonly fc2: Linear,
    /** `final_layer_norm`, LayerNorm `[d]` before the MLP. */
    readonly ffnNorm: LayerNorm,
    /** H, attention heads. */
    readonly heads: number,
    /** The MLP activation named by `activation_function`. */
    readonly act: ActivationFn,
  ) {}

  /** Load `<prefix>.self_attn.{q,k,v,out}_proj`, `self_attn_layer_norm`, `fc1`, `fc2`, `final_layer_norm` (biases used when present). */
  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix: string, opts: WhisperEncoderOptions = {}): TimeSeriesWhisperLayer {
    const eps = opts.layerNormEps ?? TS_WHISPER_LN_EPS;
    const lin = (n: string) => Linear.fromWeights(weights, n, { bias: 'optional' }); // k_proj has no bias: zero
    return new TimeSeriesWhisperLayer(
      lin(`${prefix}.self_attn.q_proj`), lin(`${prefix}.self_attn.k_proj`), lin(`${prefix}.self_attn.v_proj`),
      lin(`${prefix}.self_attn.out_proj`), LayerNorm.fromWeights(weights, `${prefix}.self_attn_layer_norm`, eps),
      lin(`${prefix}.fc1`), lin(`${prefix}.fc2`), LayerNorm.fromWeights(weights, `${prefix}.final_layer_norm`, eps),
      cfg.encoder_attention_heads, activation(cfg.activation_function),
    );
  }

  /** `h [L, d]` → `[L, d]`. */
  forward(h: NDArray, _opts: WhisperForwardOptions = {}): NDArray {
    const [L, d] = h.shape;
    const heads = (t: NDArray) => reshape(t, [L, this.heads, d / this.heads]); // [L, H, hd]
    const x = this.attnNorm.forward(h); // [L, d]
    const a = attention(heads(this.qProj.forward(x)), heads(this.kProj.forward(x)), heads(this.vProj.forward(x)), { mask: 'causal' }); // [L, H, hd]
    const h1 = addArrays(h, this.outProj.forward(reshape(a, [L, d]))); // [L, d]
    return addArrays(h1, this.fc2.forward(this.act(this.fc1.forward(this.ffnNorm.forward(h1))))); // [L, d]
  }
}

/** `encoder`: `E2 [L2, 256]` → `Z [L3, ts_adapt_out_dim]`. */
export class TimeSeriesWhisperEncoder {
  constructor(
    /** The `ts_config`. */
    readonly cfg: TimeSeriesConfig,
    /** `adapt_in`, `[num_mel_bins, ts_adapt_in_dim]` with bias. */
    readonly adaptIn: Linear,
    /** `conv1` weight `[d, num_mel_bins, 3]` and bias `[d]`. */
    readonly conv1: readonly [NDArray, NDArray],
    /** `conv2` weight `[d, d, 3]` and bias `[d]` (stride 2). */
    readonly conv2: readonly [NDArray, NDArray],
    /** `embed_positions.weight [max_source_positions, d]`. */
    readonly positions: NDArray,
    /** The `encoder_layers` Whisper layers, in order. */
    readonly layers: readonly TimeSeriesWhisperLayer[],
    /** The final `layer_norm` `[d]` (eps 1e-5). */
    readonly layerNorm: LayerNorm,
    /** `adapt_out`, `[ts_adapt_out_dim, d]` with bias. */
    readonly adaptOut: Linear,
  ) {}

  /** Load `<prefix>.*` (prefix e.g. `model.time_series.encoder`). */
  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix: string, opts: WhisperEncoderOptions = {}): TimeSeriesWhisperEncoder {
    const conv = (n: string): [NDArray, NDArray] => [weights.array(`${prefix}.${n}.weight`), weights.array(`${prefix}.${n}.bias`)];
    return new TimeSeriesWhisperEncoder(
      cfg, Linear.fromWeights(weights, `${prefix}.adapt_in`, { bias: true }), conv('conv1'), conv('conv2'),
      weights.array(`${prefix}.embed_positions.weight`),
      Array.from({ length: cfg.encoder_layers }, (_, j) => TimeSeriesWhisperLayer.fromWeights(cfg, weights, `${prefix}.layers.${j}`, opts)),
      LayerNorm.fromWeights(weights, `${prefix}.layer_norm`, TS_WHISPER_LN_EPS),
      Linear.fromWeights(weights, `${prefix}.adapt_out`, { bias: true }),
    );
  }

  /** `A = E2 · adapt_inᵀ + b`: `[n, 256]` → `[n, 80]`. */
  adapt(e2: NDArray): NDArray {
    return this.adaptIn.forward(e2);
  }

  /** `A [L2, 80]` → `Z [L3, ts_adapt_out_dim]`. */
  forwardAdapted(a: NDArray, opts: WhisperForwardOptions = {}): NDArray {
    const [L2, mel] = a.shape;
    const d = this.cfg.d_model;
    const x = reshape(transpose(a), [1, mel, L2]); // [1, 80, L2], channels first
    const b1 = gelu(conv1d(x, this.conv1[0], this.conv1[1], { padding: 1 })); // [1, d, L2]
    const b2 = gelu(conv1d(b1, this.conv2[0], this.conv2[1], { stride: 2, padding: 1 })); // [1, d, L3]
    const L3 = b2.shape[2];
    let h = zeros([L3, d]); // [L3, d] = B2ᵀ + positions (zero past max_source_positions)
    for (let t = 0; t < L3; t++) {
      for (let j = 0; j < d; j++) {
        const pos = t < this.cfg.max_source_positions ? this.positions.get(t, j) : 0;
        h.set(t, j, b2.get(0, j, t) + pos);
      }
    }
    for (const layer of this.layers) h = layer.forward(h, opts);
    return this.adaptOut.forward(this.layerNorm.forward(h)); // [L3, out]
  }

  /** `E2 [L2, 256]` → `Z [⌈L2/2⌉, ts_adapt_out_dim]`. */
  forward(e2: NDArray, opts: WhisperForwardOptions = {}): NDArray {
    return this.forwardAdapted(this.adapt(e2), opts);
  }
}
