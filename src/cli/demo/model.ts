/**
 * The demo's built-in tiny checkpoint: the `init-tiny` layout of the chosen variant, its special
 * token ids set to the demo tokenizer's, random weights from a fixed seed, held in memory.
 *
 * This module imports no Node built-in: the docs playground (`docs/playground/`) builds the same
 * checkpoint in the page. Writing it as a folder is `saveDemo` in `checkpoint.ts` (Node only).
 *
 * @module
 */
import { type ModelConfig, parseConfig } from '../../io/configs/model.js';
import { tinyConfigJson, type TinyVariant } from '../../io/tiny-config.js';
import { tinyTensors } from '../../io/tiny-tensors.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../io/weights.js';
import type { DemoTokenizer } from './tokenizer.js';

/** Config and weights of the built-in checkpoint. */
export interface DemoCheckpoint {
  readonly config: ModelConfig;
  readonly weights: WeightSource;
  readonly parameters: number;
  /** The config.json object and the tensors, for `saveDemo`. */
  readonly json: Record<string, unknown>;
  readonly tensors: Record<string, TensorInput>;
}

/** The tiny `variant` checkpoint wired to the demo tokenizer's ids (deterministic for `seed`). */
export function demoCheckpoint(variant: TinyVariant, tok: DemoTokenizer, seed = 0): DemoCheckpoint {
  const json = tinyConfigJson(variant, { vocabSize: tok.vocabSize });
  const id = (t: string) => tok.added[t];
  const ids: Record<string, number> = variant === 'pro'
    ? {
      image_token_id: id('<|image_pad|>'), video_token_id: id('<|video_pad|>'), vision_start_token_id: id('<|vision_start|>'),
      vision_end_token_id: id('<|vision_end|>'), ts_token_id: id('<TS_CONTEXT>'), ts_start_token_id: id('<|ts|>'), ts_end_token_id: id('<|/ts|>'),
    }
    : { image_token_id: id('<IMG_CONTEXT>') };
  Object.assign(json, ids);
  Object.assign(json.text_config as Record<string, unknown>, { bos_token_id: id('<|endoftext|>'), eos_token_id: id('<|im_end|>') });
  const tensors = tinyTensors(json, { variant, seed });
  const parameters = Object.values(tensors).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  return { config: parseConfig(json), weights: memoryWeights(tensors), parameters, json, tensors };
}
