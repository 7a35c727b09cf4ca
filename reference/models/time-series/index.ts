/** Reference time-series tower (spec 7). @module */
export * from '../../../src/models/time-series/plan.js';
export * from './processor.js';
export * from './patch-encoder.js';
export * from './whisper.js';
export * from './model.js';
