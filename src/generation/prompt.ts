/**
 * From chat messages (with decoded images in their content) to model inputs: the chat template,
 * the images preprocessed for the model's tower, the placeholders expanded to the feature rows the
 * tower will produce, and tokenisation. Several images anywhere in the conversation are taken in
 * prompt order (Pro: patches concatenated with one grid per image; Intern-S1 / mini: tiles
 * concatenated). Used by the HTTP server; the CLI's single-prompt path builds the same thing.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ValueError } from '../errors.js';
import { preprocessProImage, preprocessProVideo } from '../image/pro.js';
import { tileImage } from '../image/tiling.js';
import { checkRgbImage, type RgbImage } from '../image/types.js';
import type { InternS1ForConditionalGeneration, ModelInputs } from '../models/intern-s1/model.js';
import { applyChatTemplate, type ChatContentItem, type ChatMessage, expandMediaPlaceholders, type VideoGroup } from '../tokenizer/chat.js';
import type { InternS1Tokenizer } from '../tokenizer/tokenizer.js';

/** The thinking switch, tool schemas and tile limit of {@link prepareChat}. */
export interface PrepareChatOptions {
  /** The template's `enable_thinking` (undefined: the template's default, thinking on). */
  readonly enableThinking?: boolean;
  /** Tool schemas rendered into the system turn. */
  readonly tools?: readonly unknown[];
  /** Max InternVL tiles per image (Intern-S1 / mini). */
  readonly maxTiles?: number;
}

/** Model inputs for one conversation. */
export interface PreparedChat {
  /** Model inputs: the prompt ids (one row) and the preprocessed media. */
  readonly inputs: ModelInputs;
  /** The rendered prompt before placeholder expansion. */
  readonly prompt: string;
  /** Whether the prompt ends inside `<think>` (the output starts with reasoning). */
  readonly startsInReasoning: boolean;
  /** Tensors the caller disposes once generation is over (not the caller's own signals). */
  readonly owned: tf.Tensor[];
  /** Placeholder tokens per image, per video and per series, in prompt order. */
  readonly counts: {
    /** Per image. */
    readonly images: number[];
    /** Per video (all its temporal groups). */
    readonly videos: number[];
    /** Per series. */
    readonly timeSeries: number[];
  };
}

/** A video for {@link prepareChat}: its frames, in order, sampled at `fps` frames per second. */
export interface VideoFrames {
  /** The frames, equally sized, in time order. */
  readonly frames: readonly RgbImage[];
  /** Sampling rate of the frames (default 2, the Qwen3-VL processor's default sampling). */
  readonly fps?: number;
}

/**
 * The temporal groups of a Pro video of `n` frames at `fps`: group g pairs frames 2g and 2g + 1
 * (the last frame repeated when n is odd, as the preprocessing does) and is stamped with the mean
 * time of its two frames, `(i₀ + i₁) / 2 / fps` seconds; each has `gh·gw/4` tokens.
 */
export function videoGroups(n: number, fps: number, gh: number, gw: number): VideoGroup[] {
  if (!(fps > 0 && Number.isFinite(fps))) throw new ValueError(`prepareChat: a video's 'fps' must be a positive number, got ${fps}`);
  return Array.from({ length: Math.ceil(n / 2) }, (_, g) => ({ seconds: (2 * g + Math.min(2 * g + 1, n - 1)) / 2 / fps, tokens: (gh * gw) / 4 }));
}

/** A signal for {@link prepareChat} (Intern-S1-Pro): raw samples `[T, C]` and the rate in Hz. */
export interface SeriesItem {
  /** Raw samples `[T, C]` (the caller keeps and disposes it). */
  readonly signal: tf.Tensor;
  /** Sampling rate in Hz. */
  readonly samplingRate: number;
}

function seriesOf(item: ChatContentItem): SeriesItem | null {
  if (!('time_series' in item || item.type === 'time_series')) return null;
  const s = item.time_series as SeriesItem | undefined;
  if (!s || !(s.signal instanceof tf.Tensor) || !(s.samplingRate > 0)) throw new ValueError("prepareChat: a time_series item must carry { signal: Tensor [T, C], samplingRate > 0 } under 'time_series'");
  return s;
}

function videoOf(item: ChatContentItem): VideoFrames | null {
  if (!('video' in item || item.type === 'video')) return null;
  const v = item.video as VideoFrames | undefined;
  if (!v || typeof v !== 'object' || !Array.isArray(v.frames) || v.frames.length === 0) throw new ValueError("prepareChat: a video item must carry { frames: RgbImage[], fps? } under 'video'");
  v.frames.forEach((f, i) => checkRgbImage('prepareChat', `video frame ${i}`, f));
  return v;
}

/** An image item: `{ type: 'image', image: RgbImage }` (the decoded image under `image`). */
function imageOf(item: ChatContentItem): RgbImage | null {
  if (!('image' in item || 'image_url' in item || item.type === 'image')) return null;
  const img: unknown = item.image;
  if (!img || typeof img !== 'object') throw new ValueError("prepareChat: an image item must carry the decoded image (an RgbImage) under 'image'");
  checkRgbImage('prepareChat', 'image', img);
  return img;
}

/**
 * Render, preprocess, expand and tokenise a conversation.
 *
 * @throws ConfigError when the conversation has images and the model has no vision tower.
 * @example
 * ```ts
 * import { InternS1ForConditionalGeneration, InternS1Tokenizer, initTiny, prepareChat } from 'intern-s1-ts';
 * // With a folder that holds both a checkpoint and tokenizer files:
 * // const p = prepareChat(model, tokenizer, [{ role: 'user', content: 'Hi' }], { enableThinking: false });
 * // p.inputs.inputIds[0] are the prompt ids.
 * ```
 */
export function prepareChat(model: InternS1ForConditionalGeneration, tokenizer: InternS1Tokenizer, messages: readonly ChatMessage[], opts: PrepareChatOptions = {}): PreparedChat {
  const pro = model.variant === 'pro';
  const flavour = pro ? 'intern-s1-pro' : 'intern-s1';
  const imgs: RgbImage[] = [];
  const vids: VideoFrames[] = [];
  const series: SeriesItem[] = [];
  for (const m of messages) {
    if (!Array.isArray(m.content)) continue;
    for (const it of m.content) {
      const ts = seriesOf(it);
      if (ts) { series.push(ts); continue; }
      const v = videoOf(it);
      if (v) { vids.push(v); continue; }
      const im = imageOf(it);
      if (im) imgs.push(im);
    }
  }
  const owned: tf.Tensor[] = [];
  let images: ModelInputs['images'];
  const counts: number[] = [];
  try {
    if (imgs.length) {
      if (!model.vision) throw new ConfigError(`this ${model.variant} model has no vision tower loaded`);
      const parts = imgs.map((im) => {
        if (pro) {
          const p = preprocessProImage(im);
          owned.push(p.pixelValues);
          const [t, gh, gw] = p.gridThw;
          counts.push((t * gh * gw) / 4);
          return { pixelValues: p.pixelValues, grid: p.gridThw };
        }
        const t = tileImage(im, opts.maxTiles ? { maxTiles: opts.maxTiles } : {});
        owned.push(t.pixelValues);
        counts.push(model.vision!.featureRows({ pixelValues: t.pixelValues }));
        return { pixelValues: t.pixelValues, grid: null };
      });
      const pixelValues = parts.length === 1 ? parts[0].pixelValues : tf.concat(parts.map((p) => p.pixelValues), 0);
      if (parts.length > 1) owned.push(pixelValues);
      images = pro ? { pixelValues, gridThw: parts.map((p) => p.grid!) } : { pixelValues };
    }
    let videos: ModelInputs['videos'];
    const groups: VideoGroup[][] = [];
    if (vids.length) {
      if (!pro || !model.vision) throw new ConfigError(`videos need an Intern-S1-Pro model with its vision tower (this is ${model.variant}${model.vision ? '' : ', no vision tower loaded'})`);
      const parts = vids.map((v) => {
        const p = preprocessProVideo(v.frames);
        owned.push(p.pixelValues);
        const [, gh, gw] = p.gridThw;
        groups.push(videoGroups(v.frames.length, v.fps ?? 2, gh, gw));
        return p;
      });
      const pixelValues = parts.length === 1 ? parts[0].pixelValues : tf.concat(parts.map((p) => p.pixelValues), 0);
      if (parts.length > 1) owned.push(pixelValues);
      videos = { pixelValues, gridThw: parts.map((p) => p.gridThw) };
    }
    const prompt = applyChatTemplate(messages as ChatMessage[], { addGenerationPrompt: true, enableThinking: opts.enableThinking, tools: opts.tools, flavour });
    if (series.length && !model.timeSeries) throw new ConfigError(`this ${model.variant} model has no time-series tower loaded`);
    const tsCounts = series.map((x) => model.timeSeries!.tokenCount(x.signal.shape[0], x.samplingRate));
    const text = expandMediaPlaceholders(prompt, {
      ...(imgs.length ? { images: counts } : {}), ...(vids.length ? { videos: groups } : {}), ...(series.length ? { timeSeries: tsCounts } : {}),
    }, flavour);
    const ids = tokenizer.encode(text).ids;
    return {
      inputs: { inputIds: [ids], images, videos, series: series.length ? series.map((x) => ({ signal: x.signal, samplingRate: x.samplingRate })) : undefined },
      prompt, startsInReasoning: prompt.endsWith('<think>'), owned, counts: { images: counts, videos: groups.map((g) => g.reduce((a, b) => a + b.tokens, 0)), timeSeries: tsCounts },
    };
  } catch (e) {
    tf.dispose(owned);
    throw e;
  }
}
