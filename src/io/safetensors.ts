/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * (`{"__metadata__": {..}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}}`), then
 * the data; offsets are relative to the start of the data.
 *
 * {@link SafetensorsFile} parses and validates the header once and reads any tensor (or any byte
 * range of one) with positioned reads on a file handle, so a small tensor of a multi-GB file costs
 * only its own bytes. Every malformed file is a {@link CheckpointError} naming the file and the
 * byte offset. Decision: gaps between tensors and trailing bytes after the last one are accepted
 * (the Rust reader rejects them, but they lose no data); overlapping tensors, offsets past the end,
 * and offsets that disagree with shape × dtype are rejected. The writer is in `safetensors-write.ts`;
 * the file reader (`FileReader`, Node only) in `file-reader.ts`; the browser readers (URL with
 * HTTP Range, Blob) in `remote.ts`.
 *
 * @module
 */
import { CheckpointError } from '../errors.js';
import { DTYPE_BYTES, type DType, isDType } from './dtype.js';
import type { TensorInfo } from './weights.js';
import { nodeHost } from '../platform/host.js';

/** Largest header accepted (the Rust safetensors limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Positioned reads of a file or buffer. Tests wrap one to count the bytes a load reads. */
export interface ByteReader {
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes at `position` (throws when fewer are available). */
  read(position: number, length: number): Uint8Array;
  /** Release the underlying handle (a no-op for memory). */
  close(): void;
}

/** A {@link ByteReader} over bytes in memory (parsing serialized files without touching disk). */
export class BufferReader implements ByteReader {
  /** Bytes read so far (for benchmarks and tests). */
  bytesRead = 0;
  readonly size: number;
  constructor(private readonly buf: Uint8Array) {
    this.size = buf.byteLength;
  }
  read(position: number, length: number): Uint8Array {
    if (position + length > this.size) throw new CheckpointError(`<memory>: byte ${position}: read of ${length} bytes past the end (${this.size})`);
    this.bytesRead += length;
    return this.buf.slice(position, position + length);
  }
  /** A no-op (nothing to release). */
  close(): void {}
}

/** One tensor's header entry, with absolute byte offsets in the file. */
export interface SafetensorsEntry extends TensorInfo {
  /** The tensor's name as stored in the header. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Absolute offset of the first data byte in the file. */
  readonly start: number;
  /** Byte length of the data. */
  readonly length: number;
}

/**
 * Byte offset (UTF-8) of the first syntax error in `text`. V8 names a position only for some
 * errors, so this finds the shortest prefix whose parse fails for a reason other than ending early.
 */
export function jsonErrorOffset(text: string): number {
  // A prefix is "clean" when it parses, or fails only because it ends (the error is at its end).
  const early = (t: string) => {
    try {
      JSON.parse(t);
      return true;
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /at position (\d+)/.exec(msg);
      return pos ? Number(pos[1]) >= t.length : /end of JSON input|Unterminated string/.test(msg);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (early(text.slice(0, mid + 1))) lo = mid + 1;
    else hi = mid;
  }
  return new TextEncoder().encode(text.slice(0, Math.min(lo, text.length))).length;
}

function fail(file: string, offset: number, what: string): never {
  throw new CheckpointError(`${file}: byte ${offset}: ${what}`);
}

/** Read the header length, the JSON header, and validate every entry. */
function parseHeader(reader: ByteReader, file: string): { entries: Map<string, SafetensorsEntry>; metadata: Record<string, string>; dataStart: number } {
  if (reader.size < 8) fail(file, 0, `truncated: ${reader.size} bytes, a safetensors file starts with an 8-byte header length`);
  const lenBytes = reader.read(0, 8);
  const n = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(reader.size - 8)) fail(file, 0, `header length ${n} runs past the end of the file (${reader.size} bytes)`);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(file, 0, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const N = Number(n);
  const dataStart = 8 + N;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(reader.read(8, N));
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    fail(file, 8, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(file, 8 + jsonErrorOffset(text), `invalid JSON header (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(file, 8, 'header is not a JSON object');
  const dataLen = reader.size - dataStart;
  const metadata: Record<string, string> = {};
  const entries = new Map<string, SafetensorsEntry>();
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, 8, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') fail(file, 8, `__metadata__ value '${k}' must be a string`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true }); // '__proto__' stays a key
      }
      continue;
    }
    entries.set(name, parseEntry(file, name, raw, dataStart, dataLen));
  }
  checkOverlaps(file, [...entries.values()]);
  return { entries, metadata, dataStart };
}

function parseEntry(file: string, name: string, raw: unknown, dataStart: number, dataLen: number): SafetensorsEntry {
  const at = (what: string): never => fail(file, 8, `tensor '${name}': ${what}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) at('entry must be an object');
  const { dtype, shape, data_offsets: off } = raw as Record<string, unknown>;
  if (!isDType(dtype)) at(`unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    at(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(off) || off.length !== 2 || off.some((o) => typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) || off[0] > off[1]) {
    at(`data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`);
  }
  const [begin, end] = off as [number, number];
  if (end > dataLen) {
    fail(file, dataStart + begin, `tensor '${name}': data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; file truncated?)`);
  }
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const need = numel * DTYPE_BYTES[dtype as DType];
  if (need !== end - begin) {
    fail(file, dataStart + begin, `tensor '${name}': shape [${(shape as number[]).join(', ')}] ${dtype} needs ${need} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return Object.freeze({ name, dtype: dtype as DType, shape: Object.freeze((shape as number[]).slice()), start: dataStart + begin, length: end - begin });
}

/** No two non-empty tensors may share a byte. */
function checkOverlaps(file: string, list: SafetensorsEntry[]): void {
  const sorted = list.filter((e) => e.length > 0).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1];
    const e = sorted[i];
    if (e.start < p.start + p.length) {
      fail(file, e.start, `tensor '${e.name}' overlaps tensor '${p.name}' (bytes ${e.start}.. vs ${p.start}..${p.start + p.length})`);
    }
  }
}

/**
 * One safetensors file: a validated header and byte-range reads.
 *
 * @example
 * ```ts
 * import { SafetensorsFile, writeSafetensors } from 'intern-s1-ts';
 * writeSafetensors('/tmp/x.safetensors', { 'lm_head.weight': { dtype: 'BF16', shape: [64, 8], data: new Float32Array(512) } });
 * const f = SafetensorsFile.open('/tmp/x.safetensors');
 * console.log(f.names().length, f.entry('lm_head.weight').shape); // => 1, [64, 8]
 * const bytes = f.read('lm_head.weight', 0, 64); // the first 64 bytes of one tensor, read alone
 * f.close();
 * ```
 */
export class SafetensorsFile {
  /** `__metadata__` of the header. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Offset of the data section (8 + header length). */
  readonly dataStart: number;
  private readonly entries: Map<string, SafetensorsEntry>;

  private constructor(
    /** The file's path (or the name given to {@link fromBytes}), as named in messages. */
    readonly path: string,
    /** The positioned reader the tensor bytes are read with. */
    readonly reader: ByteReader,
  ) {
    const h = parseHeader(reader, path);
    this.entries = h.entries;
    this.metadata = Object.freeze(h.metadata);
    this.dataStart = h.dataStart;
  }

  /**
   * Open and validate a file (reads only the header). `reader` replaces the file reader (tests,
   * and the browser readers: a `PrefetchedReader` over a URL or a Blob). Without `reader` the file
   * is opened by path, which needs Node (the browser entry throws a BackendError).
   */
  static open(path: string, opts: { reader?: ByteReader } = {}): SafetensorsFile {
    const reader = opts.reader ?? nodeHost('SafetensorsFile.open(path)', 'openSafetensorsSource(url | Blob | ArrayBuffer)', 'openFile')(path);
    try {
      return new SafetensorsFile(path, reader);
    } catch (e) {
      reader.close();
      throw e;
    }
  }

  /** Parse a serialized file held in memory; `name` is used in messages. */
  static fromBytes(bytes: Uint8Array, name = '<memory>'): SafetensorsFile {
    if (!(bytes instanceof Uint8Array)) {
      throw new CheckpointError(`SafetensorsFile.fromBytes: 'bytes' must be a Uint8Array or Buffer, got ${bytes === null ? 'null' : typeof bytes}`);
    }
    return new SafetensorsFile(name, new BufferReader(bytes));
  }

  /** Tensor names in header order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether the header has a tensor `name`. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The header entry of `name`; CheckpointError naming the file when absent. */
  entry(name: string): SafetensorsEntry {
    const e = this.entries.get(name);
    if (!e) throw new CheckpointError(`${this.path}: no tensor '${name}' (${this.entries.size} tensors in the file)`);
    return e;
  }

  /** Bytes `[start, end)` of tensor `name`'s data (default: all), read from the file. */
  read(name: string, start = 0, end?: number): Uint8Array {
    const e = this.entry(name);
    const stop = end ?? e.length;
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(stop) && start >= 0 && start <= stop && stop <= e.length)) {
      throw new CheckpointError(`${this.path}: tensor '${name}': byte range [${start}, ${stop}) is outside its ${e.length} bytes`);
    }
    return this.reader.read(e.start + start, stop - start);
  }

  /** Close the reader (for a `FileReader`, a later read reopens the file). */
  close(): void {
    this.reader.close();
  }
}
