/**
 * Tiny checkpoints: random-initialised Intern-S1 / -mini / -Pro checkpoints with the real tensor
 * names (spec 9.1–9.3) and a consistent config.json, a few MB each, deterministic for a seed.
 *
 * Sizes: width 16, 2 layers everywhere, 8 experts; everything else (vocabulary, image and patch
 * sizes, position tables, rope θ, context length, token ids) as in the released models, so the
 * real tokenizer and image preprocessing work with them. The vocabulary is the largest tensor
 * (embeddings and lm_head, V·16 values each); `vocabSize` gives a "tiny-vocab" checkpoint whose
 * special ids move to the top of the small vocabulary (synthetic ids only, not the real tokenizer).
 *
 * Initialisation keeps forward passes well-conditioned: linear weights N(0, 1/fan_in), norm
 * weights 1 + N(0, 0.1²), biases N(0, 0.1²), embeddings N(0, 1), layer scales 1 + N(0, 0.1²), FoPE
 * coefficients identity + Xavier-normal noise (gain `fope_init_factor`, spec 5.3). Random numbers
 * come from a seeded integer generator per tensor (seed and name hashed), with normals from the
 * Irwin–Hall sum of 12 uniforms, exact in float64: the bytes are identical on every machine.
 *
 * @module
 */
import path from 'node:path';
import { ValueError } from '../errors.js';
import { type ModelConfig, parseConfig } from './config.js';
import { prepareCheckpointDir, writeFileAtomic } from './fs-safe.js';
import { INDEX_FILE } from './store.js';
import { writeSafetensors } from './safetensors-write.js';
import { tinyConfigJson } from './tiny-config.js';
import { tinyTensors, type TinyOptions } from './tiny-tensors.js';
import type { TensorInput } from './weights.js';

export { TINY_MAX_VOCAB, tinyConfigJson, type TinyVariant, type TinyConfigOptions } from './tiny-config.js';
export { seededNormals, tinyTensors, type TinyDType, type TinyOptions } from './tiny-tensors.js';

/** What {@link initTiny} wrote: the folder, config, files, tensor count and bytes. */
export interface TinySummary {
  /** The output folder. */
  readonly dir: string;
  /** The parsed config written to `config.json`. */
  readonly config: ModelConfig;
  /** Paths of the safetensors files written (one, or the shards). */
  readonly files: string[];
  /** Number of tensors written. */
  readonly tensors: number;
  /** Total size in bytes of the safetensors files written (index and config excluded). */
  readonly bytes: number;
}

/** Split names into `min(n, count)` contiguous groups of about equal tensor counts. */
function shardNames(tensors: Record<string, TensorInput>, n: number): string[][] {
  const names = Object.keys(tensors);
  const k = Math.min(n, names.length);
  return Array.from({ length: k }, (_, i) => names.slice(Math.floor((i * names.length) / k), Math.floor(((i + 1) * names.length) / k)));
}

/**
 * Write a tiny checkpoint folder: `config.json` and `model.safetensors` (or shards and
 * `model.safetensors.index.json`). Deterministic: the same options give the same bytes.
 *
 * @param dir - output folder (created).
 * @param opts - variant, seed, dtype, vocabulary, FP8 block, fused experts, shards.
 * @throws ValueError for a bad option; ConfigError if the resulting config is inconsistent;
 *   FileError when `dir` is a file, already holds a checkpoint (without `force`), or cannot be written.
 * @example
 * ```ts
 * import { initTiny, openCheckpoint } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-pro', { variant: 'pro', seed: 1, dtype: 'fp8', force: true });
 * const ckpt = openCheckpoint('/tmp/tiny-pro'); // FP8 weights dequantise with block 8
 * ```
 */
export function initTiny(dir: string, opts: TinyOptions = {}): TinySummary {
  const variant = opts.variant ?? 'pro';
  const shards = opts.shards ?? 1;
  if (!Number.isInteger(shards) || shards < 1) throw new ValueError(`initTiny: 'shards' must be a positive integer, got ${shards}`);
  const json = tinyConfigJson(variant, { vocabSize: opts.vocabSize, fp8Block: opts.dtype === 'fp8' ? opts.fp8Block ?? 8 : undefined });
  const tensors = tinyTensors(json, opts);
  const config = parseConfig(json);
  // issue #12 items 4 and 10: a file where the folder should be, or an existing checkpoint without
  // `force`, is a FileError before anything is written; folders are created without Node's
  // recursive mkdir (which spins on /proc); every file is written atomically.
  prepareCheckpointDir('initTiny', dir, opts.force);
  const text = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2) + '\n');
  writeFileAtomic(path.join(dir, 'config.json'), [text(json)]);
  const meta = { format: 'pt', generator: 'intern-s1-ts init-tiny', variant, seed: String(opts.seed ?? 0), dtype: opts.dtype ?? 'f32' };
  const groups = shardNames(tensors, shards);
  const files: string[] = [];
  let bytes = 0;
  const weightMap: Record<string, string> = {};
  groups.forEach((g, i) => {
    const f = groups.length === 1 ? 'model.safetensors' : `model-${String(i + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    bytes += writeSafetensors(path.join(dir, f), Object.fromEntries(g.map((k) => [k, tensors[k]])), meta);
    files.push(path.join(dir, f));
    for (const k of g) weightMap[k] = f;
  });
  if (groups.length > 1) {
    writeFileAtomic(path.join(dir, INDEX_FILE), [text({ metadata: { total_size: bytes }, weight_map: weightMap })]);
  }
  return { dir, config, files, tensors: Object.keys(tensors).length, bytes };
}
