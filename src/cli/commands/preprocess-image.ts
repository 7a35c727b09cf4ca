import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../backend/index.js';
import { ConfigError } from '../../errors.js';
import { readImage } from '../../image/decode.js';
import { proOptionsFromConfig } from '../../image/pro-config.js';
import { preprocessProImage } from '../../image/pro.js';
import { tileImage } from '../../image/tiling.js';
import { checkOutputPath } from '../../io/fs-safe.js';
import { writeSafetensors } from '../../io/safetensors-write.js';
import { type Command, UsageError, println } from '../command.js';
import { backendFlag, choiceFlag, intFlag } from '../flags.js';

/** A positive integer flag (tile counts, sizes, pixel budgets). */
const int = (name: string, v: string | undefined) => intFlag(name, v, { min: 1 });

/**
 * `intern-s1 preprocess-image`: decode an image, preprocess it for Intern-S1 / mini (InternVL
 * tiles) or Intern-S1-Pro (Qwen2-VL patches) and write `pixel_values` (and `image_grid_thw`) to
 * a safetensors file, printing the grid.
 */
export const preprocessImage: Command = {
  name: 'preprocess-image',
  summary: 'decode and preprocess an image into pixel_values.safetensors (InternVL tiles or Pro patches)',
  help: `Usage: intern-s1 preprocess-image <image.png|jpg> --output <pixel_values.safetensors> [options]

Decodes a PNG or JPEG (alpha dropped, as PIL's convert('RGB')) and writes the vision tower input:

  --variant s1 (default; also 'mini'): InternVL dynamic tiling (spec 6.1.1). Writes
      pixel_values  F32 [N, 3, s, s]  tiles row-major, then the thumbnail; ImageNet-normalised.
  --variant pro: Intern-S1-Pro / Qwen2-VL preprocessing (spec 6.2.1). Writes
      pixel_values    F32 [P, 1536]  2x2 merge windows, features (channel, frame, py, px)
      image_grid_thw  I64 [1, 3]     [t, gh, gw]

Options:
  --max-tiles N, --min-tiles N, --tile-size N, --no-thumbnail   (s1; defaults 12, 1, 448, thumbnail on)
  --min-pixels N, --max-pixels N                                 (pro; defaults 65536, 16777216)
  --config <preprocessor_config.json>                            (pro; read patch size, budget, mean/std)
  --method pil|torch   bicubic flavour: Pillow's (default, what the models were trained with) or
                       torch's antialiased float bicubic (HF fast processors on GPU)
  --json               print the summary as JSON
  --backend tensorflow|wasm|cpu

Examples:
  intern-s1 preprocess-image photo.jpg --output pixel_values.safetensors
  intern-s1 preprocess-image photo.jpg --output pv.safetensors --variant pro --config ckpt/preprocessor_config.json`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' }, variant: { type: 'string' }, 'max-tiles': { type: 'string' },
        'min-tiles': { type: 'string' }, 'tile-size': { type: 'string' }, 'no-thumbnail': { type: 'boolean' },
        'min-pixels': { type: 'string' }, 'max-pixels': { type: 'string' }, config: { type: 'string' },
        method: { type: 'string' }, json: { type: 'boolean' }, backend: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('preprocess-image needs exactly one image file (see --help)');
    if (!values.output) throw new UsageError('preprocess-image needs --output <file.safetensors>');
    const variant = choiceFlag('variant', values.variant, ['s1', 'mini', 'pro']) ?? 's1';
    const method = choiceFlag('method', values.method, ['pil', 'torch']);
    const sizes = {
      maxTiles: int('max-tiles', values['max-tiles']), minTiles: int('min-tiles', values['min-tiles']), tileSize: int('tile-size', values['tile-size']),
      minPixels: int('min-pixels', values['min-pixels']), maxPixels: int('max-pixels', values['max-pixels']),
    };
    const guard = { what: '--output', inputs: [positionals[0], ...(values.config ? [values.config] : [])] };
    checkOutputPath(values.output, guard); // before any work: not a folder, not an input (issue #12 items 4, 10)
    await initBackend(backendFlag(values.backend));
    const image = readImage(positionals[0]);
    let summary: Record<string, unknown>;
    if (variant === 'pro') {
      let cfg = {};
      if (values.config) {
        try {
          cfg = proOptionsFromConfig(JSON.parse(readFileSync(values.config, 'utf8')));
        } catch (e) {
          if (e instanceof ConfigError) throw e;
          throw new ConfigError(`cannot read --config '${values.config}': ${(e as Error).message}`);
        }
      }
      const o = { ...cfg, method, ...(sizes.minPixels !== undefined ? { minPixels: sizes.minPixels } : {}), ...(sizes.maxPixels !== undefined ? { maxPixels: sizes.maxPixels } : {}) };
      const { pixelValues, gridThw, resized } = preprocessProImage(image, o);
      try {
        writeSafetensors(values.output, {
          pixel_values: { dtype: 'F32', shape: pixelValues.shape, data: pixelValues.dataSync() },
          image_grid_thw: { dtype: 'I64', shape: [1, 3], data: gridThw },
        }, { format: 'pt', variant: 'pro', source: positionals[0] }, guard);
      } finally {
        tf.dispose(pixelValues);
      }
      summary = {
        variant, image: `${image.width}x${image.height}`, resized: `${resized.width}x${resized.height}`, image_grid_thw: gridThw,
        pixel_values: pixelValues.shape, tokens: (gridThw[0] * gridThw[1] * gridThw[2]) / 4, output: values.output,
      };
      if (!values.json) {
        println(io.stdout, `${positionals[0]}: ${image.width}x${image.height} -> smart_resize ${resized.width}x${resized.height}`);
        println(io.stdout, `grid t=${gridThw[0]} gh=${gridThw[1]} gw=${gridThw[2]}: ${pixelValues.shape[0]} patches, ${summary.tokens} image tokens after the 2x2 merge`);
        println(io.stdout, `wrote pixel_values [${pixelValues.shape.join(', ')}] and image_grid_thw [1, 3] to ${values.output}`);
      }
    } else {
      const o = { maxTiles: sizes.maxTiles, minTiles: sizes.minTiles, tileSize: sizes.tileSize, useThumbnail: !values['no-thumbnail'], method };
      const { pixelValues, grid } = tileImage(image, o);
      try {
        writeSafetensors(values.output, {
          pixel_values: { dtype: 'F32', shape: pixelValues.shape, data: pixelValues.dataSync() },
        }, { format: 'pt', variant, source: positionals[0], grid: `${grid.cols}x${grid.rows}`, thumbnail: String(grid.thumbnail) }, guard);
      } finally {
        tf.dispose(pixelValues);
      }
      summary = { variant, image: `${image.width}x${image.height}`, grid, pixel_values: pixelValues.shape, output: values.output };
      if (!values.json) {
        println(io.stdout, `${positionals[0]}: ${image.width}x${image.height} -> grid ${grid.cols}x${grid.rows}${grid.thumbnail ? ' + thumbnail' : ''} = ${grid.tiles} tile${grid.tiles === 1 ? '' : 's'} of ${grid.tileSize}x${grid.tileSize}`);
        println(io.stdout, `wrote pixel_values [${pixelValues.shape.join(', ')}] to ${values.output}`);
      }
    }
    if (values.json) println(io.stdout, JSON.stringify(summary, null, 2));
    return 0;
  },
};
