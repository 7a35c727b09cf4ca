/**
 * From a user prompt (plus an optional image and signal) to model inputs: the chat template,
 * media preprocessing, placeholder expansion with the counts the encoders will produce, and
 * tokenisation. Shared by `intern-s1 demo` and `intern-s1 generate`.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { preprocessProImage } from '../image/pro.js';
import { tileImage } from '../image/tiling.js';
import type { RgbImage } from '../image/types.js';
import type { InternS1ForConditionalGeneration, ModelInputs } from '../models/intern-s1/model.js';
import { TS_LMDEPLOY_MAX_SAMPLES } from '../models/time-series/processor.js';
import { applyChatTemplate, type ChatContentItem, expandMediaPlaceholders, type MediaTokenCounts } from '../tokenizer/chat.js';
import type { Encoding, InternS1Tokenizer } from '../tokenizer/tokenizer.js';

/** What the user gives. */
export interface PromptRequest {
  readonly text: string;
  readonly image?: RgbImage;
  /** Raw samples `[T, C]` and the rate in Hz. */
  readonly series?: { readonly signal: tf.Tensor; readonly samplingRate: number };
  /** Thinking mode of the chat template (default false: the demo wants short answers). */
  readonly thinking?: boolean;
  /** Max InternVL tiles (Intern-S1 / mini). */
  readonly maxTiles?: number;
}

/** Model inputs plus what happened on the way, for printing. */
export interface PreparedPrompt {
  readonly inputs: ModelInputs;
  readonly encoding: Encoding;
  readonly counts: MediaTokenCounts;
  /** `3x2 tiles + thumbnail` (InternVL) or `t=1 gh=20 gw=14` (Pro). */
  readonly imageGrid?: string;
  /** Tensors the caller disposes after the forward pass. */
  readonly owned: tf.Tensor[];
}

/** Build the chat prompt, preprocess the media, expand the placeholders and tokenise. */
export function preparePrompt(model: InternS1ForConditionalGeneration, tokenizer: InternS1Tokenizer, req: PromptRequest): PreparedPrompt {
  const pro = model.variant === 'pro';
  const flavour = pro ? 'intern-s1-pro' : 'intern-s1';
  const content: ChatContentItem[] = [];
  const counts: { images?: number[]; timeSeries?: number[] } = {};
  const owned: tf.Tensor[] = [];
  let images: ModelInputs['images'];
  let imageGrid: string | undefined;
  if (req.image) {
    if (!model.vision) throw new ConfigError(`this ${model.variant} model has no vision tower loaded`);
    if (pro) {
      const p = preprocessProImage(req.image);
      owned.push(p.pixelValues);
      const [t, gh, gw] = p.gridThw;
      images = { pixelValues: p.pixelValues, gridThw: [p.gridThw] };
      counts.images = [(t * gh * gw) / 4];
      imageGrid = `t=${t} gh=${gh} gw=${gw} (${t * gh * gw} patches of 16x16, resized to ${p.resized.width}x${p.resized.height})`;
    } else {
      const tiled = tileImage(req.image, req.maxTiles !== undefined ? { maxTiles: req.maxTiles } : {});
      owned.push(tiled.pixelValues);
      images = { pixelValues: tiled.pixelValues };
      const g = tiled.grid;
      counts.images = [model.vision.featureRows(images)];
      imageGrid = `${g.cols}x${g.rows} tiles${g.thumbnail ? ' + thumbnail' : ''} = ${g.tiles} tiles of ${g.tileSize}x${g.tileSize}`;
    }
    content.push({ type: 'image' });
  }
  let series: ModelInputs['series'];
  if (req.series) {
    if (!model.timeSeries) throw new ConfigError(`this ${model.variant} model has no time-series tower loaded`);
    const [T] = req.series.signal.shape;
    // The tower's preprocessing keeps the first TS_LMDEPLOY_MAX_SAMPLES (240,000) samples, as
    // lmdeploy and `preprocess-series` do; the prompt counts the tokens of what is kept (issue #12
    // item 14: it counted all T up to 10^6, disagreeing with preprocess-series and the features).
    counts.timeSeries = [model.timeSeries.tokenCount(Math.min(T, TS_LMDEPLOY_MAX_SAMPLES), req.series.samplingRate)];
    series = [req.series];
    content.push({ type: 'time_series' });
  }
  content.push({ type: 'text', text: req.text });
  const chat = applyChatTemplate([{ role: 'user', content }], { addGenerationPrompt: true, enableThinking: req.thinking ?? false, flavour });
  const text = expandMediaPlaceholders(chat, counts, flavour);
  const encoding = tokenizer.encode(text);
  return { inputs: { inputIds: [encoding.ids], images, series }, encoding, counts, imageGrid, owned };
}
