/**
 * The demo's built-in tiny checkpoint: the `init-tiny` layout of the chosen variant, its special
 * token ids set to the demo tokenizer's, random weights from a fixed seed, held in memory.
 *
 * @module
 */
import { type ModelConfig, parseConfig } from '../../io/configs/model.js';
import { tinyConfigJson, type TinyVariant } from '../../io/tiny-config.js';
import { tinyTensors } from '../../io/tiny.js';
import path from 'node:path';
import { prepareCheckpointDir, writeSmallFileAtomic } from '../../io/fs-safe.js';
import { writeSafetensors } from '../../io/safetensors-write.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../io/weights.js';
import type { DemoTokenizer } from './tokenizer.js';

/** Config and weights of the built-in checkpoint. */
export interface DemoCheckpoint {
  readonly config: ModelConfig;
  readonly weights: WeightSource;
  readonly parameters: number;
  /** The config.json object and the tensors, for {@link saveDemo}. */
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

/**
 * Write the demo checkpoint and its tokenizer as a Hugging Face folder (config.json,
 * model.safetensors, vocab.json, merges.txt, tokenizer_config.json, tokenizer_*.model), so that
 * `generate`, `inspect`, `run` and `tokenize` can use it (`intern-s1 init-tiny --demo-tokenizer`).
 *
 * @returns the size in bytes of model.safetensors.
 */
export function saveDemo(dir: string, ckpt: DemoCheckpoint, tok: DemoTokenizer, force = false): number {
  prepareCheckpointDir('init-tiny', dir, force); // a file or an existing checkpoint is refused (issue #12 items 4, 10)
  writeSmallFileAtomic(path.join(dir, 'config.json'), JSON.stringify(ckpt.json, null, 2) + '\n');
  const bytes = writeSafetensors(path.join(dir, 'model.safetensors'), ckpt.tensors, { format: 'pt', generator: 'intern-s1-ts demo' });
  writeSmallFileAtomic(path.join(dir, 'vocab.json'), tok.files.vocab);
  writeSmallFileAtomic(path.join(dir, 'merges.txt'), tok.files.merges);
  writeSmallFileAtomic(path.join(dir, 'tokenizer_config.json'), tok.files.tokenizerConfig);
  for (const [name, model] of Object.entries(tok.files.models)) writeSmallFileAtomic(path.join(dir, name), model);
  return bytes;
}
