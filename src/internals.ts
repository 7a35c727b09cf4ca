/**
 * `intern-s1-ts/internals`: every export of every module of the fast path, the curated main entry
 * (`intern-s1-ts`) included. Here are the validators (`checkGridThw`, `checkSamples`), constants
 * of the model code (`TS_PATCH_DIM`, `PROJECTOR_LN_EPS`, `IMAGENET_MEAN`), checkpoint-name
 * resolution (`resolveName`, `viewShape`), byte-level helpers (`typedValues`, `jsonErrorOffset`)
 * and the pieces the tokenizer is built from (detectors, pre-tokenizer, byte alphabet).
 *
 * No stability promise: names here may change between minor versions. Tests, benches and readers
 * of the code import from it; applications should need only `intern-s1-ts`.
 *
 * @packageDocumentation
 */
export * from './index.js';
export * from './backend/index.js';
export * from './backend/ladder.js';
export * from './backend/threads.js';
export * from './backend/split.js';
export * from './ops/index.js';
export * from './io/index.js';
export * from './nn/index.js';
export * from './models/internvit/index.js';
export * from './models/pro-vision/index.js';
export * from './models/qwen3/index.js';
export * from './models/qwen3/moe-parallel.js';
export * from './models/time-series/index.js';
export * from './models/intern-s1/index.js';
export * from './image/index.js';
export * from './tokenizer/index.js';
export * from './util/random.js';
export { IntList, ByteList } from './util/int-list.js';
export * from './generation/index.js';
export * from './train/index.js';
