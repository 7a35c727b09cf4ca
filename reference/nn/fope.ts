/**
 * Reference FoPE, Fourier position encoding as Intern-S1-Pro uses it (spec 5.3), one table entry
 * at a time in float64. The float32 roundings that are part of the model's definition are kept:
 * the frequencies `ω_i` and the angles `t·ω_i` are float32 numbers (spec 10.3); everything after
 * (cos, sin, the Fourier sums, the rotation) is float64.
 *
 * Legend: T tokens, B batch, H heads, Hkv kv heads, G table heads, d head dim, K frequencies.
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';
import { rotateHalf } from '../ops/rope.js';
import type { WeightSource } from '../weights.js';
import { mulberry32 } from '../random.js';
import { DEFAULT_FOPE_PADDING, type FopeConfig, type FopeOptions, type FopePadding } from '../../src/nn/fope-config.js';

// The config type, options and padding constants are shared with the fast path (plain data).
export {
  DEFAULT_FOPE_PADDING, FOPE_PADDING_TRAINED, FOPE_PADDING_VLLM, type FopeConfig, type FopeOptions, type FopePadding,
} from '../../src/nn/fope-config.js';

/** Tables `[G, T, d]`. */
export interface FopeTables {
  /** `[Ĉ, Ĉ]` with the padded lanes, `[G, T, d]`. */
  cos: NDArray;
  /** `[Ŝ, Ŝ]` with the padded lanes, `[G, T, d]`. */
  sin: NDArray;
}

/**
 * The frequencies FoPE keeps (spec 5.3, step 2):
 * $$ \omega_i = \theta^{-2i/d}\ (i < d/2), \qquad \text{kept: } \lbrace\, \omega_i : \omega_i > 2\pi / L \,\rbrace $$
 * (or the first `numInvFreq` when set), each step rounded to float32 as HF does. A frequency at or
 * below $2\pi/L$ does not complete one period in the training window L = `max_position_embeddings`;
 * for Intern-S1-Pro ($\theta = 5\cdot 10^6$, $L = 262144$, $d = 128$) K = 45 of the 64 are kept.
 * ASCII: `ω_i = 1 / θ^(2i/d)`, keep `ω_i > 2π/L`.
 */
export function fopeFrequencies(headDim: number, theta: number, maxPosition: number, numInvFreq: number | null): Float32Array {
  const kept: number[] = [];
  const floor = Math.fround((2 * Math.PI) / maxPosition);
  for (let i = 0; i < headDim / 2; i++) {
    const w = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / headDim))));
    const keep = numInvFreq !== null ? i < numInvFreq : w > floor;
    if (keep) kept.push(w);
  }
  if (kept.length === 0) throw new Error(`fopeFrequencies: no frequency is above 2π/L = ${floor}`);
  return Float32Array.from(kept);
}

/** `coef[g, i, j]` of a `[G, K, K]` or shared `[K, K]` array. */
function coefAt(coef: NDArray, g: number, i: number, j: number): number {
  return coef.shape.length === 3 ? coef.get(g, i, j) : coef.get(i, j);
}

/**
 * The FoPE tables `cos`, `sin [G, T, d]` (spec 5.3, steps 4 and 5): for every table head g (one per
 * kv head), position t and lane $j < d/2$, a Fourier series over the K kept frequencies,
 *
 * $$
 * \hat C_{g,t,j} = \sum_{i<K} \cos(t\,\omega_i)\, C^{\cos}_{g,i,j}, \qquad
 * \hat S_{g,t,j} = \sum_{i<K} \sin(t\,\omega_i)\, C^{\sin}_{g,i,j} \qquad (j < K),
 * $$
 *
 * the padding constants (cos = sin = 1 for the trained models) for $K \le j < d/2$, and lane
 * $j + d/2$ repeating lane $j$: $\cos_{g,t} = [\hat C_{g,t}, \hat C_{g,t}]$. With $C = I$ and
 * $K = d/2$ this is exactly RoPE. The angles $t\,\omega_i$ are float32 numbers.
 * ASCII: `Ĉ[g,t,j] = Σ_{i<K} cos(φ_ti)·cosCoef[g,i,j]`, `Ŝ[g,t,j] = Σ_{i<K} sin(φ_ti)·sinCoef[g,i,j]`.
 */
export function fopeTables(
  positions: ArrayLike<number>, freqs: Float32Array, cosCoef: NDArray, sinCoef: NDArray, headDim: number,
  padding: FopePadding = DEFAULT_FOPE_PADDING,
): FopeTables {
  const K = freqs.length;
  const G = cosCoef.shape.length === 3 ? cosCoef.shape[0] : 1;
  const T = positions.length;
  const half = headDim / 2;
  const cos = zeros([G, T, headDim]);
  const sin = zeros([G, T, headDim]);
  for (let g = 0; g < G; g++) {
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < half; j++) {
        let c = padding.cos;
        let s = padding.sin;
        if (j < K) {
          c = 0;
          s = 0;
          for (let i = 0; i < K; i++) {
            const phi = Math.fround(positions[t] * freqs[i]);
            c += Math.cos(phi) * coefAt(cosCoef, g, i, j);
            s += Math.sin(phi) * coefAt(sinCoef, g, i, j);
          }
        }
        cos.set(g, t, j, c);
        cos.set(g, t, j + half, c);
        sin.set(g, t, j, s);
        sin.set(g, t, j + half, s);
      }
    }
  }
  return { cos, sin };
}

/**
 * Rotate q or k by the FoPE tables (spec 5.3, step 6): head n uses the tables of its kv group
 * $g = \lfloor n / (H/G) \rfloor$,
 *
 * $$ x'_{t,n} = x_{t,n} \odot \cos_{g,t} + \operatorname{rotate\_half}(x_{t,n}) \odot \sin_{g,t} . $$
 *
 * `x [T, H, d]` or `[B, T, H, d]`, tables `[G, T, d]`; shape preserved. ASCII:
 * `x'[.., t, n, :] = x[.., t, n, :] ⊙ cos[g, t, :] + rotate_half(x)[.., t, n, :] ⊙ sin[g, t, :]`.
 */
export function applyFope(x: NDArray, cos: NDArray, sin: NDArray): NDArray {
  const batched = x.shape.length === 4;
  const [T, H, d] = x.shape.slice(-3);
  const B = batched ? x.shape[0] : 1;
  const G = cos.shape[0];
  const rot = rotateHalf(x);
  const out = zeros(x.shape);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let n = 0; n < H; n++) {
        const g = Math.floor(n / (H / G));
        for (let i = 0; i < d; i++) {
          const flat = ((b * T + t) * H + n) * d + i;
          const xv = batched ? x.get(b, t, n, i) : x.get(t, n, i);
          out.data[flat] = xv * cos.get(g, t, i) + rot.data[flat] * sin.get(g, t, i);
        }
      }
    }
  }
  return out;
}


/**
 * `coef = I + N(0, std²)` with `std = gain·√(2/(fan_in + fan_out))`; fan_in = K², fan_out = G·K
 * for `[G, K, K]`, both K for a shared `[K, K]`. sin first, then cos, from one stream.
 */
export function fopeInitCoefficients(K: number, heads: number | null, gain: number, seed: number): {
  /** `cos_coef`, `[G, K, K]` (or `[K, K]`), drawn second. */
  cosCoef: NDArray;
  /** `sin_coef`, same shape, drawn first. */
  sinCoef: NDArray;
} {
  const G = heads ?? 1;
  const std = heads === null ? gain * Math.sqrt(2 / (2 * K)) : gain * Math.sqrt(2 / (K * K + G * K));
  const rand = mulberry32(seed);
  const shape = heads === null ? [K, K] : [G, K, K];
  const draw = (): NDArray => {
    const a = zeros(shape);
    for (let n = 0; n < G * K * K; n++) {
      const u = 1 - rand();
      const v = rand();
      const i = Math.floor(n / K) % K;
      const j = n % K;
      a.data[n] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) + (i === j ? 1 : 0);
    }
    return a;
  };
  const sinCoef = draw();
  const cosCoef = draw();
  return { cosCoef, sinCoef };
}

/**
 * Fourier position encoding as Intern-S1-Pro uses it (spec 5.2, 5.3): RoPE's single frequency per
 * lane pair is replaced by a Fourier series over the K kept frequencies, with fixed (never trained)
 * coefficient buffers `cos_coef`, `sin_coef [Hkv, K, K]` from the checkpoint:
 *
 * $$
 * \cos_{g,t,j} = \sum_{i<K} \cos(t\,\omega_i)\, C^{\cos}_{g,i,j}, \quad
 * \sin_{g,t,j} = \sum_{i<K} \sin(t\,\omega_i)\, C^{\sin}_{g,i,j}, \quad
 * x' = x \odot \cos_{g,t} + \operatorname{rotate\_half}(x) \odot \sin_{g,t} .
 * $$
 *
 * The module holds the frequencies ({@link fopeFrequencies}) and coefficients, builds the tables
 * for given positions ({@link fopeTables}) and applies them ({@link applyFope}).
 */
export class FourierPositionEmbedding {
  /** Tags this as FoPE among the decoder's position encodings. */
  readonly kind = 'fope' as const;

  constructor(
    /** The K retained frequencies (float32 values). */
    readonly freqs: Float32Array,
    /** `cos_coef` `[Hkv, K, K]` or `[K, K]`. */
    readonly cosCoef: NDArray,
    /** `sin_coef`, same shape. */
    readonly sinCoef: NDArray,
    /** Head dim d (even, ≥ 2K). */
    readonly headDim: number,
    /** Values of the clipped lanes K .. d/2−1 of the tables. */
    readonly padding: FopePadding = DEFAULT_FOPE_PADDING,
  ) {}

  /** Retained frequency count K. */
  get numFreqs(): number {
    return this.freqs.length;
  }

  /** The retained frequencies of a config ({@link fopeFrequencies}). */
  static frequencies(cfg: FopeConfig): Float32Array {
    return fopeFrequencies(cfg.head_dim, cfg.rope_theta, cfg.max_position_embeddings, cfg.rope_scaling?.num_inv_freq ?? null);
  }

  /** Load `<prefix>.cos_coef` / `<prefix>.sin_coef`. */
  static fromWeights(cfg: FopeConfig, weights: WeightSource, prefix = 'model.language_model.rotary_emb', opts: FopeOptions = {}): FourierPositionEmbedding {
    const freqs = FourierPositionEmbedding.frequencies(cfg);
    return new FourierPositionEmbedding(freqs, weights.array(`${prefix}.cos_coef`), weights.array(`${prefix}.sin_coef`), cfg.head_dim, opts.padding);
  }

  /** New coefficients for a config ({@link fopeInitCoefficients} with `fope_init_factor`, gain 0.5 when null). */
  static init(cfg: FopeConfig, seed: number, opts: FopeOptions = {}): FourierPositionEmbedding {
    const freqs = FourierPositionEmbedding.frequencies(cfg);
    const sep = cfg.rope_scaling?.fope_sep_head === true;
    const { cosCoef, sinCoef } = fopeInitCoefficients(freqs.length, sep ? cfg.num_key_value_heads : null, cfg.rope_scaling?.fope_init_factor ?? 0.5, seed);
    return new FourierPositionEmbedding(freqs, cosCoef, sinCoef, cfg.head_dim, opts.padding);
  }

  /** Tables `[G, T, d]` for integer positions ({@link fopeTables}). */
  tables(positions: ArrayLike<number>): FopeTables {
    return fopeTables(positions, this.freqs, this.cosCoef, this.sinCoef, this.headDim, this.padding);
  }

  /** Rotate `x [.., T, H, d]` with tables from {@link FourierPositionEmbedding.tables} ({@link applyFope}). */
  apply(x: NDArray, tables: FopeTables): NDArray {
    return applyFope(x, tables.cos, tables.sin);
  }
}
