/**
 * The float64 reference: plain TypeScript over `ndarray`, written to be read next to the spec.
 * Every computing export of `intern-s1-ts` has its twin here, of the same name (checked by
 * test/entries.test.ts); some twins of names that the main entry leaves to
 * `intern-s1-ts/internals` (validators, constants) are exported here too.
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
export * from './models/intern-s1/index.js';
export * from './train/index.js';
export { mulberry32 } from './random.js'; // src/util/random.ts's seeded generator, shared (one stream for both trees)
export * from './generation/index.js';
export { reshape } from './ops/shape.js'; // the twin of src/ops/shape.ts's reshape (a superset of ndarray.ts's)
