/** Layers built from checkpoint weights (fast path). @module */
export * from './linear.js';
export * from './norm.js';
export * from './activation.js';
export * from './fope.js';
export * from './mlp.js';
