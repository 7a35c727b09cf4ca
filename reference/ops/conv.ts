/**
 * Reference convolutions in PyTorch layouts (spec section 2), float64, written as the defining
 * sums: `conv1d` (NCL, OIK), `conv2d` (NCHW, OIHW), `patchEmbed2d` (stride = kernel).
 *
 * Legend: B batch, C / Cin input channels, Cout output channels, L length, H×W image, k kernel,
 * Lo / Ho×Wo output size, P patches.
 *
 * @module
 */
import type { Conv1dOptions, Conv2dOptions } from '../../src/ops/options.js';
import { type NDArray, zeros } from '../ndarray.js';

export type { Conv1dOptions, Conv2dOptions } from '../../src/ops/options.js';



function pair(v: number | readonly [number, number] | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/**
 * `y[b, o, t] = bias[o] + Σ_c Σ_j w[o, c, j] · x[b, c, t·stride + j·dilation − padding]`, where x
 * is zero outside `0 .. L−1`; `Lo = ⌊(L + 2·padding − dilation·(k−1) − 1) / stride⌋ + 1`.
 */
export function conv1d(x: NDArray, w: NDArray, bias?: NDArray | null, opts: Conv1dOptions = {}): NDArray {
  const { stride = 1, padding = 0, dilation = 1 } = opts;
  const [B, Cin, L] = x.shape;
  const [Cout, , k] = w.shape;
  const Lo = Math.floor((L + 2 * padding - dilation * (k - 1) - 1) / stride) + 1;
  const y = zeros([B, Cout, Lo]);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < Cout; o++) {
      for (let t = 0; t < Lo; t++) {
        let acc = bias ? bias.get(o) : 0;
        for (let c = 0; c < Cin; c++) {
          for (let j = 0; j < k; j++) {
            const pos = t * stride + j * dilation - padding;
            if (pos >= 0 && pos < L) acc += w.get(o, c, j) * x.get(b, c, pos);
          }
        }
        y.set(b, o, t, acc);
      }
    }
  }
  return y;
}

/**
 * `y[b, o, i, j] = bias[o] + Σ_c Σ_u Σ_v w[o, c, u, v] · x[b, c, i·sh + u·dh − ph, j·sw + v·dw − pw]`,
 * with x zero outside the image.
 */
export function conv2d(x: NDArray, w: NDArray, bias?: NDArray | null, opts: Conv2dOptions = {}): NDArray {
  const [sh, sw] = pair(opts.stride, 1);
  const [ph, pw] = pair(opts.padding, 0);
  const [dh, dw] = pair(opts.dilation, 1);
  const [B, Cin, H, W] = x.shape;
  const [Cout, , kh, kw] = w.shape;
  const Ho = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const Wo = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const y = zeros([B, Cout, Ho, Wo]);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < Cout; o++) {
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++) {
          let acc = bias ? bias.get(o) : 0;
          for (let c = 0; c < Cin; c++) {
            for (let u = 0; u < kh; u++) {
              for (let v = 0; v < kw; v++) {
                const r = i * sh + u * dh - ph;
                const s = j * sw + v * dw - pw;
                if (r >= 0 && r < H && s >= 0 && s < W) acc += w.get(o, c, u, v) * x.get(b, c, r, s);
              }
            }
          }
          y.set(b, o, i, j, acc);
        }
      }
    }
  }
  return y;
}

/**
 * Non-overlapping patches: `y[b, gy·Wp + gx, o] = bias[o] + Σ_c Σ_u Σ_v w[o, c, u, v] ·
 * x[b, c, gy·ph + u, gx·pw + v]` → `[B, (H/ph)·(W/pw), Cout]`, patches row-major over the grid.
 */
export function patchEmbed2d(x: NDArray, w: NDArray, bias?: NDArray | null): NDArray {
  const [B, C, H, W] = x.shape;
  const [Cout, , ph, pw] = w.shape;
  const [Hp, Wp] = [H / ph, W / pw];
  const y = zeros([B, Hp * Wp, Cout]);
  for (let b = 0; b < B; b++) {
    for (let gy = 0; gy < Hp; gy++) {
      for (let gx = 0; gx < Wp; gx++) {
        for (let o = 0; o < Cout; o++) {
          let acc = bias ? bias.get(o) : 0;
          for (let c = 0; c < C; c++) {
            for (let u = 0; u < ph; u++) {
              for (let v = 0; v < pw; v++) acc += w.get(o, c, u, v) * x.get(b, c, gy * ph + u, gx * pw + v);
            }
          }
          y.set(b, gy * Wp + gx, o, acc);
        }
      }
    }
  }
  return y;
}
