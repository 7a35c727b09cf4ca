/** Image decoding and preprocessing: PNG/JPEG to RGB, Pillow-exact bicubic resize, InternVL tiling (Intern-S1 / mini), Qwen2-VL-style patches (Intern-S1-Pro). @module */
export * from './types.js';
export * from './decode.js';
export * from './resize.js';
export * from './tiling.js';
export * from './pro.js';
export * from './pro-config.js';
export * from './browser.js';
