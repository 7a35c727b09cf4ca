/**
 * FoPE, Fourier position encoding, exactly as Intern-S1-Pro's text decoder uses it (spec 5.2,
 * 5.3, 10.3-10.5, 10.16).
 *
 * RoPE gives lane pair (j, j + d/2) one frequency ω_j. FoPE keeps the K frequencies that complete
 * a period inside the training window and replaces each lane's phasor by a Fourier series over
 * them, with fixed (checkpointed, never trained) coefficient matrices per KV head:
 *
 * ```
 * ω_i      = θ^(−2i/d)                                   i < d/2          (float32)
 * keep     = first num_inv_freq, or { i : ω_i > 2π / max_position_embeddings }  → K frequencies
 * u_i(t)   = cos(t·ω_i),  v_i(t) = sin(t·ω_i)            i < K            (float32 angle t·ω_i)
 * Ĉ[h,t,j] = Σ_i u_i(t)·cos_coef[h,i,j],  Ŝ[h,t,j] = Σ_i v_i(t)·sin_coef[h,i,j]      j < K
 * Ĉ, Ŝ     padded on lanes K .. d/2−1 with constants (trained models: cos 1, sin 1)
 * cosF     = [Ĉ, Ĉ],  sinF = [Ŝ, Ŝ]                      [Hkv, T, d]
 * x'       = x ⊙ cosF[g] + rotate_half(x) ⊙ sinF[g]       g = KV group of the head
 * ```
 *
 * Legend: T tokens, B batch, H query heads, Hkv kv heads, G table heads (Hkv, or 1 when shared),
 * d head dim, K retained frequencies.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, ValueError } from '../errors.js';
import type { WeightSource } from '../io/weights.js';
import { angleCosSin, rotateHalf } from '../ops/rope.js';
import { checkFinite, checkFloat, checkRank, fmtShape } from '../util/check.js';
import type { Disposable } from './linear.js';
import { mulberry32 } from '../util/random.js';
import { DEFAULT_FOPE_PADDING, type FopeConfig, type FopeOptions, type FopePadding } from './fope-config.js';

export {
  DEFAULT_FOPE_PADDING, FOPE_PADDING_TRAINED, FOPE_PADDING_VLLM, type FopeConfig, type FopeOptions, type FopePadding,
} from './fope-config.js';

/** Largest position whose float32 value is exact; the angles are float32 products (spec 10.3). */
const MAX_POSITION = 2 ** 24;

/** FoPE tables: `cos`, `sin` `[G, T, d]` float32 (G = Hkv with per-head coefficients, else 1). */
export interface FopeTables {
  /** `cosF = [Ĉ, Ĉ]` with the padded lanes, `[G, T, d]` float32. */
  cos: tf.Tensor;
  /** `sinF = [Ŝ, Ŝ]` with the padded lanes, `[G, T, d]` float32. */
  sin: tf.Tensor;
}

/**
 * The retained FoPE frequencies (spec 5.3 steps 1-2): `ω_i = θ^(−2i/d)` rounded to float32 at
 * each step as HF builds them (same as `ropeTables`), then the first `numInvFreq` of them, or,
 * when `numInvFreq` is null, those with `ω_i > 2π / maxPosition`.
 *
 * [I] The threshold is compared in float32 (`Math.fround(2π/L)`): PyTorch compares a float32
 * tensor with a Python scalar in float32. For Intern-S1-Pro (θ 5e6, d 128, L 262144) the nearest
 * frequencies are 3.5% away from the threshold, so the choice cannot flip: K = 45.
 *
 * @param headDim - d, a positive even integer.
 * @param theta - the rope base θ.
 * @param maxPosition - `max_position_embeddings` L.
 * @param numInvFreq - `rope_scaling.num_inv_freq`, or null.
 * @returns K frequencies, float32, decreasing.
 * @throws ValueError for bad numbers; ConfigError when no frequency is kept or numInvFreq > d/2.
 * @example
 * ```ts
 * import { fopeFrequencies } from 'intern-s1-ts';
 * console.log(fopeFrequencies(128, 5e6, 262144, null).length); // => 45  -- (Intern-S1-Pro)
 * ```
 */
export function fopeFrequencies(headDim: number, theta: number, maxPosition: number, numInvFreq: number | null): Float32Array {
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2 !== 0) {
    throw new ValueError(`fopeFrequencies: 'headDim' must be a positive even integer, got ${headDim}`);
  }
  checkFinite('fopeFrequencies', 'theta', theta, true);
  checkFinite('fopeFrequencies', 'maxPosition', maxPosition, true);
  const all = new Float32Array(headDim / 2);
  for (let i = 0; i < headDim / 2; i++) all[i] = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / headDim))));
  let K: number;
  if (numInvFreq !== null) {
    if (!Number.isInteger(numInvFreq) || numInvFreq < 1 || numInvFreq > headDim / 2) {
      throw new ConfigError(`fopeFrequencies: 'num_inv_freq' must be an integer in [1, ${headDim / 2}], got ${numInvFreq}`);
    }
    K = numInvFreq;
  } else {
    const floor = Math.fround((2 * Math.PI) / maxPosition);
    K = all.filter((w) => w > floor).length; // the frequencies decrease, so the kept ones are a prefix
    if (K === 0) throw new ConfigError(`fopeFrequencies: no frequency is above 2π/max_position_embeddings = ${floor} (max_position_embeddings ${maxPosition})`);
  }
  return all.slice(0, K);
}

/** Positions as validated plain integers in [0, 2^24). */
function readPositions(op: string, positions: ArrayLike<number>): number[] {
  const vals = Array.from(positions);
  if (vals.length === 0) throw new ShapeError(`${op}: 'positions' is empty`);
  vals.forEach((p, t) => {
    if (!Number.isInteger(p) || p < 0 || p >= MAX_POSITION) {
      throw new ValueError(`${op}: 'positions[${t}]' must be an integer in [0, 2^24), got ${p}`);
    }
  });
  return vals;
}

/** Check `coef` is `[G, K, K]` (or `[K, K]`, read as G = 1) float32; returns G. */
function checkCoef(op: string, name: string, coef: tf.Tensor, K: number): number {
  checkFloat(op, name, coef);
  checkRank(op, name, coef, 2, 3);
  const [a, b] = coef.shape.slice(-2);
  if (a !== K || b !== K) {
    throw new ShapeError(`${op}: '${name}' must be [.., K, K] with K = ${K} retained frequencies, got ${fmtShape(coef.shape)}`);
  }
  return coef.rank === 3 ? coef.shape[0] : 1;
}

/**
 * FoPE cos/sin tables for the given positions (spec 5.3 steps 4-5), all in float32.
 *
 * $\hat C_{g,t,j} = \sum_{i<K} \cos(t\,\omega_i)\, C^{\cos}_{g,i,j}$, $\hat S_{g,t,j} = \sum_{i<K} \sin(t\,\omega_i)\, C^{\sin}_{g,i,j}$.
 * Reference twin: {@link reference!fopeTables | fopeTables}.
 *
 * `Ĉ[h,t,:] = cos(t·ω) · cosCoef[h]`, `Ŝ[h,t,:] = sin(t·ω) · sinCoef[h]` (one 2-D product
 * `[T, K] × [K, G·K]` for all heads), padded on lanes K .. d/2−1 with `padding`, then duplicated
 * to d lanes. Shapes: `cosCoef`, `sinCoef` `[G, K, K]` (or `[K, K]` when shared) → `[G, T, d]`.
 *
 * @param positions - integer positions, each in [0, 2^24).
 * @param freqs - the K retained frequencies ({@link fopeFrequencies}).
 * @param cosCoef - float32 `[G, K, K]` or `[K, K]`.
 * @param sinCoef - same shape as cosCoef.
 * @param headDim - d (≥ 2K, even).
 * @param padding - values of the clipped lanes; default {@link DEFAULT_FOPE_PADDING}.
 * @throws ValueError for bad positions; ShapeError for coefficients that are not `[.., K, K]` or
 *   a head dim below 2K.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { fopeFrequencies, fopeTables } from 'intern-s1-ts';
 * const w = fopeFrequencies(8, 10000, 64, null);           // K = 3 of d/2 = 4
 * const eye = tf.stack([tf.eye(w.length), tf.eye(w.length)]); // [G 2, K, K]
 * const { cos, sin } = fopeTables([0, 5], w, eye, eye, 8);
 * console.log(cos.shape); // => [2, 2, 8]
 * ```
 */
export function fopeTables(
  positions: ArrayLike<number>, freqs: Float32Array, cosCoef: tf.Tensor, sinCoef: tf.Tensor, headDim: number,
  padding: FopePadding = DEFAULT_FOPE_PADDING,
): FopeTables {
  const op = 'fopeTables';
  const pos = readPositions(op, positions);
  const K = freqs.length;
  const G = checkCoef(op, 'cosCoef', cosCoef, K);
  if (checkCoef(op, 'sinCoef', sinCoef, K) !== G || sinCoef.rank !== cosCoef.rank) {
    throw new ShapeError(`${op}: 'sinCoef' ${fmtShape(sinCoef.shape)} and 'cosCoef' ${fmtShape(cosCoef.shape)} differ`);
  }
  if (!Number.isInteger(headDim) || headDim % 2 !== 0 || headDim < 2 * K) {
    throw new ShapeError(`${op}: 'headDim' must be even and >= 2K = ${2 * K}, got ${headDim}`);
  }
  checkFinite(op, 'padding.cos', padding.cos);
  checkFinite(op, 'padding.sin', padding.sin);
  const T = pos.length;
  const [cos, sin] = tf.tidy(() => {
    const [cosPhi, sinPhi] = angleCosSin(pos, freqs); // [T, K] each, float32 angles as HF
    const series = (basis: tf.Tensor, coef: tf.Tensor, pad: number): tf.Tensor => {
      const cat = tf.reshape(tf.transpose(tf.reshape(coef, [G, K, K]), [1, 0, 2]), [K, G * K]); // [K, G·K]
      const y = tf.transpose(tf.reshape(tf.matMul(basis, cat), [T, G, K]), [1, 0, 2]); // [G, T, K]
      const half = K === headDim / 2 ? y : tf.concat([y, tf.fill([G, T, headDim / 2 - K], pad)], 2); // [G, T, d/2]
      return tf.concat([half, half], 2); // [G, T, d]
    };
    return [series(cosPhi, cosCoef, padding.cos), series(sinPhi, sinCoef, padding.sin)];
  });
  return { cos, sin };
}

/**
 * Apply FoPE tables (spec 5.3 step 6): `x'_n = x_n ⊙ cos[g] + rotate_half(x_n) ⊙ sin[g]` where
 * head n of H uses table `g = ⌊n / (H/G)⌋`; with G = Hkv this is the KV group of a query head
 * (`⌊n / R⌋`) and the head itself for k; with G = 1 every head shares the table.
 *
 * $x'_{t,n} = x_{t,n} \odot \cos_{g,t} + \operatorname{rotate\_half}(x_{t,n}) \odot \sin_{g,t}$.
 * Reference twin: {@link reference!applyFope | applyFope}.
 *
 * Shapes: `x [T, H, d]` or `[B, T, H, d]`, `cos`, `sin` `[G, T, d]` → shaped like x.
 *
 * @param x - float32 queries or keys (after the QK norm).
 * @param cos - `[G, T, d]` from {@link fopeTables}; G must divide H.
 * @param sin - same shape as cos.
 * @throws ShapeError when the tables do not match x's T and d or G does not divide H.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { applyFope } from 'intern-s1-ts';
 * const q = tf.randomNormal([3, 4, 8]);                        // [T, H, d]
 * const y = applyFope(q, tf.ones([2, 3, 8]), tf.zeros([2, 3, 8])); // identity tables
 * console.log(y.shape); // => [3, 4, 8]
 * ```
 */
export function applyFope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const op = 'applyFope';
  checkFloat(op, 'x', x);
  checkFloat(op, 'cos', cos);
  checkFloat(op, 'sin', sin);
  checkRank(op, 'x', x, 3, 4);
  const [T, H, d] = x.shape.slice(x.rank - 3);
  for (const [name, t] of [['cos', cos], ['sin', sin]] as const) {
    if (t.rank !== 3 || t.shape[1] !== T || t.shape[2] !== d || t.shape[0] !== cos.shape[0]) {
      throw new ShapeError(`${op}: '${name}' must have shape [G, T, d] with T = ${T}, d = ${d} to match 'x' ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
    }
  }
  const G = cos.shape[0];
  if (H % G !== 0) throw new ShapeError(`${op}: the ${G} table heads do not divide the ${H} heads of 'x' ${fmtShape(x.shape)}`);
  if (d % 2 !== 0) throw new ShapeError(`${op}: 'x' must have an even head dim, got ${d}`);
  return tf.tidy(() => {
    const lead = x.shape.slice(0, x.rank - 3); // [] or [B]
    const xg = tf.reshape(x, [...lead, T, G, H / G, d]); // [.., T, G, R, d]
    const c = tf.reshape(tf.transpose(cos, [1, 0, 2]), [T, G, 1, d]); // [T, G, 1, d]
    const s = tf.reshape(tf.transpose(sin, [1, 0, 2]), [T, G, 1, d]); // [T, G, 1, d]
    // rotate_half on x itself, not on the 5-D view: tfjs-wasm's split of a rank-5 tensor is ~100x
    // slower than of the same data as rank 4 (5.9 s vs 52 ms for 4096 × 8 × 64 values).
    const rot = tf.reshape(rotateHalf(x), xg.shape); // [.., T, G, R, d]
    const y = tf.add(tf.mul(xg, c), tf.mul(rot, s)); // [.., T, G, R, d]
    return tf.reshape(y, x.shape); // [.., T, H, d]
  });
}


/**
 * Initial FoPE coefficients for a new model (spec 5.3, "Initialisation"): `XavierNormal(gain)`
 * plus the identity on every head's K×K slice, drawn for `sin_coef` first and `cos_coef` second
 * (XTuner's order), from one seeded generator. PyTorch's fan rule: for `[G, K, K]`
 * fan_in = K·K and fan_out = G·K; for a shared `[K, K]` both are K; std = gain·√(2/(fan_in + fan_out)).
 *
 * The random stream is mulberry32 + Box-Muller, not PyTorch's generator, so the values differ
 * from XTuner's seed-123 draw; the distribution is the same. The reference twin draws the same
 * numbers, which the fast path rounds to float32.
 *
 * @param K - retained frequencies.
 * @param heads - G (num_key_value_heads with `fope_sep_head`), or null for one shared matrix.
 * @param gain - `fope_init_factor` (Pro 0.5).
 * @param seed - integer seed.
 * @returns `{ cosCoef, sinCoef }` float32 `[G, K, K]` (or `[K, K]`).
 * @throws ValueError for bad sizes, gain or seed.
 * @example
 * ```ts
 * import { fopeInitCoefficients } from 'intern-s1-ts';
 * const { cosCoef } = fopeInitCoefficients(45, 4, 0.5, 123);
 * console.log(cosCoef.shape); // => [4, 45, 45]
 * ```
 */
export function fopeInitCoefficients(K: number, heads: number | null, gain: number, seed: number): {
  /** `cos_coef`, float32 `[G, K, K]` (or `[K, K]`), drawn second. */
  cosCoef: tf.Tensor;
  /** `sin_coef`, same shape, drawn first. */
  sinCoef: tf.Tensor;
} {
  const op = 'fopeInitCoefficients';
  if (!Number.isInteger(K) || K < 1) throw new ValueError(`${op}: 'K' must be a positive integer, got ${K}`);
  if (heads !== null && (!Number.isInteger(heads) || heads < 1)) throw new ValueError(`${op}: 'heads' must be a positive integer or null, got ${heads}`);
  checkFinite(op, 'gain', gain);
  if (!Number.isInteger(seed)) throw new ValueError(`${op}: 'seed' must be an integer, got ${seed}`);
  const G = heads ?? 1;
  const [fanIn, fanOut] = heads === null ? [K, K] : [K * K, G * K];
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const rand = mulberry32(seed);
  const draw = (): Float32Array => {
    const out = new Float32Array(G * K * K);
    for (let n = 0; n < out.length; n++) {
      const u = 1 - rand();
      const v = rand();
      const i = Math.floor(n / K) % K;
      const j = n % K;
      out[n] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) + (i === j ? 1 : 0);
    }
    return out;
  };
  const shape = heads === null ? [K, K] : [G, K, K];
  const sin = draw();
  const cos = draw();
  return { cosCoef: tf.tensor(cos, shape), sinCoef: tf.tensor(sin, shape) };
}


/**
 * The FoPE module of a text decoder (spec 5.3): the retained frequencies and the coefficient
 * buffers, `tables(positions)` for any positions (so a KV cache can ask for new positions one at a
 * time, spec 10.16) and `apply(x, tables)` for q `[.., T, H, d]` or k `[.., T, Hkv, d]`.
 *
 * $$ \cos_{g,t,j} = \sum_{i<K} \cos(t\,\omega_i)\, C^{\cos}_{g,i,j}, \quad \sin_{g,t,j} = \sum_{i<K} \sin(t\,\omega_i)\, C^{\sin}_{g,i,j}, \quad x' = x \odot \cos_{g,t} + \operatorname{rotate\_half}(x) \odot \sin_{g,t} $$
 *
 * Reference twin: {@link reference!FourierPositionEmbedding | FourierPositionEmbedding}; here the Fourier sums of all heads
 * are one 2-D product `[T, K] × [K, G·K]`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { FourierPositionEmbedding } from 'intern-s1-ts';
 * const cfg = { head_dim: 8, num_key_value_heads: 2, rope_theta: 1e4, max_position_embeddings: 64,
 *   rope_scaling: { fope_init_factor: 0.5, fope_sep_head: true, num_inv_freq: null } };
 * const fope = FourierPositionEmbedding.init(cfg, 7);
 * const tables = fope.tables([0, 1, 2]);
 * const k = fope.apply(tf.randomNormal([3, 2, 8]), tables); // [T, Hkv, d]
 * console.log(k.shape); // => [3, 2, 8]
 * fope.dispose();
 * ```
 */
export class FourierPositionEmbedding implements Disposable {
  /** Tags this as FoPE among the decoder's position encodings. */
  readonly kind = 'fope' as const;

  constructor(
    /** The K retained frequencies (float32). */
    readonly freqs: Float32Array,
    /** `cos_coef` `[Hkv, K, K]` or `[K, K]`. */
    readonly cosCoef: tf.Tensor,
    /** `sin_coef`, same shape. */
    readonly sinCoef: tf.Tensor,
    /** Head dim d (even, ≥ 2K). */
    readonly headDim: number,
    /** Values of the clipped lanes K .. d/2−1 of the tables. */
    readonly padding: FopePadding = DEFAULT_FOPE_PADDING,
  ) {
    checkCoef('FourierPositionEmbedding', 'cosCoef', cosCoef, freqs.length);
    checkCoef('FourierPositionEmbedding', 'sinCoef', sinCoef, freqs.length);
    if (headDim < 2 * freqs.length || headDim % 2 !== 0) {
      throw new ShapeError(`FourierPositionEmbedding: head_dim ${headDim} must be even and >= 2K = ${2 * freqs.length}`);
    }
  }

  /** Retained frequency count K. */
  get numFreqs(): number {
    return this.freqs.length;
  }

  /** The expected coefficient shape for a config. */
  static coefShape(cfg: FopeConfig, K: number): number[] {
    return cfg.rope_scaling?.fope_sep_head === true ? [cfg.num_key_value_heads, K, K] : [K, K];
  }

  /** The retained frequencies of a config. */
  static frequencies(cfg: FopeConfig): Float32Array {
    return fopeFrequencies(cfg.head_dim, cfg.rope_theta, cfg.max_position_embeddings, cfg.rope_scaling?.num_inv_freq ?? null);
  }

  /**
   * Load `<prefix>.cos_coef` and `<prefix>.sin_coef` (spec 9.3: `model.language_model.rotary_emb`).
   * `fope_sep_head` true needs `[Hkv, K, K]`, otherwise `[K, K]` (XTuner's `if self.fope_sep_head`:
   * null counts as false).
   * @throws ShapeError naming the tensor when its shape disagrees with the config (for example a
   *   changed `max_position_embeddings`, which changes K; spec 10.5); CheckpointError if missing.
   */
  static fromWeights(cfg: FopeConfig, weights: WeightSource, prefix = 'model.language_model.rotary_emb', opts: FopeOptions = {}): FourierPositionEmbedding {
    const freqs = FourierPositionEmbedding.frequencies(cfg);
    const want = FourierPositionEmbedding.coefShape(cfg, freqs.length);
    for (const n of ['cos_coef', 'sin_coef']) {
      const got = weights.info(`${prefix}.${n}`).shape;
      if (got.length !== want.length || got.some((v, i) => v !== want[i])) {
        throw new ShapeError(
          `FourierPositionEmbedding: '${prefix}.${n}' has shape ${fmtShape(got)}, but the config needs ${fmtShape(want)} ` +
            `(K = ${freqs.length} frequencies above 2π/max_position_embeddings or num_inv_freq; fope_sep_head ${cfg.rope_scaling?.fope_sep_head ?? null})`,
        );
      }
    }
    const cos = weights.tensor(`${prefix}.cos_coef`);
    const sin = weights.tensor(`${prefix}.sin_coef`);
    return new FourierPositionEmbedding(freqs, cos, sin, cfg.head_dim, opts.padding);
  }

  /** New coefficients for a config ({@link fopeInitCoefficients} with `fope_init_factor`, default gain 0.5 when null). */
  static init(cfg: FopeConfig, seed: number, opts: FopeOptions = {}): FourierPositionEmbedding {
    const freqs = FourierPositionEmbedding.frequencies(cfg);
    const sep = cfg.rope_scaling?.fope_sep_head === true;
    const gain = cfg.rope_scaling?.fope_init_factor ?? 0.5;
    const { cosCoef, sinCoef } = fopeInitCoefficients(freqs.length, sep ? cfg.num_key_value_heads : null, gain, seed);
    return new FourierPositionEmbedding(freqs, cosCoef, sinCoef, cfg.head_dim, opts.padding);
  }

  /** Tables `[G, T, d]` for positions (see {@link fopeTables}). */
  tables(positions: ArrayLike<number>): FopeTables {
    return fopeTables(positions, this.freqs, this.cosCoef, this.sinCoef, this.headDim, this.padding);
  }

  /** Rotate `x [.., T, H, d]` with tables from {@link FourierPositionEmbedding.tables} (see {@link applyFope}). */
  apply(x: tf.Tensor, tables: FopeTables): tf.Tensor {
    return applyFope(x, tables.cos, tables.sin);
  }

  /** Release the coefficient tensors. */
  dispose(): void {
    this.cosCoef.dispose();
    this.sinCoef.dispose();
  }
}
