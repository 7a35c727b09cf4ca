/**
 * File-system primitives that fail with a {@link FileError} naming the path and the condition,
 * never hang, and never leave a half-written output behind (issue #12 items 3, 4, 6, 10).
 * Node-only (the browser entry never imports it). I/O computes nothing, so it has no twin: it is
 * one of the shared modules the reference may import (src/tokenizer/files.ts reads through it).
 *
 * - {@link ensureDir}: `mkdir -p` that walks up to the nearest existing folder and creates each
 *   missing one by itself, so a file system that refuses (procfs) is one error, not the endless
 *   retry loop of Node's recursive mkdir on `/proc/nope`.
 * - {@link checkReadable}: stat before open, so a FIFO is refused instead of blocking `open`
 *   forever, a directory is named as one, and a dangling symbolic link is told from a missing file.
 * - {@link writeFileAtomic}: a temporary file in the same folder, written in chunks of at most
 *   {@link WRITE_CHUNK_BYTES} (one `writeSync` is limited to 2 GiB), all-zero chunks left as holes,
 *   fsync, then rename over the target; the temporary file is removed on any failure. It refuses
 *   a target that is a folder, one of the command's inputs, or an existing file unless
 *   `overwrite`.
 *
 * @module
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { FileError, InternS1Error } from '../errors.js';

/** Largest single `writeSync` of {@link writeFileAtomic} (64 MiB; Node refuses more than 2 GiB per call). */
export const WRITE_CHUNK_BYTES = 64 * 2 ** 20;

const WORDS: Record<string, string> = {
  ENOENT: 'does not exist', EISDIR: 'is a directory', ENOTDIR: 'has a parent that is not a directory', EACCES: 'permission denied',
  EPERM: 'operation not permitted', EEXIST: 'already exists', ENOSPC: 'no space left on the device', EROFS: 'is on a read-only file system',
  ELOOP: 'has a symbolic link loop', ENAMETOOLONG: 'has a name that is too long', EMFILE: 'too many open files', EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system', EIO: 'input/output error', ENXIO: 'is a special file with no device behind it',
};

/** A {@link FileError} for a system error `e` on `file` while doing `what` (`cannot write`, ...). */
export function fileError(e: unknown, what: string, file: string): InternS1Error {
  if (e instanceof InternS1Error) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const words = code ? WORDS[code] ?? code : (e as Error).message;
  return new FileError(`${what} '${file}': ${words}${code && WORDS[code] ? ` (${code})` : ''}`, code);
}

function statOrUndefined(p: string, follow = true): Stats | undefined {
  try {
    return follow ? statSync(p) : lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fileError(e, 'cannot inspect', p);
  }
}

/**
 * Create `dir` and its missing parents. Bounded: at most one `mkdir` per missing path component.
 * @throws FileError when a component is a file, a dangling symbolic link, or cannot be created.
 */
export function ensureDir(dir: string): void {
  const missing: string[] = [];
  let p = path.resolve(dir);
  for (;;) {
    const st = statOrUndefined(p);
    if (st) {
      if (!st.isDirectory()) throw new FileError(`cannot create folder '${dir}': '${p}' exists and is not a folder`, 'ENOTDIR');
      break;
    }
    if (statOrUndefined(p, false)) throw new FileError(`cannot create folder '${dir}': '${p}' is a dangling symbolic link`, 'ENOENT');
    missing.push(p);
    const up = path.dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(m)?.isDirectory()) continue;
      throw fileError(e, 'cannot create folder', m);
    }
  }
}

/**
 * Check that `file` can be opened for reading without blocking: it exists (a dangling symbolic
 * link is named as one), is a regular file (not a folder, FIFO, socket or device). `what` names it
 * in messages (`shard`, `checkpoint index`, ...). Returns its stats.
 */
export function checkReadable(file: string, what = 'file'): Stats {
  const st = statOrUndefined(file);
  if (!st) {
    if (statOrUndefined(file, false)) throw new FileError(`${what} '${file}' is a dangling symbolic link`, 'ENOENT');
    throw new FileError(`${what} '${file}' does not exist`, 'ENOENT');
  }
  if (st.isDirectory()) throw new FileError(`${what} '${file}' is a directory, expected a file`, 'EISDIR');
  if (!st.isFile()) throw new FileError(`${what} '${file}' is not a regular file (${kind(st)}); refusing to open it`, 'EINVAL');
  return st;
}

/**
 * When `file` exists but is not a regular file (a folder, FIFO, socket or device), throw a
 * FileError naming it; a missing file is left to the caller's own read (and message). Call it
 * before `readFileSync`, which blocks forever on a FIFO.
 */
export function refuseSpecialFile(file: string, what = 'file'): void {
  const st = statOrUndefined(file);
  if (st?.isDirectory()) throw new FileError(`${what} '${file}' is a directory, expected a file`, 'EISDIR');
  if (st && !st.isFile()) throw new FileError(`${what} '${file}' is not a regular file (${kind(st)}); refusing to open it`, 'EINVAL');
}

function kind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a file';
}

/** Whether {@link writeFileAtomic} may replace a file, which inputs it must not overwrite, and its name in messages. */
export interface AtomicWriteOptions {
  /** Replace an existing file (default true: an output file is replaced, as `>` does). */
  readonly overwrite?: boolean;
  /** Paths the same command reads: the target must not be one of them (compared after resolving links). */
  readonly inputs?: readonly string[];
  /** How the target is named in messages (default `output`). */
  readonly what?: string;
}

/** Identity of an existing path (device + inode), or undefined. */
function identity(p: string): string | undefined {
  const st = statOrUndefined(p);
  return st ? `${st.dev}:${st.ino}` : undefined;
}

/**
 * Check an output path before any work: not a folder, not one of `inputs`, and (unless
 * `overwrite`) not an existing file. Commands call it first, so that a bad output fails before
 * minutes of compute; {@link writeFileAtomic} calls it again.
 */
export function checkOutputPath(file: string, opts: AtomicWriteOptions = {}): void {
  const what = opts.what ?? 'output';
  const lst = statOrUndefined(file, false);
  const st = statOrUndefined(file);
  if (lst && !st) throw new FileError(`${what} '${file}' is a dangling symbolic link; remove it or name another path`, 'ENOENT');
  if (st?.isDirectory()) throw new FileError(`${what} '${file}' is a directory; name a file`, 'EISDIR');
  if (st && !st.isFile()) throw new FileError(`${what} '${file}' exists and is not a regular file (${kind(st)})`, 'EINVAL');
  if (st) {
    const id = `${st.dev}:${st.ino}`;
    const clash = (opts.inputs ?? []).find((i) => identity(i) === id);
    if (clash !== undefined) throw new FileError(`${what} '${file}' is an input of this command ('${clash}'); refusing to overwrite it`, 'EEXIST');
    if (opts.overwrite === false) throw new FileError(`${what} '${file}' already exists (pass --force to replace it)`, 'EEXIST');
  }
}

/**
 * Write `parts` (produced lazily, in order) to `file` atomically: a temporary file
 * `.<name>.tmp-<pid>-<n>` in the same folder, each part written in chunks of at most
 * {@link WRITE_CHUNK_BYTES} (all-zero chunks are skipped and left as holes, so a zero-filled
 * tensor makes a sparse file), fsync, rename over `file`. On any failure the temporary file is
 * removed and the error is a {@link FileError} (or the library error the producer threw).
 * Returns the bytes written.
 */
export function writeFileAtomic(file: string, parts: Iterable<Uint8Array>, opts: AtomicWriteOptions = {}): number {
  checkOutputPath(file, opts);
  const dir = path.dirname(path.resolve(file));
  ensureDir(dir);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${counter++}`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (e) {
    throw fileError(e, 'cannot write', file);
  }
  let pos = 0;
  try {
    for (const part of parts) pos = writeChunks(fd, part, pos);
    if (fstatSync(fd).size !== pos) ftruncateSync(fd, pos); // a trailing hole
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, file);
  } catch (e) {
    if (fd >= 0) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the first error is the one to report
      }
    }
    rmSync(tmp, { force: true });
    throw fileError(e, 'cannot write', file);
  }
  syncDir(dir);
  return pos;
}

let counter = 0;
let zero: Uint8Array | undefined;

/** Write `b` at `pos` in chunks; all-zero chunks are skipped (holes). Returns the new position. */
function writeChunks(fd: number, b: Uint8Array, pos: number): number {
  for (let o = 0; o < b.byteLength; o += WRITE_CHUNK_BYTES) {
    const chunk = b.subarray(o, Math.min(b.byteLength, o + WRITE_CHUNK_BYTES));
    if (chunk.byteLength === WRITE_CHUNK_BYTES && Buffer.compare(chunk, (zero ??= new Uint8Array(WRITE_CHUNK_BYTES))) === 0) continue;
    for (let k = 0; k < chunk.byteLength;) k += writeSync(fd, chunk, k, chunk.byteLength - k, pos + o + k);
  }
  return pos + b.byteLength;
}

/** fsync a folder so a rename in it is durable (best effort: not every file system allows it). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some platforms cannot open or fsync a folder; the rename itself has happened
  }
}

/** Whether `dir` holds a checkpoint (config.json or a .safetensors file). */
export function isCheckpointDir(dir: string): boolean {
  const st = statOrUndefined(dir);
  if (!st?.isDirectory()) return false;
  try {
    return readdirSync(dir).some((f) => f === 'config.json' || f.endsWith('.safetensors') || f.endsWith('.safetensors.index.json'));
  } catch (e) {
    throw fileError(e, 'cannot read folder', dir);
  }
}

/**
 * Make `dir` ready to receive a new checkpoint: a FileError when it is a file (or a dangling
 * link), or already holds a checkpoint and `force` is not set; then create it (bounded).
 * `op` names the caller in messages.
 */
export function prepareCheckpointDir(op: string, dir: string, force = false): void {
  const st = statOrUndefined(dir);
  if (st && !st.isDirectory()) throw new FileError(`${op}: '${dir}' exists and is not a folder`, 'ENOTDIR');
  if (!force && isCheckpointDir(dir)) throw new FileError(`${op}: '${dir}' already holds a checkpoint (pass force / --force to replace it)`, 'EEXIST');
  ensureDir(dir);
}

/** {@link writeFileAtomic} of one text or byte string. */
export function writeSmallFileAtomic(file: string, content: string | Uint8Array, opts: AtomicWriteOptions = {}): number {
  return writeFileAtomic(file, [typeof content === 'string' ? new TextEncoder().encode(content) : content], opts);
}

/** `realpath` or the resolved path when it does not exist. */
export function realOrResolved(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
