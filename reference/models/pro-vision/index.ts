/** Reference Intern-S1-Pro vision tower (spec 6.2). @module */
export { PRO_VISION_LN_EPS, PRO_VISION_ROPE_THETA, type ProVisionConfig, checkProVisionConfig, patchFeatures, positionGridSide } from './config.js';
export * from './grid.js';
export * from './positions.js';
export * from './embed.js';
export * from './block.js';
export * from './merger.js';
export * from './model.js';
