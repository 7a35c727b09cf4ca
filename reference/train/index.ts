/** Reference twins of the training code (issue 16). @module */
export * from './loss.js';
export * from './optim.js';
