/**
 * Reference activation functions (spec section 2), float64, one element at a time.
 *
 * @module
 */
import { type NDArray, fromArray, toFlat } from '../ndarray.js';

/** `y[i] = f(x[i])`. */
function map(x: NDArray, f: (v: number) => number): NDArray {
  return fromArray(toFlat(x).map(f), x.shape);
}

/**
 * The error function `erf(z) = 2/√π ∫₀^z e^(-t²) dt`, to float64 precision (JavaScript has no
 * `Math.erf`). Uses the series `erf(z) = 2/√π · e^(-z²) · Σ_{n≥0} 2ⁿ z^(2n+1) / (1·3·…·(2n+1))`
 * (Abramowitz & Stegun 7.1.6), whose terms are all positive, so nothing cancels; for |z| ≥ 6,
 * `1 - erf(|z|) < 3e-17` rounds to 0 and erf is ±1.
 */
function erf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const a = Math.abs(z);
  if (a >= 6) return Math.sign(z);
  let term = a; // n = 0: z / 1
  let sum = a;
  for (let n = 1; n < 500 && term > 1e-17 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(z) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

/** `silu(x) = x / (1 + e^(-x))` (PyTorch's formula; `silu(-Inf) = NaN`). */
export function silu(x: NDArray): NDArray {
  return map(x, (v) => v / (1 + Math.exp(-v)));
}

/** `gelu(x) = ½ · x · (1 + erf(x / √2))` (exact). */
export function gelu(x: NDArray): NDArray {
  return map(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
}

/** `geluTanh(x) = ½ · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`. */
export function geluTanh(x: NDArray): NDArray {
  const k = Math.sqrt(2 / Math.PI);
  return map(x, (v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v))));
}

/** `relu(x) = max(x, 0)`, NaN stays NaN. */
export function relu(x: NDArray): NDArray {
  return map(x, (v) => (Number.isNaN(v) ? NaN : Math.max(v, 0)));
}
