/**
 * Reading the Intern-S1-Pro `preprocessor_config.json` into {@link ProOptions} (spec 12 decision 4:
 * real values from the checkpoint's files when present). Config parsing, no twin.
 *
 * @module
 */
import { ConfigError } from '../errors.js';
import type { ProOptions } from './pro.js';

/**
 * Pro preprocessing options from a `preprocessor_config.json` object (Qwen2-VL keys:
 * `size.shortest_edge` / `size.longest_edge` or `min_pixels` / `max_pixels`, `patch_size`,
 * `temporal_patch_size`, `merge_size`, `image_mean`, `image_std`); absent keys keep the defaults.
 *
 * @throws ConfigError for a config that is not an object, a `size` that is not an object, or a key
 *   of the wrong type (naming the key).
 * @example
 * ```ts
 * import { proOptionsFromConfig } from 'intern-s1-ts';
 * const o = proOptionsFromConfig({ size: { shortest_edge: 65536, longest_edge: 16777216 }, patch_size: 16 });
 * console.log(o.minPixels, o.patchSize); // => 65536, 16
 * ```
 */
export function proOptionsFromConfig(cfg: unknown): ProOptions {
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new ConfigError('proOptionsFromConfig: the preprocessor config must be a JSON object');
  const c = cfg as Record<string, unknown>;
  const int = (key: string, v: unknown) => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || (v as number) < 1) throw new ConfigError(`proOptionsFromConfig: '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const triple = (key: string, v: unknown) => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number')) throw new ConfigError(`proOptionsFromConfig: '${key}' must be 3 numbers, got ${JSON.stringify(v)}`);
    return v as number[];
  };
  if (c.size != null && (typeof c.size !== 'object' || Array.isArray(c.size))) {
    throw new ConfigError(`proOptionsFromConfig: 'size' must be an object {shortest_edge, longest_edge}, got ${JSON.stringify(c.size)}`);
  }
  const size = (c.size ?? {}) as Record<string, unknown>;
  // `size` wins over the older top-level keys (a null, as Python's None, counts as absent); an error names the key that was read.
  const sizeKey = (key: string, old: string) => (size[key] != null ? int(`size.${key}`, size[key]) : int(old, c[old]));
  const out: Record<string, unknown> = {
    patchSize: int('patch_size', c.patch_size),
    mergeSize: int('merge_size', c.merge_size),
    temporalPatchSize: int('temporal_patch_size', c.temporal_patch_size),
    minPixels: sizeKey('shortest_edge', 'min_pixels'),
    maxPixels: sizeKey('longest_edge', 'max_pixels'),
    imageMean: triple('image_mean', c.image_mean),
    imageStd: triple('image_std', c.image_std),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as ProOptions;
}
