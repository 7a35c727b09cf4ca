/** Checkpoints and configs: safetensors, weight sources, configs, tiny checkpoints (spec 9). @module */
export * from './weights.js';
export { DTYPE_BYTES, isDType, isFloatDType, typedValues, toFloat32, toFloat64, toBytes, type TypedValues } from './dtype.js';
export * from './config.js';
