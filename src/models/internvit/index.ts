/** InternViT encoder, pixel shuffle and projector of Intern-S1 / -mini (spec 6.1). @module */
export { type InternS1VisionConfig, type InternS1ProjectorConfig } from './config.js';
export * from './embeddings.js';
export * from './layer.js';
export * from './model.js';
export * from './projector.js';
export * from './tower.js';
