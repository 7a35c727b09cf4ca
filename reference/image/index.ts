/** Reference image preprocessing: bicubic resize, InternVL tiling, Intern-S1-Pro patches. @module */
export * from './resize.js';
export * from './tiling.js';
export * from './pro.js';
