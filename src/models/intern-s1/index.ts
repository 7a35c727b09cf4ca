/** The whole Intern-S1 model: multimodal assembly and generation (spec section 8). @module */
export * from './projector.js';
export * from './tower.js';
export * from './assemble.js';
export * from './sampling.js';
export * from './generate.js';
export * from './model.js';
export * from './generate-batch.js';
