/**
 * Hugging Face checkpoint folders from a base URL or from the files a user picked (the browser
 * twin of `openCheckpoint`, which reads a folder by path in Node). Same layout: `config.json`,
 * `model.safetensors.index.json` when sharded, the `*.safetensors` shards.
 *
 * Opening reads `config.json` and the index (if any) and nothing else; `RemoteCheckpoint.prefetch`
 * then fetches the headers of the shards it needs and the data of the tensors named. Decision: a
 * URL folder cannot be listed, so without an index it must hold one `model.safetensors`; a picked
 * folder without an index uses every `*.safetensors` in it (as `openCheckpoint` does).
 *
 * @module
 */
import { CheckpointError, ConfigError } from '../errors.js';
import type { Checkpoint } from './checkpoint.js';
import { type ModelConfig, parseConfig, parseQuantizationConfig } from './config.js';
import { MappedWeights } from './mapped.js';
import { scaleName } from './names.js';
import {
  type AsyncByteReader, BlobReader, type BlobLike, PrefetchedReader, prefetchHeader, type UrlOptions, UrlReader,
} from './remote.js';
import { jsonErrorOffset } from './safetensors.js';
import { INDEX_FILE, SafetensorsStore } from './store.js';
import type { WeightOptions } from './weights.js';

/** A file of a picked folder: a `File` (its `name`, or `webkitRelativePath` for a directory pick). */
export interface NamedBlob extends BlobLike {
  /** The file's name. */
  readonly name: string;
  /** `folder/sub/file` when picked with a directory input (the part below the folder is used). */
  readonly webkitRelativePath?: string;
}

/** Where a folder is: a base URL, a map from file name to Blob, or the picked files themselves. */
export type FolderSource = string | ReadonlyMap<string, BlobLike> | Iterable<NamedBlob>;

/** A folder's files by name, read asynchronously. */
export interface Folder {
  /** For messages: the URL or `<files>`. */
  readonly location: string;
  /** File names when they can be listed (picked files), else undefined (URLs). */
  readonly names?: readonly string[];
  /** An async reader on `name`, or undefined when there is no such file. */
  open(name: string): Promise<AsyncByteReader | undefined>;
  /** The text of `name`, or undefined when there is no such file. */
  text(name: string): Promise<string | undefined>;
}

function pickedName(b: NamedBlob): string {
  const rel = b.webkitRelativePath;
  // A directory pick names files 'folder/sub/file': keep the path below the picked folder.
  return rel ? rel.split('/').slice(1).join('/') : b.name;
}

/** A {@link Folder} over a base URL (HTTP Range for the safetensors, plain GETs for JSON). */
function urlFolder(base: string, opts: UrlOptions): Folder {
  const root = base.endsWith('/') ? base : `${base}/`;
  const f = opts.fetch ?? (globalThis as { fetch?: NonNullable<UrlOptions['fetch']> }).fetch;
  return {
    location: root,
    open: async (name) => UrlReader.open(root + name, opts).catch((e) => {
      if (/status 404/.test((e as Error).message)) return undefined;
      throw e;
    }),
    text: async (name) => {
      if (!f) throw new CheckpointError('no fetch() in this environment: pass options.fetch');
      const res = await f(root + name, { headers: { ...opts.headers } });
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw new CheckpointError(`${root + name}: HTTP status ${res.status}`);
      return res.text();
    },
  };
}

/** A {@link Folder} over picked files or a name → Blob map. */
function blobFolder(files: ReadonlyMap<string, BlobLike> | Iterable<NamedBlob>): Folder {
  const map = files instanceof Map ? new Map(files) : new Map([...(files as Iterable<NamedBlob>)].map((b) => [pickedName(b), b as BlobLike]));
  return {
    location: '<files>',
    names: [...map.keys()],
    open: async (name) => (map.has(name) ? new BlobReader(map.get(name)!, name) : undefined),
    text: async (name) => {
      const b = map.get(name);
      return b ? new TextDecoder().decode(await b.slice(0, b.size).arrayBuffer()) : undefined;
    },
  };
}

/** The {@link Folder} of a {@link FolderSource}. */
export function folderOf(source: FolderSource, opts: UrlOptions = {}): Folder {
  return typeof source === 'string' ? urlFolder(source, opts) : blobFolder(source);
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${where}: byte ${jsonErrorOffset(text)}: invalid JSON (${(e as Error).message})`);
  }
}

function indexMap(json: unknown, where: string): Map<string, string> {
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new CheckpointError(`${where}: missing object 'weight_map'`);
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard === '' || shard.startsWith('/') || shard.split(/[\\/]/).includes('..')) {
      throw new CheckpointError(`${where}: tensor '${name}' maps to an invalid shard name ${JSON.stringify(shard)}`);
    }
    out.set(name, shard);
  }
  return out;
}

/** A checkpoint opened from a URL or picked files; tensors must be prefetched before use. */
export interface RemoteCheckpoint extends Checkpoint {
  /**
   * Fetch the shard headers and the data of the stored tensors `names` (default: every tensor),
   * each FP8 weight's `_scale_inv` included. Only these bytes are downloaded.
   */
  prefetch(names?: readonly string[]): Promise<void>;
  /** Bytes fetched so far (headers and tensor data). */
  bytesFetched(): number;
}

/**
 * Open a checkpoint folder from a base URL, a map of Blobs, or picked `File`s.
 *
 * @param source - `'https://host/models/tiny/'`, a `Map<string, Blob>`, or an `<input type=file webkitdirectory>`'s files.
 * @param opts - FP8 block size; fetch and headers for URLs.
 * @throws CheckpointError when there is no `model.safetensors` and no index, an index is
 *   malformed, or a URL cannot be read; ConfigError for an inconsistent config.json.
 * @example
 * ```ts
 * import { readdirSync, readFileSync } from 'node:fs';
 * import { InternS1ForConditionalGeneration, initTiny, openCheckpointSource } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-pro-picked', { variant: 'pro', seed: 1, vocabSize: 256, force: true });
 * // In a page: the files of <input type=file webkitdirectory>, or a base URL 'https://host/tiny-pro/'.
 * const files = readdirSync('/tmp/tiny-pro-picked').map((f) => new File([readFileSync(`/tmp/tiny-pro-picked/${f}`)], f));
 * const ckpt = await openCheckpointSource(files);
 * await ckpt.prefetch(); // or only the tensors of the towers you load
 * const model = InternS1ForConditionalGeneration.fromWeights(ckpt.config!, ckpt.weights);
 * console.log(model.variant); // => 'pro'
 * ```
 */
export async function openCheckpointSource(source: FolderSource, opts: WeightOptions & UrlOptions = {}): Promise<RemoteCheckpoint> {
  const folder = folderOf(source, opts);
  const cfgText = await folder.text('config.json');
  const json = cfgText === undefined ? null : parseJson(cfgText, `${folder.location}config.json`);
  let config: ModelConfig | null = null;
  try {
    config = json === null ? null : parseConfig(json);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${folder.location}config.json: ${e.message}`);
    throw e;
  }
  const quant = json === null ? null : parseQuantizationConfig(json);
  const indexText = await folder.text(INDEX_FILE);
  const index = indexText === undefined ? undefined : indexMap(parseJson(indexText, folder.location + INDEX_FILE), folder.location + INDEX_FILE);
  const files = index ? [...new Set(index.values())].sort()
    : folder.names ? folder.names.filter((n) => n.endsWith('.safetensors')).sort() : ['model.safetensors'];
  if (!files.length) throw new CheckpointError(`${folder.location}: no *.safetensors files and no ${INDEX_FILE}`);
  const readers = new Map<string, PrefetchedReader>();
  const header = async (f: string): Promise<PrefetchedReader> => {
    let r = readers.get(f);
    if (!r) {
      const src = await folder.open(f);
      if (!src) throw new CheckpointError(`${folder.location}: ${index ? `${INDEX_FILE} names shard '${f}', which` : `'${f}'`} does not exist`);
      r = await prefetchHeader(src, folder.location + f);
      readers.set(f, r);
    }
    return r;
  };
  // Without an index the store reads every header now (to learn where each tensor is).
  if (!index) await Promise.all(files.map(header));
  const store = new SafetensorsStore(folder.location, files, index, (f) => readers.get(f) ?? notFetched(folder.location, f));
  const weights = new MappedWeights(store, { ...opts, fp8BlockSize: opts.fp8BlockSize ?? quant?.weight_block_size });
  const prefetch = async (names?: readonly string[]) => {
    const want = new Set(names ?? store.names());
    for (const n of [...want]) if (store.has(scaleName(n))) want.add(scaleName(n));
    const byFile = new Map<string, string[]>();
    for (const n of want) {
      const f = index ? index.get(n) : files.find((k) => store.file(k).has(n));
      if (!f) throw new CheckpointError(`${folder.location}: no tensor '${n}'`);
      byFile.set(f, [...(byFile.get(f) ?? []), n]);
    }
    await Promise.all([...byFile].map(async ([f, ns]) => {
      await header(f);
      const file = store.file(f);
      await (file.reader as PrefetchedReader).fetch(ns.map((n) => {
        const e = file.entry(n);
        return [e.start, e.start + e.length] as const;
      }));
    }));
  };
  return {
    path: folder.location, files, weights, store, config, configJson: json, prefetch,
    bytesFetched: () => [...readers.values()].reduce((s, r) => s + r.bytesRead, 0),
    close: () => store.close(),
  };
}

function notFetched(location: string, f: string): never {
  throw new CheckpointError(`${location}${f}: the header was not fetched: call checkpoint.prefetch(names) first`);
}
