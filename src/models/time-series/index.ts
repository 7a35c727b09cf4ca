/** The Intern-S1-Pro time-series tower (spec 7): plan, processor, patch encoder, Whisper encoder, model. @module */
export * from './plan.js';
export * from './processor.js';
export * from './patch-encoder.js';
export * from './whisper.js';
export * from './model.js';
