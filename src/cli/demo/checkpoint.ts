/**
 * The demo's built-in tiny checkpoint (`model.ts`, re-exported here) and {@link saveDemo}, which
 * writes it with its tokenizer as a Hugging Face folder (Node only).
 *
 * @module
 */
import path from 'node:path';
import { prepareCheckpointDir, writeSmallFileAtomic } from '../../io/fs-safe.js';
import { writeSafetensors } from '../../io/safetensors-write.js';
import type { DemoCheckpoint } from './model.js';
import type { DemoTokenizer } from './tokenizer.js';

export { demoCheckpoint, type DemoCheckpoint } from './model.js';

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
