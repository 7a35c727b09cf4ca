/** Reference InternViT encoder (spec 6.1); the pixel shuffle + projector tower lives in models/intern-s1. @module */
export { type InternS1VisionConfig, type InternS1ProjectorConfig, type InternVitConfig } from './config.js';
export * from './embeddings.js';
export * from './layer.js';
export * from './model.js';
