/**
 * Reference pixel shuffle in InternVL v2 order (spec 6.1.3), one element at a time.
 *
 * Legend: N tiles, h×w patch grid (rows × columns), C channels, s = 1/ratio.
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';

/**
 * InternVL's pixel shuffle (spec 6.1.3, `ps_version` v2): every $s \times s$ block of patch features,
 * $s = 1/\text{ratio}$ (2 for the released 0.5), becomes one feature of $s^2$ times the width,
 *
 * $$
 * G_{n,\,i,\,j,\,(s\,\delta_y + \delta_x) C + c} = F_{n,\; s i + \delta_y,\; s j + \delta_x,\; c},
 * \qquad 0 \le \delta_y, \delta_x < s,
 * $$
 *
 * `[N, h, w, C]` → `[N, h/s, w/s, s²·C]`: a 32×32 grid of InternViT features becomes 16×16 = 256
 * tokens per tile. ASCII: `G[n, i, j, (s·dy + dx)·C + c] = F[n, s·i + dy, s·j + dx, c]`.
 */
export function pixelShuffle(x: NDArray, ratio = 0.5): NDArray {
  const s = Math.round(1 / ratio);
  const [N, h, w, C] = x.shape;
  const g = zeros([N, h / s, w / s, s * s * C]);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < h / s; i++) {
      for (let j = 0; j < w / s; j++) {
        for (let dy = 0; dy < s; dy++) {
          for (let dx = 0; dx < s; dx++) {
            for (let c = 0; c < C; c++) g.set(n, i, j, (s * dy + dx) * C + c, x.get(n, s * i + dy, s * j + dx, c));
          }
        }
      }
    }
  }
  return g;
}
