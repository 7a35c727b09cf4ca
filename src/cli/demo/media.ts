/**
 * The demo's built-in media, generated deterministically (nothing large is committed): a 320×240
 * picture of "crystal grains" (a seeded Voronoi pattern) and a three-channel "seismogram" (noise
 * plus a damped wave arriving at 8 s) sampled at 100 Hz.
 *
 * This module imports no Node built-in: the docs playground (`docs/playground/`) builds the same
 * media in the page. `intern-s1 demo` writes the picture as PNG bytes (`media-png.ts`) and decodes
 * them, so that the demo exercises the real decoder; PNG is lossless, so both see the same pixels.
 *
 * @module
 */
import { rgbImage } from '../../image/types.js';
import type { RgbImage } from '../../image/types.js';
import { mulberry32 } from '../../util/random.js';

/** The built-in `width`×`height` RGB picture. */
export function demoImage(width = 320, height = 240, seed = 7): RgbImage {
  const rand = mulberry32(seed);
  const seeds = Array.from({ length: 24 }, () => ({ x: rand() * width, y: rand() * height, c: [rand(), rand(), rand()].map((v) => 60 + Math.floor(v * 180)) }));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let best = 0;
      let d1 = Infinity;
      let d2 = Infinity;
      seeds.forEach((s, i) => {
        const d = (s.x - x) ** 2 + (s.y - y) ** 2;
        if (d < d1) { d2 = d1; d1 = d; best = i; } else if (d < d2) d2 = d;
      });
      const edge = Math.sqrt(d2) - Math.sqrt(d1) < 1.5; // dark grain boundaries
      const o = 3 * (y * width + x);
      for (let c = 0; c < 3; c++) data[o + c] = edge ? 20 : seeds[best].c[c];
    }
  }
  return rgbImage(width, height, data);
}

/** The built-in signal: `[T, 3]` row-major samples at `rate` Hz. */
export function demoSignal(T = 2000, rate = 100, seed = 3): { data: Float32Array; T: number; C: number; rate: number } {
  const rand = mulberry32(seed);
  const C = 3;
  const data = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    const s = t / rate;
    const wave = s > 8 ? Math.exp(-(s - 8) / 3) * Math.sin(2 * Math.PI * 2.5 * (s - 8)) : 0;
    for (let c = 0; c < C; c++) data[t * C + c] = 0.05 * (rand() - 0.5) + wave * (1 - 0.3 * c);
  }
  return { data, T, C, rate };
}
