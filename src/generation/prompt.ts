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
import { preprocessProImage } from '../image/pro.js';
import { tileImage } from '../image/tiling.js';
import { checkRgbImage, type RgbImage } from '../image/types.js';
import type { InternS1ForConditionalGeneration, ModelInputs } from '../models/intern-s1/model.js';
import { applyChatTemplate, type ChatContentItem, type ChatMessage, expandMediaPlaceholders } from '../tokenizer/chat.js';
import type { InternS1Tokenizer } from '../tokenizer/tokenizer.js';

/** Options of {@link prepareChat}. */
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
  readonly inputs: ModelInputs;
  /** The rendered prompt before placeholder expansion. */
  readonly prompt: string;
  /** Whether the prompt ends inside `<think>` (the output starts with reasoning). */
  readonly startsInReasoning: boolean;
  /** Tensors the caller disposes once generation is over. */
  readonly owned: tf.Tensor[];
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
  for (const m of messages) if (Array.isArray(m.content)) for (const it of m.content) { const im = imageOf(it); if (im) imgs.push(im); }
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
    const prompt = applyChatTemplate(messages as ChatMessage[], { addGenerationPrompt: true, enableThinking: opts.enableThinking, tools: opts.tools, flavour });
    const text = expandMediaPlaceholders(prompt, imgs.length ? { images: counts } : {}, flavour);
    const ids = tokenizer.encode(text).ids;
    return { inputs: { inputIds: [ids], images }, prompt, startsInReasoning: prompt.endsWith('<think>'), owned };
  } catch (e) {
    tf.dispose(owned);
    throw e;
  }
}
