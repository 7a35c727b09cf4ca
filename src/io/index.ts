/** Checkpoints and configs: safetensors, weight sources, configs, tiny checkpoints (spec 9). @module */
export * from './weights.js';
export { DTYPE_BYTES, isDType, isFloatDType, typedValues, toFloat32, toFloat64, toBytes, type TypedValues } from './dtype.js';
export * from './config.js';
export * from './safetensors.js';
export * from './file-reader.js';
export * from './store.js';
export * from './safetensors-write.js';
export * from './fs-safe.js';
export * from './checkpoint.js';
export { type View, type Lookup, IGNORED_BUFFER, canonicalNames, resolveName, scaleName, viewShape } from './names.js';
export * from './layout.js';
export * from './tiny.js';
export * from './components.js';
export * from './inspect.js';
export * from './budget.js';
export * from './remote.js';
export * from './remote-checkpoint.js';
