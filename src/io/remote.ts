/**
 * Safetensors from URLs (HTTP `Range` requests), `Blob`s / `File`s and `ArrayBuffer`s: the inputs
 * of the browser entry, also usable in Node (Node 20 has `fetch`, `Blob` and `File`).
 *
 * The parsers and weight sources are synchronous (`ByteReader.read`), while a URL or a Blob can
 * only be read asynchronously. So reading is in two steps: an {@link AsyncByteReader} fetches byte
 * ranges into a {@link PrefetchedReader}, which then serves the synchronous reads. Opening a file
 * fetches its header only (8 bytes, then the JSON); {@link prefetchTensors} (or a checkpoint's
 * `prefetch`) fetches only the tensors named, one request per run of adjacent tensors. A read of
 * bytes that were not fetched is a CheckpointError saying to prefetch them, never a hidden request.
 *
 * @module
 */
import { CheckpointError } from '../errors.js';
import { type ByteReader, MAX_HEADER_BYTES, SafetensorsFile } from './safetensors.js';

/** Positioned asynchronous reads (a URL with HTTP Range, a Blob). */
export interface AsyncByteReader {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes at `position`. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Release what it holds (a no-op for URLs and Blobs). */
  close(): void;
}

/** Options of {@link UrlReader.open} and the URL sources. */
export interface UrlOptions {
  /** The fetch to use (default `globalThis.fetch`). */
  readonly fetch?: (url: string, init: { headers: Record<string, string> }) => Promise<ResponseLike>;
  /** Extra request headers (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The part of a fetch `Response` the readers use. */
export interface ResponseLike {
  /** The HTTP status (206 for a range). */
  readonly status: number;
  /** The response headers (`Content-Range` is read). */
  readonly headers: {
    /** A header's value, or null. */
    get(name: string): string | null;
  };
  /** The body as bytes. */
  arrayBuffer(): Promise<ArrayBuffer>;
  /** The body as text. */
  text(): Promise<string>;
}

function fetchOf(opts: UrlOptions): NonNullable<UrlOptions['fetch']> {
  const f = opts.fetch ?? (globalThis as { fetch?: NonNullable<UrlOptions['fetch']> }).fetch;
  if (!f) throw new CheckpointError('no fetch() in this environment: pass options.fetch');
  return f;
}

/**
 * An {@link AsyncByteReader} on a URL, one HTTP `Range: bytes=a-b` request per read. The server
 * must answer 206 with the range (static servers, CDNs and the Hugging Face hub do); a 200 (Range
 * ignored) is a CheckpointError rather than a silent download of the whole file.
 */
export class UrlReader implements AsyncByteReader {
  /** Bytes received so far. */
  bytesRead = 0;
  /** Requests made so far. */
  requests = 0;

  private constructor(
    /** The file's URL. */
    readonly url: string,
    /** The file's size (from `Content-Range`). */
    readonly size: number,
    private readonly opts: UrlOptions,
  ) {}

  /**
   * Learn the size with a first 1-byte range request (`Content-Range: bytes 0-0/SIZE`).
   *
   * @param url - the file's URL.
   * @param opts - fetch and extra headers.
   */
  static async open(url: string, opts: UrlOptions = {}): Promise<UrlReader> {
    const res = await UrlReader.request(url, 0, 0, opts);
    const total = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
    if (!total) throw new CheckpointError(`${url}: the 206 response has no total size in Content-Range ('${res.headers.get('content-range')}')`);
    const r = new UrlReader(url, Number(total[1]), opts);
    r.requests = 1;
    r.bytesRead = (await res.arrayBuffer()).byteLength;
    return r;
  }

  private static async request(url: string, start: number, end: number, opts: UrlOptions): Promise<ResponseLike> {
    let res: ResponseLike;
    try {
      res = await fetchOf(opts)(url, { headers: { ...opts.headers, Range: `bytes=${start}-${end}` } });
    } catch (e) {
      throw new CheckpointError(`${url}: request for bytes ${start}-${end} failed (${(e as Error).message})`);
    }
    if (res.status === 200) throw new CheckpointError(`${url}: the server ignored the Range header (status 200): it must answer range requests with 206`);
    if (res.status !== 206) throw new CheckpointError(`${url}: bytes ${start}-${end}: HTTP status ${res.status}`);
    return res;
  }

  /** One Range request for `[position, position + length)`; CheckpointError past the end or on a short answer. */
  async read(position: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    if (position < 0 || position + length > this.size) {
      throw new CheckpointError(`${this.url}: byte ${position}: read of ${length} bytes past the end (${this.size})`);
    }
    const res = await UrlReader.request(this.url, position, position + length - 1, this.opts);
    const body = new Uint8Array(await res.arrayBuffer());
    this.requests += 1;
    this.bytesRead += body.length;
    if (body.length !== length) throw new CheckpointError(`${this.url}: byte ${position}: asked for ${length} bytes, received ${body.length}`);
    return body;
  }

  /** A no-op (no connection is held). */
  close(): void {}
}

/** The part of a `Blob` / `File` the reader uses. */
export interface BlobLike {
  /** Size in bytes. */
  readonly size: number;
  /** The bytes `[start, end)` as a Blob. */
  slice(start: number, end: number): {
    /** Its bytes. */
    arrayBuffer(): Promise<ArrayBuffer>;
  };
}

/** An {@link AsyncByteReader} on a `Blob` or `File` (a file the user picked): `blob.slice().arrayBuffer()`. */
export class BlobReader implements AsyncByteReader {
  /** Bytes read so far. */
  bytesRead = 0;
  /** The Blob's size. */
  readonly size: number;
  /**
   * @param blob - the Blob or File.
   * @param name - for messages (a File's name).
   */
  constructor(private readonly blob: BlobLike, readonly name = '<blob>') {
    this.size = blob.size;
  }
  /** `blob.slice(position, position + length).arrayBuffer()`; CheckpointError past the end. */
  async read(position: number, length: number): Promise<Uint8Array> {
    if (position < 0 || position + length > this.size) {
      throw new CheckpointError(`${this.name}: byte ${position}: read of ${length} bytes past the end (${this.size})`);
    }
    const out = new Uint8Array(await this.blob.slice(position, position + length).arrayBuffer());
    this.bytesRead += out.length;
    return out;
  }
  /** A no-op. */
  close(): void {}
}

/** Adjacent ranges closer than this are fetched in one request (decision: 4 KiB of waste at most). */
export const COALESCE_GAP = 4096;

/**
 * A synchronous {@link ByteReader} over the ranges fetched so far from an {@link AsyncByteReader}.
 * `fetch` adds ranges; `read` serves any range inside one fetched block and throws a
 * CheckpointError for bytes never fetched.
 */
export class PrefetchedReader implements ByteReader {
  private blocks: { start: number; bytes: Uint8Array }[] = [];
  /** The source's size. */
  readonly size: number;
  /**
   * @param source - where the bytes are fetched from.
   * @param name - the file's name or URL, for messages.
   */
  constructor(readonly source: AsyncByteReader, readonly name: string) {
    this.size = source.size;
  }

  /** Bytes fetched from the source so far. */
  get bytesRead(): number {
    return this.blocks.reduce((n, b) => n + b.bytes.length, 0);
  }

  /** Whether `[start, end)` lies inside one fetched block. */
  has(start: number, end: number): boolean {
    return end <= start || this.blocks.some((b) => b.start <= start && end <= b.start + b.bytes.length);
  }

  /** Fetch the ranges `[start, end)` not yet held, merging neighbours closer than `COALESCE_GAP` (4 KiB). */
  async fetch(ranges: readonly (readonly [number, number])[]): Promise<void> {
    const want = ranges.filter(([s, e]) => !this.has(s, e)).map(([s, e]) => [s, e] as [number, number]).sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const r of want) {
      const last = merged[merged.length - 1];
      if (last && r[0] - last[1] <= COALESCE_GAP) last[1] = Math.max(last[1], r[1]);
      else merged.push(r);
    }
    const got = await Promise.all(merged.map(async ([s, e]) => ({ start: s, bytes: await this.source.read(s, e - s) })));
    this.blocks.push(...got);
  }

  /** Bytes from one fetched block; CheckpointError when they were not fetched. */
  read(position: number, length: number): Uint8Array {
    const b = this.blocks.find((k) => k.start <= position && position + length <= k.start + k.bytes.length);
    if (!b) {
      throw new CheckpointError(`${this.name}: bytes ${position}..${position + length} were not fetched: prefetch the tensors first (prefetchTensors / checkpoint.prefetch)`);
    }
    return b.bytes.slice(position - b.start, position - b.start + length);
  }

  /** Drop the fetched blocks and close the source. */
  close(): void {
    this.blocks = [];
    this.source.close();
  }
}

/** What {@link openSafetensorsSource} reads: a URL, a Blob / File, bytes, or any async reader. */
export type SafetensorsSource = string | BlobLike | ArrayBuffer | Uint8Array | AsyncByteReader;

function isAsyncReader(s: unknown): s is AsyncByteReader {
  return typeof s === 'object' && s !== null && typeof (s as AsyncByteReader).read === 'function' && typeof (s as AsyncByteReader).close === 'function';
}

/** An async reader on a URL or a Blob (undefined for bytes, which need none). */
export async function asyncReaderOf(source: SafetensorsSource, opts: UrlOptions = {}): Promise<AsyncByteReader | undefined> {
  if (typeof source === 'string') return UrlReader.open(source, opts);
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) return undefined;
  if (isAsyncReader(source)) return source;
  return new BlobReader(source, (source as { name?: string }).name ?? '<blob>');
}

/** Fetch a safetensors header (length, then JSON) into a new {@link PrefetchedReader}. */
export async function prefetchHeader(source: AsyncByteReader, name: string): Promise<PrefetchedReader> {
  const reader = new PrefetchedReader(source, name);
  if (source.size < 8) throw new CheckpointError(`${name}: byte 0: truncated: ${source.size} bytes, a safetensors file starts with an 8-byte header length`);
  await reader.fetch([[0, 8]]);
  const head = reader.read(0, 8);
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  // Out-of-range lengths are left to the parser, which names them; fetch only what exists.
  if (n <= BigInt(Math.min(MAX_HEADER_BYTES, source.size - 8))) await reader.fetch([[8, 8 + Number(n)]]);
  return reader;
}

/**
 * Open a safetensors file from a URL (HTTP Range: the header only, 2 requests after the size
 * probe), a `Blob` / `File`, an `ArrayBuffer` / `Uint8Array`, or an {@link AsyncByteReader}.
 * Tensor data is fetched later by {@link prefetchTensors}.
 *
 * @param source - where the file is.
 * @param opts - fetch and headers for URLs; `name` for messages.
 * @throws CheckpointError for an unreachable URL, a server without Range support, or a malformed file.
 * @example
 * ```ts
 * import { openSafetensorsSource, prefetchTensors, serializeSafetensors } from 'intern-s1-ts';
 * const blob = new Blob([serializeSafetensors({ w: { dtype: 'F32', shape: [2], data: [1, 2] } })]);
 * const f = await openSafetensorsSource(blob); // or a URL: 'https://host/model.safetensors'
 * await prefetchTensors(f, ['w']); // only these bytes are read (downloaded, for a URL)
 * console.log(Array.from(new Float32Array(f.read('w').buffer))); // => [1, 2]
 * ```
 */
export async function openSafetensorsSource(source: SafetensorsSource, opts: UrlOptions & { name?: string } = {}): Promise<SafetensorsFile> {
  const name = opts.name ?? (typeof source === 'string' ? source : (source as { name?: string }).name ?? '<memory>');
  if (source instanceof ArrayBuffer) return SafetensorsFile.fromBytes(new Uint8Array(source), name);
  if (source instanceof Uint8Array) return SafetensorsFile.fromBytes(source, name);
  const async = (await asyncReaderOf(source, opts))!;
  const reader = await prefetchHeader(async, name);
  return SafetensorsFile.open(name, { reader });
}

/**
 * Fetch the data of the tensors `names` of a file opened by {@link openSafetensorsSource} (all
 * tensors when omitted; a no-op for files held in memory).
 *
 * @throws CheckpointError for a name not in the file.
 */
export async function prefetchTensors(file: SafetensorsFile, names?: readonly string[]): Promise<void> {
  if (!(file.reader instanceof PrefetchedReader)) return;
  const entries = (names ?? file.names()).map((n) => file.entry(n));
  await file.reader.fetch(entries.map((e) => [e.start, e.start + e.length] as const));
}
