/**
 * proOptionsFromConfig (src/image/pro-config.ts): the real Intern-S1-Pro
 * `preprocessor_config.json` (through INTERN_S1_PRO_FILES) and the released values gives the
 * library's defaults; constructed configs (the older `min_pixels` / `max_pixels` keys, `size`
 * winning over them, partial and empty configs, unknown keys ignored); every malformed value is a
 * ConfigError naming the key. Config parsing: no twin.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { itPro } from '../support/pro-files.js';
import { ConfigError } from '../../src/errors.js';
import { PRO_IMAGE_MAX_PIXELS, PRO_IMAGE_MIN_PIXELS } from '../../src/image/pro.js';
import { proOptionsFromConfig } from '../../src/image/pro-config.js';

// The released Intern-S1-Pro preprocessor_config.json (spec 6.2.1), as shipped.
const released = {
  size: { longest_edge: 16777216, shortest_edge: 65536 }, patch_size: 16, temporal_patch_size: 2, merge_size: 2,
  image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], image_processor_type: 'Qwen2VLImageProcessorFast',
};
const want = { patchSize: 16, mergeSize: 2, temporalPatchSize: 2, minPixels: 65536, maxPixels: 16777216, imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5] };


describe('proOptionsFromConfig: the released config', () => {
  it('reads the released config into the defaults', () => {
    expect(proOptionsFromConfig(released)).toEqual(want);
    expect(proOptionsFromConfig({ min_pixels: 3136, max_pixels: 12845056 })).toEqual({ minPixels: 3136, maxPixels: 12845056 });
    // the library's own image defaults are the released values
    expect([PRO_IMAGE_MIN_PIXELS, PRO_IMAGE_MAX_PIXELS]).toEqual([want.minPixels, want.maxPixels]);
  });

  // Skipped, the reason in its name, unless INTERN_S1_PRO_FILES is the folder holding the file.
  itPro('reads the real preprocessor_config.json into the same options', 'preprocessor_config.json', (file) => {
    expect(proOptionsFromConfig(JSON.parse(readFileSync(file, 'utf8')))).toEqual(want);
  });
});

describe('proOptionsFromConfig: constructed configs', () => {
  it('an empty config keeps every default; unknown keys are ignored', () => {
    expect(proOptionsFromConfig({})).toEqual({});
    expect(proOptionsFromConfig({ do_resize: true, image_processor_type: 'Qwen2VLImageProcessor', auto_map: { AutoProcessor: 'x' }, size: {} })).toEqual({});
  });

  it('reads each key on its own', () => {
    expect(proOptionsFromConfig({ patch_size: 14 })).toEqual({ patchSize: 14 });
    expect(proOptionsFromConfig({ merge_size: 3 })).toEqual({ mergeSize: 3 });
    expect(proOptionsFromConfig({ temporal_patch_size: 1 })).toEqual({ temporalPatchSize: 1 });
    expect(proOptionsFromConfig({ size: { shortest_edge: 4096 } })).toEqual({ minPixels: 4096 });
    expect(proOptionsFromConfig({ size: { longest_edge: 25165824 } })).toEqual({ maxPixels: 25165824 });
    expect(proOptionsFromConfig({ image_mean: [0.48145466, 0.4578275, 0.40821073] })).toEqual({ imageMean: [0.48145466, 0.4578275, 0.40821073] });
    expect(proOptionsFromConfig({ image_std: [0.26862954, 0.26130258, 0.27577711] })).toEqual({ imageStd: [0.26862954, 0.26130258, 0.27577711] });
  });

  it('size.* wins over min_pixels / max_pixels; a null size or size entry falls back to them', () => {
    expect(proOptionsFromConfig({ size: { shortest_edge: 100, longest_edge: 200 }, min_pixels: 5, max_pixels: 6 })).toEqual({ minPixels: 100, maxPixels: 200 });
    expect(proOptionsFromConfig({ size: { shortest_edge: 100 }, max_pixels: 6 })).toEqual({ minPixels: 100, maxPixels: 6 });
    expect(proOptionsFromConfig({ size: { shortest_edge: null }, min_pixels: 5 })).toEqual({ minPixels: 5 });
    expect(proOptionsFromConfig({ size: null, max_pixels: 6 })).toEqual({ maxPixels: 6 });
  });
});

describe('proOptionsFromConfig: bad values are ConfigErrors naming the key', () => {
  it('rejects malformed values with ConfigError', () => {
    expect(() => proOptionsFromConfig({ patch_size: '16' })).toThrow(ConfigError);
    expect(() => proOptionsFromConfig({ image_mean: [0.5, 0.5] })).toThrow(/'image_mean' must be 3 numbers/);
    expect(() => proOptionsFromConfig(null)).toThrow(/must be a JSON object/);
  });

  const notObjects: unknown[] = [null, undefined, 'preprocessor_config.json', 42, [], [released]];
  for (const cfg of notObjects) {
    it(`rejects a config that is not an object: ${JSON.stringify(cfg)}`, () => {
      expect(() => proOptionsFromConfig(cfg)).toThrow(ConfigError);
      expect(() => proOptionsFromConfig(cfg)).toThrow(/^proOptionsFromConfig: the preprocessor config must be a JSON object$/);
    });
  }

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['a zero patch size', { patch_size: 0 }, /^proOptionsFromConfig: 'patch_size' must be a positive integer, got 0$/],
    ['a negative merge size', { merge_size: -2 }, /'merge_size' must be a positive integer, got -2/],
    ['a fractional temporal patch size', { temporal_patch_size: 1.5 }, /'temporal_patch_size' must be a positive integer, got 1\.5/],
    ['a null patch size', { patch_size: null }, /'patch_size' must be a positive integer, got null/],
    ['a boolean merge size', { merge_size: true }, /'merge_size' must be a positive integer, got true/],
    ['a string size.shortest_edge', { size: { shortest_edge: '65536' } }, /'size\.shortest_edge' must be a positive integer, got "65536"/],
    ['a zero size.longest_edge', { size: { longest_edge: 0 } }, /'size\.longest_edge' must be a positive integer, got 0/],
    ['a negative min_pixels (named as read)', { min_pixels: -1 }, /'min_pixels' must be a positive integer, got -1/],
    ['a fractional max_pixels (named as read)', { max_pixels: 1e6 + 0.5 }, /'max_pixels' must be a positive integer/],
    ['a size that is a number', { size: 448 }, /^proOptionsFromConfig: 'size' must be an object \{shortest_edge, longest_edge\}, got 448$/],
    ['a size that is a list', { size: [448, 448] }, /'size' must be an object .* got \[448,448\]/],
    ['a scalar image_mean', { image_mean: 0.5 }, /'image_mean' must be 3 numbers, got 0\.5/],
    ['four image_std values', { image_std: [0.5, 0.5, 0.5, 0.5] }, /'image_std' must be 3 numbers, got \[0\.5,0\.5,0\.5,0\.5\]/],
    ['image_std as strings', { image_std: ['0.5', '0.5', '0.5'] }, /'image_std' must be 3 numbers/],
  ];
  for (const [what, cfg, msg] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => proOptionsFromConfig(cfg)).toThrow(ConfigError);
      expect(() => proOptionsFromConfig(cfg)).toThrow(msg);
    });
  }
});
