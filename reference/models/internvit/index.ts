/** Reference InternViT encoder, pixel shuffle and projector (spec 6.1). @module */
export { type InternS1VisionConfig, type InternS1ProjectorConfig, type InternVitConfig } from './config.js';
export * from './embeddings.js';
export * from './layer.js';
export * from './model.js';
export * from './projector.js';
export * from './tower.js';
