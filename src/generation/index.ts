/**
 * Generation beyond the model: logits processors in Hugging Face's order, `generation_config.json`
 * defaults, stop strings on decoded text, and the streaming-safe reasoning and tool-call parsers.
 *
 * @module
 */
export * from './processors.js';
export * from './config.js';
export * from './stop.js';
export * from './reasoning.js';
export * from './tool-calls.js';
export * from './session.js';
export * from './prompt.js';
export * from './lenient.js';
