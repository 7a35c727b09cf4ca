/**
 * Opening checkpoints on disk: one safetensors file, or a Hugging Face folder (`config.json`, one
 * or more `*.safetensors`, and `model.safetensors.index.json` when sharded). Shard headers are
 * read lazily, on the first access to a tensor they hold; tensor data is read by byte range.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CheckpointError, ConfigError, FileError } from '../errors.js';
import { checkReadable, fileError } from './fs-safe.js';
import { type ModelConfig, parseConfig, parseQuantizationConfig } from './config.js';
import { MappedWeights } from './mapped.js';
import { FileReader } from './file-reader.js';
import { type ByteReader, jsonErrorOffset } from './safetensors.js';
import { INDEX_FILE, SafetensorsStore } from './store.js';
import type { TensorInfo, TensorStore, WeightOptions, WeightSource } from './weights.js';

export { INDEX_FILE, SafetensorsStore } from './store.js';

const fileReader = (file: string): ByteReader => new FileReader(file);

/** Options of {@link openSafetensors} and {@link openCheckpoint}. */
export interface OpenOptions extends WeightOptions {
  /** Make the reader of a file (default {@link FileReader}); tests wrap it to count bytes. */
  readonly openReader?: (file: string) => ByteReader;
  /** Do not read config.json (open the weights of a folder whose config this library does not parse). */
  readonly skipConfig?: boolean;
}

/**
 * A weight source over one safetensors file.
 *
 * @param file - path of a `.safetensors` file.
 * @param opts - FP8 block size; reader factory.
 * @throws CheckpointError for an unreadable or malformed file (naming the file and byte offset).
 * @example
 * ```ts
 * import { initTiny, openSafetensors } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-pro', { variant: 'pro', seed: 1, force: true });
 * const w = openSafetensors('/tmp/tiny-pro/model.safetensors');
 * const emb = w.rows('model.language_model.embed_tokens.weight', [151644, 872]); // reads 2 rows only
 * w.close();
 * ```
 */
export function openSafetensors(file: string, opts: OpenOptions = {}): WeightSource & {
  /** The storage under the weights (header, byte counters). */
  readonly store: SafetensorsStore;
} {
  const abs = path.resolve(file);
  return new MappedWeights(new SafetensorsStore(file, [abs], undefined, opts.openReader ?? fileReader), opts) as MappedWeights & { store: SafetensorsStore };
}

/**
 * {@link checkReadable} with a CheckpointError: a directory, FIFO, socket or device where a
 * checkpoint file is expected is refused before `open` (a FIFO would block it forever).
 */
function checkCheckpointFile(file: string, what: string): void {
  try {
    checkReadable(file, what);
  } catch (e) {
    if (e instanceof FileError) throw new CheckpointError(e.message);
    throw e;
  }
}

/** Read a small checkpoint text file (config.json, the index) after {@link checkCheckpointFile}. */
function readText(file: string, what: string): string {
  checkCheckpointFile(file, what);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CheckpointError(fileError(e, `cannot read ${what}`, file).message);
  }
}

/** Parse the index JSON of a sharded folder into name → absolute shard path, checking the shards exist. */
function readIndex(dir: string): Map<string, string> {
  const file = path.join(dir, INDEX_FILE);
  const text = readText(file, 'checkpoint index');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${file}: byte ${jsonErrorOffset(text)}: invalid JSON (${(e as Error).message})`);
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new CheckpointError(`${file}: missing object 'weight_map'`);
  const out = new Map<string, string>();
  const checked = new Set<string>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard === '' || path.isAbsolute(shard) || shard.split(/[\\/]/).includes('..')) {
      throw new CheckpointError(`${file}: tensor '${name}' maps to an invalid shard name ${JSON.stringify(shard)}`);
    }
    const abs = path.join(dir, shard);
    if (!checked.has(abs)) {
      if (!existsSync(abs)) throw new CheckpointError(`${file}: tensor '${name}' is in shard '${shard}', which does not exist in ${dir}`);
      checkCheckpointFile(abs, 'shard');
      checked.add(abs);
    }
    out.set(name, abs);
  }
  return out;
}

/** An opened checkpoint: its weights and, for folders with a config.json, the parsed config. */
export interface Checkpoint {
  /** The file or folder. */
  readonly path: string;
  /** The safetensors files (shards) it consists of. */
  readonly files: readonly string[];
  /** Lazily resolved tensors. */
  readonly weights: WeightSource;
  /** The storage (headers, byte counters). */
  readonly store: SafetensorsStore;
  /** The parsed config.json, or null when there is none (a bare file). */
  readonly config: ModelConfig | null;
  /** The raw config.json object, or null. */
  readonly configJson: unknown;
  /** Release the open file handles (later reads reopen them). */
  close(): void;
}

/**
 * Read and parse `<dir>/config.json`.
 *
 * @throws CheckpointError when it is missing or not JSON; ConfigError when it is inconsistent.
 */
export function readConfig(dir: string): {
  /** The parsed, validated config. */
  config: ModelConfig;
  /** The raw JSON object as read. */
  json: unknown;
} {
  const file = path.join(dir, 'config.json');
  if (!existsSync(file)) throw new CheckpointError(`${dir}: no config.json`);
  let json: unknown;
  try {
    json = JSON.parse(readText(file, 'config'));
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  try {
    return { config: parseConfig(json), json };
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Open a checkpoint: a `.safetensors` file, or a Hugging Face folder (sharded through
 * `model.safetensors.index.json`, or every `*.safetensors` in it). A folder's `config.json` is
 * parsed, and its `quantization_config.weight_block_size` sets the FP8 block size.
 *
 * @param p - file or folder.
 * @param opts - overrides (FP8 block size, reader factory).
 * @throws CheckpointError for a missing path, no safetensors files, an index naming a missing
 *   shard, or a malformed file; ConfigError for an inconsistent config.json.
 * @example
 * ```ts
 * import { initTiny, openCheckpoint } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-pro-fp8', { variant: 'pro', dtype: 'fp8', shards: 2, vocabSize: 256, force: true });
 * const ckpt = openCheckpoint('/tmp/tiny-pro-fp8'); // or a real folder: '/models/Intern-S1-Pro'
 * const gate = ckpt.weights.tensor('model.language_model.layers.0.mlp.gate.weight'); // [8, 16]
 * const q = ckpt.weights.tensor('model.language_model.layers.0.self_attn.q_proj.weight'); // FP8, dequantised
 * gate.dispose(); q.dispose();
 * ckpt.close();
 * ```
 */
export function openCheckpoint(p: string, opts: OpenOptions = {}): Checkpoint {
  if (!existsSync(p)) throw new CheckpointError(`${p}: no such file or folder`);
  const abs = path.resolve(p);
  if (!statSync(abs).isDirectory()) {
    const w = openSafetensors(abs, opts);
    return { path: p, files: [abs], weights: w, store: w.store, config: null, configJson: null, close: () => w.close() };
  }
  const cfg = !opts.skipConfig && existsSync(path.join(abs, 'config.json')) ? readConfig(abs) : undefined;
  const quant = cfg ? parseQuantizationConfig(cfg.json) : null;
  const block = opts.fp8BlockSize ?? quant?.weight_block_size;
  let store: SafetensorsStore;
  if (existsSync(path.join(abs, INDEX_FILE))) {
    const index = readIndex(abs);
    store = new SafetensorsStore(p, [...new Set(index.values())].sort(), index, opts.openReader ?? fileReader);
  } else {
    const files = readdirSync(abs).filter((f) => f.endsWith('.safetensors')).sort().map((f) => path.join(abs, f));
    for (const f of files) checkCheckpointFile(f, 'safetensors file');
    if (!files.length) throw new CheckpointError(`${p}: no *.safetensors files and no ${INDEX_FILE}`);
    store = new SafetensorsStore(p, files, undefined, opts.openReader ?? fileReader);
  }
  const weights = new MappedWeights(store, { ...opts, fp8BlockSize: block });
  return { path: p, files: store.files, weights, store, config: cfg?.config ?? null, configJson: cfg?.json ?? null, close: () => store.close() };
}
