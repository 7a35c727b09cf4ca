/**
 * Reference generation processors.
 *
 * @module
 */
export * from './processors.js';
