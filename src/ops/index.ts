/** Tensor ops of the fast path (spec section 2). @module */
export * from './softmax.js';
export * from './matmul.js';
export * from './dtypes.js';
export * from './elementwise.js';
export * from './activations.js';
export * from './logsumexp.js';
export * from './norm.js';
export * from './attention.js';
export * from './topk.js';
export * from './rope.js';
export * from './gather.js';
export * from './conv.js';
export * from './shape.js';
export * from './interpolate.js';
export * from './pixel-shuffle.js';
export * from './options.js';
