/**
 * intern-s1-ts: a TensorFlow.js fast path for the Intern-S1 model family. Every computing export
 * here has a float64 twin of the same name in `intern-s1-ts/reference`.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export { VERSION } from './version.js';
export * from './backend/index.js';
export * from './ops/index.js';
export * from './io/index.js';
export * from './nn/index.js';
export * from './models/internvit/index.js';
export * from './models/pro-vision/index.js';
export * from './models/qwen3/index.js';
export * from './models/time-series/index.js';
export * from './image/index.js';
export * from './tokenizer/index.js';
export * from './models/intern-s1/index.js';
export * from './util/random.js';
export * from './train/index.js';
