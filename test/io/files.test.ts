/**
 * Issue #12, the file system (items 3, 4, 5, 6, 10 at the library level, and the small ones of
 * item 14 in the safetensors code): every condition is a typed one-line error naming the path,
 * nothing hangs (FIFOs, procfs), nothing is left half-written, nothing is clobbered.
 * The CLI-level cases (exit codes, --force, run --output = an input) are in test/cli/files.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, FileError, ValueError } from '../../src/errors.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { WRITE_CHUNK_BYTES, checkOutputPath, ensureDir, writeFileAtomic } from '../../src/io/fs-safe.js';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import { serializeSafetensors, writeSafetensors } from '../../src/io/safetensors-write.js';
import { initTiny } from '../../src/io/tiny.js';
import { TINY_MAX_VOCAB } from '../../src/io/tiny-config.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'files-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const small = { x: { dtype: 'F32' as const, shape: [2], data: [1, 2] } };
/** Files in `dir` whose name has `.tmp-` (a temporary file left behind). */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-'));
const HANG = 30_000; // generous per-test limit: a hang fails instead of blocking the suite

describe('writing outputs (issue #12 items 3, 4, 6, 10)', () => {
  it('a file over 2 GiB is written in chunks (a zero-filled 2.5 GiB tensor: lazily allocated, written sparse)', () => {
    const n = 2.5 * 2 ** 30;
    const big = new Uint8Array(n); // untouched pages: no memory is used until written
    const file = path.join(tmp, 'big.safetensors');
    const written = writeSafetensors(file, { a_big: { dtype: 'U8', shape: [n], bytes: big }, z_small: { dtype: 'U8', shape: [3], bytes: new Uint8Array([7, 8, 9]) } });
    expect(written).toBeGreaterThan(n);
    expect(statSync(file).size).toBe(written);
    const f = SafetensorsFile.open(file);
    expect(f.entry('a_big').shape).toEqual([n]);
    expect(Array.from(f.read('z_small'))).toEqual([7, 8, 9]); // data past 2 GiB reads back
    f.close();
    expect(leftovers(tmp)).toEqual([]);
    rmSync(file);
  }, 120_000);

  it('chunk boundaries: non-zero bytes on both sides of a 64 MiB boundary survive; all-zero chunks become holes', () => {
    const n = 2 * WRITE_CHUNK_BYTES + 5;
    const b = new Uint8Array(n);
    const marks = [0, WRITE_CHUNK_BYTES - 1, WRITE_CHUNK_BYTES, 2 * WRITE_CHUNK_BYTES + 4];
    marks.forEach((m, i) => (b[m] = i + 1));
    const file = path.join(tmp, 'marks.bin');
    expect(writeFileAtomic(file, [new Uint8Array([5]), b, new Uint8Array(WRITE_CHUNK_BYTES)])).toBe(1 + n + WRITE_CHUNK_BYTES);
    const back = readFileSync(file);
    expect(back.length).toBe(1 + n + WRITE_CHUNK_BYTES);
    expect(back[0]).toBe(5);
    marks.forEach((m, i) => expect(back[1 + m]).toBe(i + 1));
    let nonzero = 0;
    for (let i = 1; i < back.length; i++) if (back[i] !== 0) nonzero++;
    expect(nonzero).toBe(marks.length);
    rmSync(file);
  }, 60_000);

  it('an output naming a directory is a FileError and leaves no temporary file behind', () => {
    const dir = path.join(tmp, 'outdir');
    mkdirSync(dir);
    expect(() => writeSafetensors(dir, small)).toThrow(FileError);
    expect(() => writeSafetensors(dir, small)).toThrow(/safetensors output '.*outdir' is a directory; name a file/);
    expect(leftovers(tmp)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an output that is, or sits under, a dangling symbolic link is a FileError', () => {
    const link = path.join(tmp, 'dangling');
    symlinkSync(path.join(tmp, 'no-such-target'), link);
    expect(() => writeSafetensors(link, small)).toThrow(/'.*dangling' is a dangling symbolic link/);
    expect(() => writeSafetensors(path.join(link, 'x.safetensors'), small)).toThrow(/cannot create folder .*: '.*dangling' is a dangling symbolic link/);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('/proc/nope/x.safetensors fails at once with a FileError (no endless recursive mkdir)', () => {
    if (!existsSync('/proc/self')) return; // not Linux: no procfs to test against
    let err: unknown;
    try { writeSafetensors('/proc/nope/x.safetensors', small); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(FileError);
    expect((err as Error).message).toMatch(/cannot create folder '\/proc\/nope'/);
    expect(() => ensureDir('/proc/nope/deeper')).toThrow(FileError);
  }, HANG);

  it('a parent that is a file is a FileError', () => {
    const f = path.join(tmp, 'plain-file');
    writeFileSync(f, 'x');
    expect(() => writeSafetensors(path.join(f, 'x.safetensors'), small)).toThrow(/cannot create folder .*: '.*plain-file' exists and is not a folder/);
  });

  it('never over an input of the same command, never over an existing file with overwrite: false', () => {
    const f = path.join(tmp, 'in.safetensors');
    writeSafetensors(f, small);
    const before = readFileSync(f);
    const viaLink = path.join(tmp, 'in-link.safetensors');
    symlinkSync(f, viaLink);
    expect(() => writeSafetensors(viaLink, { y: small.x }, undefined, { inputs: [f] })).toThrow(/is an input of this command .*refusing to overwrite it/);
    expect(() => writeSafetensors(f, { y: small.x }, undefined, { overwrite: false })).toThrow(/already exists \(pass --force to replace it\)/);
    expect(readFileSync(f)).toEqual(before);
    expect(() => checkOutputPath(path.join(tmp, 'fresh.safetensors'), { inputs: [f], overwrite: false })).not.toThrow();
  });

  it('a failure while writing removes the partial file and leaves an existing target untouched', () => {
    const f = path.join(tmp, 'target.bin');
    writeFileSync(f, 'old');
    function* parts(): Generator<Uint8Array> {
      yield new Uint8Array(1000).fill(1);
      throw new ValueError('producer failed');
    }
    expect(() => writeFileAtomic(f, parts())).toThrow(/producer failed/);
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(leftovers(tmp)).toEqual([]);
  });
});

describe('reading checkpoints (issue #12 items 4, 6)', () => {
  const ckpt = path.join(tmp, 'ckpt');
  const sharded = path.join(tmp, 'sharded');
  initTiny(ckpt, { variant: 'mini', vocabSize: 64 });
  initTiny(sharded, { variant: 'mini', vocabSize: 64, shards: 2 });
  const shard = readdirSync(sharded).find((f) => f.startsWith('model-00001'))!;

  it('a shard that is a FIFO is refused without opening it (open would block forever)', () => {
    const dir = path.join(tmp, 'fifo-ckpt');
    initTiny(dir, { variant: 'mini', vocabSize: 64, shards: 2 });
    rmSync(path.join(dir, shard));
    execFileSync('mkfifo', [path.join(dir, shard)]);
    expect(() => openCheckpoint(dir)).toThrow(CheckpointError);
    expect(() => openCheckpoint(dir)).toThrow(/shard '.*model-00001-of-00002\.safetensors' is not a regular file \(a FIFO\); refusing to open it/);
    expect(() => SafetensorsFile.open(path.join(dir, shard))).toThrow(/is not a regular file \(a FIFO\)/);
    const bare = path.join(tmp, 'fifo-bare');
    mkdirSync(bare);
    execFileSync('mkfifo', [path.join(bare, 'model.safetensors')]);
    expect(() => openCheckpoint(bare)).toThrow(/safetensors file '.*model\.safetensors' is not a regular file \(a FIFO\)/);
  }, HANG);

  it('a shard, an index or a config.json that is a directory is a CheckpointError naming it', () => {
    const dir = path.join(tmp, 'dir-shard');
    initTiny(dir, { variant: 'mini', vocabSize: 64, shards: 2 });
    rmSync(path.join(dir, shard));
    mkdirSync(path.join(dir, shard));
    expect(() => openCheckpoint(dir)).toThrow(/shard '.*model-00001-of-00002\.safetensors' is a directory, expected a file/);
    const idx = path.join(tmp, 'dir-index');
    initTiny(idx, { variant: 'mini', vocabSize: 64 });
    mkdirSync(path.join(idx, 'model.safetensors.index.json'));
    expect(() => openCheckpoint(idx)).toThrow(/checkpoint index '.*model\.safetensors\.index\.json' is a directory/);
    const cfg = path.join(tmp, 'dir-config');
    mkdirSync(path.join(cfg, 'config.json'), { recursive: true });
    expect(() => openCheckpoint(cfg)).toThrow(/config '.*config\.json' is a directory/);
    const st = path.join(tmp, 'dir-st');
    mkdirSync(path.join(st, 'model.safetensors'), { recursive: true });
    expect(() => openCheckpoint(st)).toThrow(/safetensors file '.*model\.safetensors' is a directory/);
  });

  it('a dangling symbolic link as a shard is named as one', () => {
    const dir = path.join(tmp, 'dangling-shard');
    initTiny(dir, { variant: 'mini', vocabSize: 64 });
    rmSync(path.join(dir, 'model.safetensors'));
    symlinkSync(path.join(tmp, 'gone.safetensors'), path.join(dir, 'model.safetensors'));
    expect(() => openCheckpoint(dir)).toThrow(/safetensors file '.*model\.safetensors' is a dangling symbolic link/);
  });

  it('the tiny checkpoints open (the cases above fail for their defect)', () => {
    openCheckpoint(ckpt).close();
    openCheckpoint(sharded).close();
  });
});

describe('initTiny (issue #12 items 4, 5, 6, 10)', () => {
  it('onto an existing file: FileError; onto an existing checkpoint: FileError unless force', () => {
    const f = path.join(tmp, 'a-file');
    writeFileSync(f, 'x');
    expect(() => initTiny(f, { variant: 'mini', vocabSize: 64 })).toThrow(/initTiny: '.*a-file' exists and is not a folder/);
    const dir = path.join(tmp, 'existing');
    initTiny(dir, { variant: 'mini', vocabSize: 64, seed: 1 });
    const before = readFileSync(path.join(dir, 'model.safetensors'));
    expect(() => initTiny(dir, { variant: 'mini', vocabSize: 64, seed: 2 })).toThrow(/already holds a checkpoint \(pass force \/ --force to replace it\)/);
    expect(readFileSync(path.join(dir, 'model.safetensors'))).toEqual(before);
    initTiny(dir, { variant: 'mini', vocabSize: 64, seed: 2, force: true });
    expect(readFileSync(path.join(dir, 'model.safetensors'))).not.toEqual(before);
    expect(leftovers(dir)).toEqual([]);
    const empty = path.join(tmp, 'empty-dir');
    mkdirSync(empty);
    expect(() => initTiny(empty, { variant: 'mini', vocabSize: 64 })).not.toThrow(); // an empty folder is not a checkpoint
  });

  it('/proc/x fails at once with a FileError', () => {
    if (!existsSync('/proc/self')) return;
    expect(() => initTiny('/proc/x', { variant: 'mini', vocabSize: 64 })).toThrow(FileError);
  }, HANG);

  it('vocabSize 1e12 is a ValueError naming TINY_MAX_VOCAB before any allocation', () => {
    expect(() => initTiny(path.join(tmp, 'v'), { variant: 'pro', vocabSize: 1e12 })).toThrow(/vocabSize must be an integer in \[16, 1048576\] \(TINY_MAX_VOCAB\), got 1000000000000/);
    expect(TINY_MAX_VOCAB).toBe(2 ** 20);
    expect(existsSync(path.join(tmp, 'v'))).toBe(false);
  });
});

describe('small safetensors cases (issue #12 item 14)', () => {
  it("SafetensorsFile.fromBytes('abc') is a CheckpointError, not a TypeError", () => {
    expect(() => SafetensorsFile.fromBytes('abc' as unknown as Uint8Array)).toThrow(CheckpointError);
    expect(() => SafetensorsFile.fromBytes(null as unknown as Uint8Array)).toThrow(/'bytes' must be a Uint8Array or Buffer, got null/);
  });

  it("a tensor named '__proto__' and a metadata key '__proto__' round-trip; '__metadata__' as a tensor name is refused", () => {
    // JSON.parse makes '__proto__' an own key (an object literal would set the prototype instead)
    const tensors = JSON.parse('{"__proto__": {"dtype": "U8", "shape": [1], "data": [3]}, "b": {"dtype": "U8", "shape": [1], "data": [4]}}');
    const bytes = serializeSafetensors(tensors, JSON.parse('{"__proto__": "p", "k": "v"}'));
    const f = SafetensorsFile.fromBytes(bytes);
    expect(f.names().sort()).toEqual(['__proto__', 'b']);
    expect(Array.from(f.read('__proto__'))).toEqual([3]);
    expect(f.metadata).toEqual(JSON.parse('{"__proto__": "p", "k": "v"}'));
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'U8', shape: [1], data: [1] } })).toThrow(/'__metadata__' cannot be a tensor name/);
  });
});
