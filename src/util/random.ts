/**
 * Seeded randomness for the library (sampling, initialisation). Nothing in intern-s1-ts calls
 * `Math.random()`: every random draw comes from a generator built from an explicit seed.
 *
 * @module
 */

/** A generator of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a small, fast 32-bit PRNG with a full 2^32 period, good enough for sampling and
 * initialisation (not for cryptography). The same seed gives the same stream on every platform.
 *
 * @example
 * ```ts
 * import { mulberry32 } from 'intern-s1-ts';
 * const rng = mulberry32(42);
 * console.log(rng(), rng()); // two numbers in [0, 1), the same on every run
 * ```
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` standard-normal samples (times `std`) from `rng` by Box-Muller, one pair of uniforms per
 * value: `std · sqrt(-2 ln(1 − u)) · cos(2π v)`, rounded to float32.
 *
 * @example
 * ```ts
 * import { mulberry32, normalSamples } from 'intern-s1-ts/internals';
 * const w = normalSamples(mulberry32(1), 4, 0.02); // Float32Array of 4 values, std 0.02
 * ```
 */
export function normalSamples(rng: Rng, n: number, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}
