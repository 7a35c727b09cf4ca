/**
 * Reference rotary position embedding, neox / rotate-half layout (spec 5.1), and `repeat_kv`
 * (spec 3.2), one element at a time.
 *
 * Legend: T tokens, H heads, Hkv kv heads, d head dim, B batch.
 *
 * @module
 */
import { type NDArray, toFlat, zeros } from '../ndarray.js';

/**
 * The neox "rotate half" of RoPE (spec 5.1) over the last axis of length d:
 * $\operatorname{rotate\_half}(x) = [\,-x_{d/2:d},\; x_{0:d/2}\,]$, i.e. lane $i < d/2$ takes
 * $-x_{i+d/2}$ and lane $i \ge d/2$ takes $x_{i-d/2}$ (ASCII: `rotate_half(x)[..., i] = −x[..., i + d/2]`
 * for `i < d/2`, `x[..., i − d/2]` otherwise). Shape preserved.
 */
export function rotateHalf(x: NDArray): NDArray {
  const d = x.shape[x.shape.length - 1];
  const half = d / 2;
  const src = toFlat(x); // row-major: each run of d values is one last-axis line
  const out = zeros(x.shape);
  for (let line = 0; line < x.size / d; line++) {
    for (let i = 0; i < d; i++) {
      out.data[line * d + i] = i < half ? -src[line * d + i + half] : src[line * d + i - half];
    }
  }
  return out;
}

/**
 * `inv_freq[i] = θ^(−2i/d)` with every step rounded to float32 as HF does it (spec 5.1: "FP32;
 * exponent built from integers 0, 2, 4, …"): the exponent `2i/d`, the power and the reciprocal.
 * The float32 rounding is part of the model's definition (spec 10.3), so the reference keeps it.
 */
function invFreq(d: number, theta: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < d / 2; i++) {
    const e = Math.fround((2 * i) / d);
    out.push(Math.fround(1 / Math.fround(Math.pow(theta, e))));
  }
  return out;
}

/**
 * The RoPE tables (spec 5.1) for the given positions, `[T, d]` each:
 *
 * $$
 * \omega_i = \theta^{-2i/d}, \qquad \varphi_{t,i} = \mathrm{pos}_t\, \omega_i \quad (i < d/2), \qquad
 * \cos_{t} = [\cos\varphi_{t},\, \cos\varphi_{t}], \quad \sin_{t} = [\sin\varphi_{t},\, \sin\varphi_{t}]
 * $$
 *
 * $\omega_i$ and $\varphi$ are rounded to float32 at every step, as HF computes them (the rounding
 * is part of the model's definition, spec 10.3); cos and sin are then taken in float64.
 * ASCII: `φ[t, i] = pos[t] · inv_freq[i]`, `cos[t, i] = cos(φ[t, i mod d/2])`.
 */
export function ropeTables(positions: ArrayLike<number>, headDim: number, theta: number): {
  /** `cos(φ[t, i mod d/2])`, `[T, d]`. */
  cos: NDArray;
  /** `sin(φ[t, i mod d/2])`, `[T, d]`. */
  sin: NDArray;
} {
  const T = positions.length;
  const d = headDim;
  const f = invFreq(d, theta);
  const cos = zeros([T, d]);
  const sin = zeros([T, d]);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < d; i++) {
      const phi = Math.fround(positions[t] * f[i % (d / 2)]);
      cos.set(t, i, Math.cos(phi));
      sin.set(t, i, Math.sin(phi));
    }
  }
  return { cos, sin };
}

/**
 * Rotate `x [.., T, H, d]` by the tables `cos`, `sin [T, d]` (spec 5.1): every head of token t is
 * turned by the angles of position t, lane $i$ paired with lane $i + d/2$,
 *
 * $$
 * x'_{t,h} = x_{t,h} \odot \cos_t + \operatorname{rotate\_half}(x_{t,h}) \odot \sin_t .
 * $$
 *
 * ASCII: `x'[.., t, h, i] = x[.., t, h, i] · cos[t, i] + rotate_half(x)[.., t, h, i] · sin[t, i]`.
 */
export function applyRope(x: NDArray, cos: NDArray, sin: NDArray): NDArray {
  const rot = rotateHalf(x);
  const out = zeros(x.shape);
  const [T, H, d] = x.shape.slice(x.shape.length - 3);
  const B = x.shape.length === 4 ? x.shape[0] : 1;
  const at = (b: number, t: number, h: number, i: number) => ((b * T + t) * H + h) * d + i;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < d; i++) {
          const xv = x.shape.length === 4 ? x.get(b, t, h, i) : x.get(t, h, i);
          out.data[at(b, t, h, i)] = xv * cos.get(t, i) + rot.data[at(b, t, h, i)] * sin.get(t, i);
        }
      }
    }
  }
  return out;
}

/** `out[.., s, g·nRep + r, :] = x[.., s, g, :]` for `r < nRep` → `[.., S, Hkv·nRep, d]`. */
export function repeatKv(x: NDArray, nRep: number): NDArray {
  const [S, Hkv, d] = x.shape.slice(x.shape.length - 3);
  const B = x.shape.length === 4 ? x.shape[0] : 1;
  const outShape = [...x.shape.slice(0, -2), Hkv * nRep, d];
  const out = zeros(outShape);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let n = 0; n < Hkv * nRep; n++) {
        const g = Math.floor(n / nRep);
        for (let i = 0; i < d; i++) {
          const v = x.shape.length === 4 ? x.get(b, s, g, i) : x.get(s, g, i);
          out.data[((b * S + s) * Hkv * nRep + n) * d + i] = v;
        }
      }
    }
  }
  return out;
}
