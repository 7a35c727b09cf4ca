/**
 * fast-check arbitraries for shapes and values. All property tests run seeded (see setup.ts);
 * nothing here calls Math.random().
 */
import fc from 'fast-check';
import type { Data } from './convert.js';

/** The library's seeded PRNG (mulberry32), for filling larger arrays from one generated seed. */
export { mulberry32 } from '../../src/util/random.js';
import { mulberry32 } from '../../src/util/random.js';

/** Standard normal samples from a uniform PRNG (Box-Muller). */
export function normals(rand: () => number, n: number, std = 1, mean = 0): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rand();
    const v = rand();
    out[i] = Math.fround(mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  }
  return out;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Build a Data record (values rounded to float32). */
export function data(shape: number[], values: ArrayLike<number> | ((i: number) => number)): Data {
  const n = sizeOf(shape);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.fround(typeof values === 'function' ? values(i) : values[i]);
  return { shape, data: d };
}

/** A shape with rank in [minRank, maxRank] and each dim in [minDim, maxDim]. */
export function shapeArb(o: { minRank?: number; maxRank?: number; minDim?: number; maxDim?: number } = {}): fc.Arbitrary<number[]> {
  const { minRank = 1, maxRank = 3, minDim = 1, maxDim = 5 } = o;
  return fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/** float32-representable values in [min, max], no NaN/Inf, tiny magnitudes flushed to 0. */
export function floatArb(min = -10, max = 10): fc.Arbitrary<number> {
  return fc
    .float({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true })
    .map((v) => (Math.abs(v) < 1e-20 ? 0 : v));
}

/** Shrinkable values for a fixed shape (use for small shapes, up to a few hundred elements). */
export function dataArb(shape: number[], min = -10, max = 10): fc.Arbitrary<Data> {
  const n = sizeOf(shape);
  return fc
    .array(floatArb(min, max), { minLength: n, maxLength: n })
    .map((vals) => ({ shape: shape.slice(), data: Float64Array.from(vals) }));
}

/** Normal(0, std) values for a fixed shape, filled from one generated seed (any size). */
export function normalDataArb(shape: number[], std = 1): fc.Arbitrary<Data> {
  return fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => ({
    shape: shape.slice(),
    data: normals(mulberry32(seed), sizeOf(shape), std),
  }));
}

/**
 * Scores along the last axis whose sorted values are at least `gap` apart, so top-k / argmax
 * decisions cannot flip under float32 rounding (DESIGN.md: discrete choices keep a margin).
 */
export function marginDataArb(shape: number[], gap = 1e-2): fc.Arbitrary<Data> {
  const n = shape[shape.length - 1];
  const rows = sizeOf(shape) / n;
  return fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => {
    const rand = mulberry32(seed);
    const out = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) {
      const perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      const scale = gap * (1 + rand());
      const shift = (rand() - 0.5) * 4;
      for (let i = 0; i < n; i++) out[r * n + i] = Math.fround(shift + perm[i] * scale);
    }
    return { shape: shape.slice(), data: out };
  });
}
