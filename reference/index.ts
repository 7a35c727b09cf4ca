/**
 * The float64 reference: plain TypeScript over `ndarray`, written to be read next to the spec.
 * Every export has a fast-path twin of the same name in `intern-s1-ts`.
 *
 * @packageDocumentation
 */
export * from './ndarray.js';
export * from './ops/index.js';
export * from './weights.js';
export * from './nn/index.js';
export * from './models/internvit/index.js';
export * from './models/pro-vision/index.js';
export * from './models/qwen3/index.js';
export * from './models/time-series/index.js';
export * from './image/index.js';
export * from './tokenizer/index.js';
export * from './train/index.js';
export { reshape } from './ops/shape.js'; // the twin of src/ops/shape.ts's reshape (a superset of ndarray.ts's)
