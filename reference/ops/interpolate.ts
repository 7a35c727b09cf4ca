/**
 * Reference 2-D interpolation with PyTorch `F.interpolate` semantics (spec 6.1.2, gotcha 10.9),
 * float64, one output pixel at a time: bicubic (a = −0.75) and bilinear, `align_corners` false
 * (half-pixel centres) or true, border clamping, no antialias.
 *
 * Legend: N images, C channels, H×W input, outH×outW output.
 *
 * @module
 */
import type { InterpolateOptions } from '../../src/ops/options.js';
import { type NDArray, zeros } from '../ndarray.js';

export type { InterpolateOptions } from '../../src/ops/options.js';


/**
 * Keys' cubic convolution kernel with PyTorch's a = −0.75:
 * `W(x) = (a+2)|x|³ − (a+3)|x|² + 1` for |x| ≤ 1, `a|x|³ − 5a|x|² + 8a|x| − 4a` for 1 < |x| < 2,
 * 0 otherwise.
 */
function cubicKernel(x: number): number {
  const a = -0.75;
  const ax = Math.abs(x);
  if (ax <= 1) return (a + 2) * ax ** 3 - (a + 3) * ax ** 2 + 1;
  if (ax < 2) return a * ax ** 3 - 5 * a * ax ** 2 + 8 * a * ax - 4 * a;
  return 0;
}

/**
 * Where output index o samples the input: `(o + 0.5)·in/out − 0.5` (half-pixel centres; the
 * linear mode clamps it at 0), or `o·(in − 1)/(out − 1)` with `alignCorners`.
 */
function source(o: number, inSize: number, outSize: number, alignCorners: boolean, clampAtZero: boolean): number {
  if (alignCorners) return outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
  const s = ((o + 0.5) * inSize) / outSize - 0.5;
  return clampAtZero ? Math.max(s, 0) : s;
}

const clamp = (i: number, n: number) => Math.min(Math.max(i, 0), n - 1);

/**
 * `y[n, c, i, j] = Σ_{u = ⌊sy⌋−1}^{⌊sy⌋+2} Σ_{v = ⌊sx⌋−1}^{⌊sx⌋+2} W(sy − u) · W(sx − v) ·
 * x[n, c, clamp(u), clamp(v)]` with `sy`, `sx` the source coordinates of output pixel (i, j).
 */
export function interpolateBicubic(x: NDArray, outH: number, outW: number, opts: InterpolateOptions = {}): NDArray {
  const [N, C, H, W] = x.shape;
  const align = opts.alignCorners === true;
  const y = zeros([N, C, outH, outW]);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < outH; i++) {
        const sy = source(i, H, outH, align, false);
        for (let j = 0; j < outW; j++) {
          const sx = source(j, W, outW, align, false);
          let acc = 0;
          for (let u = Math.floor(sy) - 1; u <= Math.floor(sy) + 2; u++) {
            for (let v = Math.floor(sx) - 1; v <= Math.floor(sx) + 2; v++) {
              acc += cubicKernel(sy - u) * cubicKernel(sx - v) * x.get(n, c, clamp(u, H), clamp(v, W));
            }
          }
          y.set(n, c, i, j, acc);
        }
      }
    }
  }
  return y;
}

/**
 * `y[n, c, i, j] = Σ_{u ∈ {y0, y1}} Σ_{v ∈ {x0, x1}} wy(u) · wx(v) · x[n, c, u, v]` with
 * `y0 = ⌊sy⌋`, `y1 = min(y0 + 1, H − 1)`, `wy(y0) = 1 − (sy − y0)`, `wy(y1) = sy − y0` (likewise x).
 */
export function interpolateBilinear(x: NDArray, outH: number, outW: number, opts: InterpolateOptions = {}): NDArray {
  const [N, C, H, W] = x.shape;
  const align = opts.alignCorners === true;
  const y = zeros([N, C, outH, outW]);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < outH; i++) {
        const sy = source(i, H, outH, align, true);
        const [y0, ty] = [Math.floor(sy), sy - Math.floor(sy)];
        const y1 = Math.min(y0 + 1, H - 1);
        for (let j = 0; j < outW; j++) {
          const sx = source(j, W, outW, align, true);
          const [x0, tx] = [Math.floor(sx), sx - Math.floor(sx)];
          const x1 = Math.min(x0 + 1, W - 1);
          const top = (1 - tx) * x.get(n, c, y0, x0) + tx * x.get(n, c, y0, x1);
          const bottom = (1 - tx) * x.get(n, c, y1, x0) + tx * x.get(n, c, y1, x1);
          y.set(n, c, i, j, (1 - ty) * top + ty * bottom);
        }
      }
    }
  }
  return y;
}
