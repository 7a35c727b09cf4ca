/**
 * The reference's seeded PRNG is the fast path's: mulberry32 is integer arithmetic on a 32-bit
 * state that both trees must draw the same stream from, so it lives once, in the tfjs-free
 * src/util/random.ts (a copy here could only be compared with itself; DESIGN.md).
 *
 * @module
 */
export { mulberry32, type Rng } from '../src/util/random.js';
