/**
 * The modules that register components for `intern-s1 run` (see `src/io/components.ts`). Each
 * entry imports one module whose top level calls `registerComponent`; model code adds its line
 * here (one line per module, targeted edits). Loading is lazy so other commands stay fast.
 *
 * @module
 */
export const COMPONENT_MODULES: readonly (() => Promise<unknown>)[] = [
  () => import('./text-embed.js'),
  () => import('./vision.js'),
  () => import('./pro-vision.js'),
  () => import('./time-series.js'),
  () => import('./text-decoder.js'),
  () => import('./model.js'),
];

let loaded: Promise<void> | undefined;

/** Import every component module once. */
export function loadComponents(): Promise<void> {
  loaded ??= Promise.all(COMPONENT_MODULES.map((m) => m())).then(() => undefined);
  return loaded;
}
