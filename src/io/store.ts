/**
 * {@link SafetensorsStore}: a tensor store over one or more safetensors files (the shards of a
 * checkpoint), each read through a {@link ByteReader}. Platform-free: the Node entry gives it file
 * readers (`openCheckpoint`), the browser entry readers over URLs and Blobs (`openCheckpointSource`).
 *
 * @module
 */
import { CheckpointError } from '../errors.js';
import { type ByteReader, SafetensorsFile } from './safetensors.js';
import type { TensorInfo, TensorStore } from './weights.js';

/** The index file of a sharded Hugging Face checkpoint. */
export const INDEX_FILE = 'model.safetensors.index.json';

/** The last component of a path or URL (for messages). */
function baseName(f: string): string {
  return f.split(/[\\/]/).pop() ?? f;
}

/** A {@link TensorStore} over safetensors files, with an optional name → file map (the index). */
export class SafetensorsStore implements TensorStore {
  private readonly opened = new Map<string, SafetensorsFile>();
  private readonly fileOf: Map<string, string>;

  /**
   * @param location - the file or folder, for messages.
   * @param files - absolute paths of the safetensors files.
   * @param index - name → file (a sharded index); without it every file's header is read now.
   * @param openReader - reader factory (tests).
   */
  constructor(readonly location: string, readonly files: readonly string[], index?: Map<string, string>, private readonly openReader?: (file: string) => ByteReader) {
    if (index) this.fileOf = index;
    else {
      this.fileOf = new Map();
      for (const f of files) {
        for (const n of this.file(f).names()) {
          const prev = this.fileOf.get(n);
          if (prev) throw new CheckpointError(`${location}: tensor '${n}' is in both ${baseName(prev)} and ${baseName(f)}`);
          this.fileOf.set(n, f);
        }
      }
    }
  }

  /** The parsed file (header read on first use). */
  file(f: string): SafetensorsFile {
    let s = this.opened.get(f);
    if (!s) {
      s = SafetensorsFile.open(f, this.openReader ? { reader: this.openReader(f) } : {});
      this.opened.set(f, s);
    }
    return s;
  }

  /** Read every file's header (for `inspect`); `onFile` is called after each. */
  loadAll(onFile?: (done: number, total: number, file: string) => void): void {
    this.files.forEach((f, i) => {
      this.file(f);
      onFile?.(i + 1, this.files.length, f);
    });
  }

  private entryOf(name: string) {
    const f = this.fileOf.get(name);
    if (!f) throw new CheckpointError(`${this.location}: no tensor '${name}'`);
    const file = this.file(f);
    if (!file.has(name)) {
      throw new CheckpointError(`${this.location}: ${INDEX_FILE} maps '${name}' to ${baseName(f)}, which has no such tensor`);
    }
    return { file, entry: file.entry(name) };
  }

  names(): string[] {
    return [...this.fileOf.keys()];
  }

  /** Whether `name` is stored in one of the files (by the index, or by the headers read). */
  has(name: string): boolean {
    return this.fileOf.has(name);
  }

  info(name: string): TensorInfo {
    const { entry } = this.entryOf(name);
    return { shape: entry.shape, dtype: entry.dtype };
  }

  read(name: string, start = 0, end?: number): Uint8Array {
    return this.entryOf(name).file.read(name, start, end);
  }

  where(name: string): string {
    const f = this.fileOf.get(name);
    if (!f) return this.location;
    const e = this.opened.get(f)?.has(name) ? this.opened.get(f)!.entry(name) : undefined;
    return e ? `${f}: byte ${e.start}` : f;
  }

  /** Bytes read so far by readers that count them (the default {@link FileReader} does). */
  bytesRead(): number {
    let n = 0;
    for (const f of this.opened.values()) n += (f.reader as { bytesRead?: number }).bytesRead ?? 0;
    return n;
  }

  /** Close every opened file; later reads reopen them. */
  close(): void {
    for (const f of this.opened.values()) f.close();
    this.opened.clear();
  }
}

