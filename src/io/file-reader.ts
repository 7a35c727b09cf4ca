/**
 * The Node file reader of safetensors files (positioned `readSync` calls on a file descriptor).
 * Node only: the browser entry reads URLs and Blobs instead (`remote.ts`).
 *
 * @module
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CheckpointError, FileError } from '../errors.js';
import { checkReadable } from './fs-safe.js';

// Implements ByteReader (io/safetensors.ts) structurally: importing it would pull safetensors.ts into
// the modules the reference reaches (test/reference-imports.test.ts).
/** A `ByteReader` on a file with positioned `readSync` calls; counts the bytes it reads. */
export class FileReader {
  /** Bytes read so far (for benchmarks and tests). */
  bytesRead = 0;
  private fd: number | undefined;
  /** The file's size in bytes (at open). */
  readonly size: number;

  /**
   * Opens `path` for reading; CheckpointError when it cannot be opened.
   *
   * @param path - the file's path.
   */
  constructor(readonly path: string) {
    try {
      checkReadable(path, 'safetensors file'); // a FIFO would block open() forever; a folder is named as one
    } catch (e) {
      throw e instanceof FileError ? new CheckpointError(e.message) : e;
    }
    try {
      this.fd = openSync(path, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      throw new CheckpointError(`${path}: cannot open (${(e as Error).message})`);
    }
  }

  /** Exactly `length` bytes at `position` (reopens a closed file); CheckpointError at an early end of file. */
  read(position: number, length: number): Uint8Array {
    if (this.fd === undefined) this.fd = openSync(this.path, 'r');
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const chunk = Math.min(length - done, 1 << 30);
      const n = readSync(this.fd, out, done, chunk, position + done);
      if (n === 0) throw new CheckpointError(`${this.path}: byte ${position + done}: unexpected end of file (the file shrank after it was opened?)`);
      done += n;
    }
    this.bytesRead += length;
    return out;
  }

  /** Close the file descriptor; a later {@link read} reopens the file. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

