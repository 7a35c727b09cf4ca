/**
 * Reference pixel shuffle in InternVL v2 order (spec 6.1.3), one element at a time.
 *
 * Legend: N tiles, h×w patch grid (rows × columns), C channels, s = 1/ratio.
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';

/**
 * `G[n, i, j, (s·dy + dx)·C + c] = F[n, s·i + dy, s·j + dx, c]` with `s = 1/ratio`, `dy, dx < s`:
 * `[N, h, w, C] → [N, h/s, w/s, s²·C]`.
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
