/**
 * The Whisper-style encoder of the time-series tower, `encoder` (spec 7.3; lmdeploy's
 * `InternS1ProTimeSeriesEncoder` with HF Whisper encoder layers):
 *
 * ```
 * A  = E2 · adapt_inᵀ + b                         [L2, 80]
 * B1 = gelu(conv1(Aᵀ))  (k3, p1)                  [d, L2]
 * B2 = gelu(conv2(B1))  (k3, s2, p1)              [d, L3],  L3 = ⌈L2/2⌉
 * H  = B2ᵀ + embed_positions[:L3]  (zero rows past max_source_positions)
 * H  = H + MHA(LN(H), causal);  H = H + fc2(act(fc1(LN(H))))   × encoder_layers
 * Z  = LN(H) · adapt_outᵀ + b                     [L3, ts_adapt_out_dim]
 * ```
 *
 * Choices (spec 7.3, 10.12): the self-attention mask is causal (as the released inference and
 * training code, despite a docstring saying bi-directional); `k_proj` has no bias (a checkpoint
 * bias is used if present, a missing one is zero); q is scaled by hd^-0.5; the conv GELUs are
 * erf GELU; the layer LayerNorms use eps 1e-5 as the training code (HF `WhisperEncoderLayer`),
 * not lmdeploy's 1e-6 (switchable with `layerNormEps` to compare).
 *
 * Memory: the convolutions run in chunks of output positions, attention in query chunks
 * (`attentionChunked`) and the MLP in row chunks, so peak memory grows linearly with L2.
 * Legend: L2 rows in, L3 rows out, d = d_model, H heads, hd = d/H, F = encoder_ffn_dim.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../../errors.js';
import type { TimeSeriesConfig } from '../../io/configs/time-series.js';
import { loadAll, loadTensor } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { type ActivationFn, activation } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import { scope } from '../../nn/scope.js';
import { gelu } from '../../ops/activations.js';
import { attentionChunked } from '../../ops/attention.js';
import { conv1d } from '../../ops/conv.js';
import { add } from '../../ops/elementwise.js';
import { pad, reshape, slice, transpose } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { TS_ATTENTION_BLOCK, TS_CONV_CHUNK, TS_MLP_CHUNK, TS_WHISPER_LN_EPS } from './constants.js';
import type { WhisperEncoderOptions, WhisperForwardOptions } from './options.js';

export type { WhisperEncoderOptions, WhisperForwardOptions } from './options.js';

export { TS_WHISPER_LN_EPS, TS_CONV_CHUNK, TS_MLP_CHUNK, TS_ATTENTION_BLOCK } from './constants.js';

/** Throw unless each chunk option is absent or a positive integer. */
function checkChunks(op: string, o: WhisperForwardOptions): void {
  for (const k of ['attentionChunk', 'convChunk', 'mlpChunk'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new ValueError(`${op}: '${k}' must be a positive integer, got ${v}`);
  }
}

/** Apply `fn` to row blocks of `x [L, ...]` of at most `chunk` rows and concatenate. */
function byRows(x: tf.Tensor, chunk: number, fn: (b: tf.Tensor) => tf.Tensor): tf.Tensor {
  const L = x.shape[0];
  if (L <= chunk) return fn(x);
  const parts: tf.Tensor[] = [];
  for (let r0 = 0; r0 < L; r0 += chunk) {
    parts.push(tf.tidy(() => fn(tf.slice(x, [r0], [Math.min(chunk, L - r0)]))));
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

/**
 * `gelu(conv1d(x, w, b, {stride, padding}))` for `x [1, Cin, L]`, computed in chunks of output
 * positions: chunk `[o0, o1)` reads input `[o0·s − pad, (o1−1)·s − pad + k)`, zero outside
 * `[0, L)`, with a valid (unpadded) conv1d. Equal to the unchunked conv.
 */
function convGeluChunked(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, stride: number, padding: number, chunk: number): tf.Tensor {
  const L = x.shape[2]!;
  const k = w.shape[2]!;
  const Lo = Math.floor((L + 2 * padding - k) / stride) + 1;
  if (Lo <= chunk) return tf.tidy(() => gelu(conv1d(x, w, b, { stride, padding })));
  const parts: tf.Tensor[] = [];
  for (let o0 = 0; o0 < Lo; o0 += chunk) {
    const o1 = Math.min(o0 + chunk, Lo);
    const start = o0 * stride - padding;
    const end = (o1 - 1) * stride - padding + k;
    parts.push(tf.tidy(() => {
      const lo = Math.max(0, start);
      const hi = Math.min(L, end);
      const piece = tf.slice(x, [0, 0, lo], [-1, -1, hi - lo]); // [1, Cin, hi − lo]
      const padded = tf.pad(piece, [[0, 0], [0, 0], [lo - start, end - hi]]); // [1, Cin, end − start]
      return gelu(conv1d(padded, w, b, { stride })); // [1, Cout, o1 − o0]
    }));
  }
  const out = tf.concat(parts, 2);
  tf.dispose(parts);
  return out;
}

/** One pre-LN Whisper encoder layer (HF `WhisperEncoderLayer`) with a causal mask. */
export class TimeSeriesWhisperLayer {
  constructor(
    /** `self_attn.q_proj`, `[d, d]` with bias. */
    readonly qProj: Linear,
    /** `self_attn.k_proj`, `[d, d]`, bias only if the checkpoint has one. */
    readonly kProj: Linear,
    /** `self_attn.v_proj`, `[d, d]` with bias. */
    readonly vProj: Linear,
    /** `self_attn.out_proj`, `[d, d]` with bias. */
    readonly outProj: Linear,
    /** `self_attn_layer_norm`, LayerNorm `[d]` before attention. */
    readonly attnNorm: LayerNorm,
    /** `fc1`, `[F, d]` with bias. */
    readonly fc1: Linear,
    /** `fc2`, `[d, F]` with bias. */
    readonly fc2: Linear,
    /** `final_layer_norm`, LayerNorm `[d]` before the MLP. */
    readonly ffnNorm: LayerNorm,
    /** H, attention heads (`encoder_attention_heads`). */
    readonly heads: number,
    /** The MLP activation named by `activation_function`. */
    readonly act: ActivationFn,
  ) {}

  /** Load `<prefix>.self_attn.{q,k,v,out}_proj`, `self_attn_layer_norm`, `fc1`, `fc2`, `final_layer_norm`. */
  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix: string, opts: WhisperEncoderOptions = {}): TimeSeriesWhisperLayer {
    const d = cfg.d_model;
    const F = cfg.encoder_ffn_dim;
    const eps = opts.layerNormEps ?? TS_WHISPER_LN_EPS;
    return loadAll((keep) => {
      const attn = (n: string, bias: boolean | 'optional') => keep(Linear.fromWeights(weights, `${prefix}.self_attn.${n}`, { bias, expect: [d, d] }));
      const [q, k, v, o] = [attn('q_proj', true), attn('k_proj', 'optional'), attn('v_proj', true), attn('out_proj', true)];
      const ln1 = keep(LayerNorm.fromWeights(weights, `${prefix}.self_attn_layer_norm`, eps));
      const fc1 = keep(Linear.fromWeights(weights, `${prefix}.fc1`, { bias: true, expect: [F, d] }));
      const fc2 = keep(Linear.fromWeights(weights, `${prefix}.fc2`, { bias: true, expect: [d, F] }));
      const ln2 = keep(LayerNorm.fromWeights(weights, `${prefix}.final_layer_norm`, eps));
      return new TimeSeriesWhisperLayer(q, k, v, o, ln1, fc1, fc2, ln2, cfg.encoder_attention_heads, activation(cfg.activation_function));
    });
  }

  /**
   * `h [L, d]` → `[L, d]`.
   *
   * @throws ShapeError / DTypeError unless `h` is a float32 `[L >= 1, d]`; ValueError for a chunk
   *   option that is not a positive integer.
   */
  forward(h: tf.Tensor2D, opts: WhisperForwardOptions = {}): tf.Tensor2D {
    const [L, d] = this.checkInput(h, opts);
    const heads = (t: tf.Tensor) => reshape(t, [L, this.heads, d / this.heads]); // [L, H, hd]
    const chunkSize = opts.attentionChunk ?? Math.max(16, Math.min(256, Math.floor(TS_ATTENTION_BLOCK / L)));
    return scope(() => {
      const x = this.attnNorm.forward(h); // [L, d]
      const a = attentionChunked(heads(this.qProj.forward(x)), heads(this.kProj.forward(x)), heads(this.vProj.forward(x)), { mask: 'causal', chunkSize }); // [L, H, hd]
      const h1 = add(h, this.outProj.forward(reshape(a, [L, d]))); // [L, d]
      const mlp = (r: tf.Tensor) => this.fc2.forward(this.act(this.fc1.forward(this.ffnNorm.forward(r)))); // [n, d], in blocks of rows
      return add(h1, byRows(h1, opts.mlpChunk ?? TS_MLP_CHUNK, mlp)) as tf.Tensor2D; // [L, d]
    });
  }

  /** Check `h` (float32 `[L >= 1, d]`) and the chunk options; returns `[L, d]`. */
  private checkInput(h: tf.Tensor2D, opts: WhisperForwardOptions): [number, number] {
    const op = 'TimeSeriesWhisperLayer.forward';
    checkFloat(op, 'h', h);
    checkRank(op, 'h', h, 2);
    const d = this.qProj.inFeatures;
    if (h.shape[0] < 1 || h.shape[1] !== d) throw new ShapeError(`${op}: 'h' must be [L >= 1, ${d}], got ${fmtShape(h.shape)}`);
    checkChunks(op, opts);
    return h.shape;
  }

  /** Release every weight of the layer. */
  dispose(): void {
    for (const m of [this.qProj, this.kProj, this.vProj, this.outProj, this.attnNorm, this.fc1, this.fc2, this.ffnNorm]) m.dispose();
  }
}

/** `encoder` (spec 7.3): `E2 [L2, 256]` → `Z [⌈L2/2⌉, ts_adapt_out_dim]`. */
export class TimeSeriesWhisperEncoder {
  constructor(
    /** The `ts_config`. */
    readonly cfg: TimeSeriesConfig,
    /** `adapt_in`, `[num_mel_bins, ts_adapt_in_dim]` with bias (a pair's 256 features → num_mel_bins). */
    readonly adaptIn: Linear,
    /** `[d, 80, 3]`, `[d]`. */
    readonly conv1: readonly [tf.Tensor3D, tf.Tensor1D],
    /** `[d, d, 3]`, `[d]`. */
    readonly conv2: readonly [tf.Tensor3D, tf.Tensor1D],
    /** `embed_positions.weight [max_source_positions, d]`. */
    readonly positions: tf.Tensor2D,
    /** The `encoder_layers` Whisper layers, in order. */
    readonly layers: readonly TimeSeriesWhisperLayer[],
    /** The final `layer_norm` `[d]` (eps 1e-5). */
    readonly layerNorm: LayerNorm,
    /** `adapt_out`, `[ts_adapt_out_dim, d]` with bias. */
    readonly adaptOut: Linear,
  ) {}

  /** Build from `<prefix>.*` (prefix e.g. `model.time_series.encoder`). */
  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix: string, opts: WhisperEncoderOptions = {}): TimeSeriesWhisperEncoder {
    const d = cfg.d_model;
    const op = 'TimeSeriesWhisperEncoder';
    return loadAll((keep) => {
      const conv = (n: string, cin: number): [tf.Tensor3D, tf.Tensor1D] => [
        keep(loadTensor(op, weights, `${prefix}.${n}.weight`, [d, cin, 3])) as tf.Tensor3D,
        keep(weights.tensor(`${prefix}.${n}.bias`)) as tf.Tensor1D,
      ];
      const adaptIn = keep(Linear.fromWeights(weights, `${prefix}.adapt_in`, { bias: true, expect: [cfg.num_mel_bins, cfg.ts_adapt_in_dim] }));
      const c1 = conv('conv1', cfg.num_mel_bins);
      const c2 = conv('conv2', d);
      const pos = keep(loadTensor(op, weights, `${prefix}.embed_positions.weight`, [cfg.max_source_positions, d])) as tf.Tensor2D;
      const layers = Array.from({ length: cfg.encoder_layers }, (_, j) => keep(TimeSeriesWhisperLayer.fromWeights(cfg, weights, `${prefix}.layers.${j}`, opts)));
      const ln = keep(LayerNorm.fromWeights(weights, `${prefix}.layer_norm`, TS_WHISPER_LN_EPS));
      const adaptOut = keep(Linear.fromWeights(weights, `${prefix}.adapt_out`, { bias: true, expect: [cfg.ts_adapt_out_dim, d] }));
      return new TimeSeriesWhisperEncoder(cfg, adaptIn, c1, c2, pos, layers, ln, adaptOut);
    });
  }

  /** `adapt_in`: `E2 [n, 256]` → `[n, 80]` (row-wise, so the model applies it batch by batch). */
  adapt(e2: tf.Tensor2D): tf.Tensor2D {
    return this.adaptIn.forward(e2) as tf.Tensor2D;
  }

  /** Everything after `adapt_in`: `A [L2, 80]` → `Z [L3, ts_adapt_out_dim]`. */
  forwardAdapted(a: tf.Tensor2D, opts: WhisperForwardOptions = {}): tf.Tensor2D {
    this.checkAdapted(a, opts);
    return scope(() => {
      let h = this.stem(a, opts.convChunk ?? TS_CONV_CHUNK); // [L3, d]
      for (const layer of this.layers) {
        const next = layer.forward(h, opts); // [L3, d]
        h.dispose(); // each layer's input is freed as soon as its output exists
        h = next;
      }
      return this.adaptOut.forward(this.layerNorm.forward(h)) as tf.Tensor2D; // [L3, out]
    });
  }

  /**
   * The convolution stem: `a [L2, 80]` → `GELU(conv1) → GELU(conv2, stride 2)` → transposed, plus
   * the positions (zero past max_source_positions) → `[L3, d]`. Its intermediates are freed
   * before the layers run.
   */
  private stem(a: tf.Tensor2D, chunk: number): tf.Tensor2D {
    const [L2, mel] = a.shape;
    const d = this.cfg.d_model;
    const P = this.cfg.max_source_positions;
    return scope(() => {
      const x = reshape(transpose(a), [1, mel, L2]); // [1, 80, L2], channels first
      const b1 = convGeluChunked(x, this.conv1[0], this.conv1[1], 1, 1, chunk); // [1, d, L2]
      const b2 = convGeluChunked(b1, this.conv2[0], this.conv2[1], 2, 1, chunk); // [1, d, L3]
      const L3 = b2.shape[2]!;
      const pe = L3 <= P ? slice(this.positions, [0, 0], [L3, d]) : pad(this.positions, [[0, L3 - P], [0, 0]]); // [L3, d]
      return add(transpose(reshape(b2, [d, L3])), pe) as tf.Tensor2D; // [L3, d]
    });
  }

  /** Check `a` (float32 `[L2 >= 1, num_mel_bins]`) and the chunk options. */
  private checkAdapted(a: tf.Tensor2D, opts: WhisperForwardOptions): void {
    checkFloat('TimeSeriesWhisperEncoder', 'a', a);
    const [L2, mel] = a.shape;
    if (a.rank !== 2 || mel !== this.cfg.num_mel_bins || L2 < 1) {
      throw new ShapeError(`TimeSeriesWhisperEncoder: 'a' must be [L2 >= 1, ${this.cfg.num_mel_bins}], got ${fmtShape(a.shape)}`);
    }
    checkChunks('TimeSeriesWhisperEncoder', opts);
  }

  /** `E2 [L2, 256]` → `Z [⌈L2/2⌉, ts_adapt_out_dim]`. */
  forward(e2: tf.Tensor2D, opts: WhisperForwardOptions = {}): tf.Tensor2D {
    this.checkE2(e2);
    return scope(() => this.forwardAdapted(this.adapt(e2), opts));
  }

  /** Check `e2` (float32 `[L2, ts_adapt_in_dim]`). */
  private checkE2(e2: tf.Tensor2D): void {
    checkFloat('TimeSeriesWhisperEncoder', 'e2', e2);
    if (e2.rank !== 2 || e2.shape[1] !== this.cfg.ts_adapt_in_dim) {
      throw new ShapeError(`TimeSeriesWhisperEncoder: 'e2' must be [L2, ${this.cfg.ts_adapt_in_dim}], got ${fmtShape(e2.shape)}`);
    }
  }

  /** Release every weight of the encoder. */
  dispose(): void {
    tf.dispose([...this.conv1, ...this.conv2, this.positions]);
    for (const m of [this.adaptIn, ...this.layers, this.layerNorm, this.adaptOut]) m.dispose();
  }
}
