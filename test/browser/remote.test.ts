/**
 * The browser inputs, run in Node (issue 14, item 1): safetensors and checkpoint folders from a
 * URL with HTTP Range requests (a node:http server on 127.0.0.1 that honours Range and counts the
 * bytes and requests it serves, so laziness is checked: the header first, then only the tensors
 * asked for), from Blobs / Files (Node 20 globals) and ArrayBuffers; tokenizer folders from URLs
 * and Files; images from ImageData. Expected values come from the bytes written and from the Node
 * path readers (openCheckpoint, readTokenizerDir), not from the code under test.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, TokenizerError, ValueError } from '../../src/errors.js';
import { imageFromImageData } from '../../src/image/browser.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { openCheckpointSource } from '../../src/io/remote-checkpoint.js';
import { BlobReader, openSafetensorsSource, prefetchTensors, UrlReader } from '../../src/io/remote.js';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import { serializeSafetensors } from '../../src/io/safetensors-write.js';
import { initTiny } from '../../src/io/tiny.js';
import { proFlavour } from '../../src/tokenizer/config.js';
import { readTokenizerDir } from '../../src/tokenizer/read-dir.js';
import { tokenizerFilesFromSource } from '../../src/tokenizer/sources.js';
import { tinyProFiles, writeTokenizerDir } from '../tokenizer/support.js';

/** What the server served. */
interface Log { requests: number; bytes: number; ranges: string[] }

/** A static server over `dir` that honours `Range: bytes=a-b` (206) unless `ignoreRange`. */
function serve(dir: string, opts: { ignoreRange?: boolean } = {}): Promise<{ url: string; log: Log; server: Server }> {
  const log: Log = { requests: 0, bytes: 0, ranges: [] };
  const server = createServer((req, res) => {
    const file = path.join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    log.requests += 1;
    const m = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
    if (m && !opts.ignoreRange) {
      const [a, b] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
      log.ranges.push(`${path.basename(file)}:${a}-${b}`);
      log.bytes += b - a + 1;
      res.writeHead(206, { 'Content-Range': `bytes ${a}-${b}/${body.length}`, 'Content-Length': b - a + 1 }).end(body.subarray(a, b + 1));
    } else {
      log.bytes += body.length;
      res.writeHead(200, { 'Content-Length': body.length }).end(body);
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, log, server })));
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'intern-s1-remote-'));
const A = Float32Array.from({ length: 64 }, (_, i) => i * 0.5);
const B = Float32Array.from({ length: 6000 }, (_, i) => Math.sin(i));
const C = Int32Array.from({ length: 10 }, (_, i) => 7 - i);
const fileBytes = serializeSafetensors({
  a: { dtype: 'F32', shape: [8, 8], data: A },
  b: { dtype: 'F32', shape: [6000], data: B },
  c: { dtype: 'I32', shape: [10], data: C },
});
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const headerLen = Number(new DataView(fileBytes.buffer, fileBytes.byteOffset).getBigUint64(0, true));

let server: Server;
let base: string;
let log: Log;
beforeAll(async () => {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(tmp, 'x.safetensors'), fileBytes);
  ({ server, url: base, log } = await serve(tmp));
});
afterAll(() => {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});
const reset = () => Object.assign(log, { requests: 0, bytes: 0, ranges: [] });

describe('UrlReader and openSafetensorsSource(url): HTTP Range, lazily', () => {
  it('opening reads the header only (size probe, 8-byte length, JSON header)', async () => {
    reset();
    const f = await openSafetensorsSource(`${base}x.safetensors`);
    expect(f.names()).toEqual(['a', 'b', 'c']);
    expect(log.requests).toBe(3);
    expect(log.bytes).toBe(1 + 8 + headerLen);
    expect(f.entry('b').shape).toEqual([6000]);
  });

  it('prefetchTensors fetches only the named tensors, and reads return their bytes', async () => {
    const f = await openSafetensorsSource(`${base}x.safetensors`);
    reset();
    await prefetchTensors(f, ['c']);
    expect(log.requests).toBe(1);
    expect(log.bytes).toBe(C.byteLength);
    expect(f.read('c')).toEqual(bytesOf(C));
    expect(() => f.read('b')).toThrow(CheckpointError);
    expect(() => f.read('b')).toThrow(/not fetched/);
    reset();
    await prefetchTensors(f, ['c']); // already held: no request
    expect(log.requests).toBe(0);
    await prefetchTensors(f); // the rest, adjacent: one request
    expect(log.requests).toBe(1);
    expect(log.bytes).toBe(A.byteLength + B.byteLength);
    expect(f.read('b', 400, 800)).toEqual(bytesOf(B).slice(400, 800));
    expect(f.read('a')).toEqual(bytesOf(A));
  });

  it('a server that ignores Range, a missing file and a bad name are CheckpointErrors', async () => {
    const s = await serve(tmp, { ignoreRange: true });
    try {
      await expect(UrlReader.open(`${s.url}x.safetensors`)).rejects.toThrow(/ignored the Range header/);
    } finally {
      s.server.close();
    }
    await expect(openSafetensorsSource(`${base}nope.safetensors`)).rejects.toThrow(/status 404/);
    await expect(openSafetensorsSource('http://127.0.0.1:1/x.safetensors')).rejects.toThrow(CheckpointError);
    const f = await openSafetensorsSource(`${base}x.safetensors`);
    await expect(prefetchTensors(f, ['zz'])).rejects.toThrow(/no tensor 'zz'/);
  });
});

describe('Blob, File and ArrayBuffer sources', () => {
  it('a Blob is read by slices: header, then the tensors asked for', async () => {
    const blob = new Blob([fileBytes]);
    const f = await openSafetensorsSource(blob);
    const reader = (f.reader as unknown as { source: BlobReader }).source;
    expect(reader.bytesRead).toBe(8 + headerLen);
    await prefetchTensors(f, ['a']);
    expect(reader.bytesRead).toBe(8 + headerLen + A.byteLength);
    expect(f.read('a')).toEqual(bytesOf(A));
    expect(() => f.read('c')).toThrow(/not fetched/);
  });

  it('a File keeps its name in messages; an ArrayBuffer needs no prefetch', async () => {
    const f = await openSafetensorsSource(new File([fileBytes], 'picked.safetensors'));
    expect(() => f.entry('zz')).toThrow(/picked\.safetensors: no tensor 'zz'/);
    const copy = fileBytes.slice().buffer;
    const g = await openSafetensorsSource(copy);
    expect(g.read('c')).toEqual(bytesOf(C));
  });

  it('a truncated Blob is a CheckpointError naming the byte', async () => {
    await expect(openSafetensorsSource(new Blob([fileBytes.subarray(0, 5)]))).rejects.toThrow(/byte 0: truncated/);
    await expect(openSafetensorsSource(new Blob([fileBytes.subarray(0, 8 + headerLen - 3)]))).rejects.toThrow(CheckpointError);
  });
});

describe('openCheckpointSource: sharded folders from a URL or picked files', () => {
  const dir = path.join(tmp, 'tiny');
  const name = 'model.language_model.layers.0.mlp.gate.weight';
  let folder: { url: string; log: Log; server: Server };
  beforeAll(async () => {
    initTiny(dir, { variant: 'pro', seed: 3, shards: 2, vocabSize: 256 });
    folder = await serve(dir);
  });
  afterAll(() => folder.server.close());

  it('opening reads config.json and the index only; prefetch fetches one shard header and one tensor', async () => {
    Object.assign(folder.log, { requests: 0, bytes: 0, ranges: [] });
    const ckpt = await openCheckpointSource(folder.url);
    const small = statSync(path.join(dir, 'config.json')).size + statSync(path.join(dir, 'model.safetensors.index.json')).size;
    expect(folder.log.bytes).toBe(small);
    expect(ckpt.config?.model_type).toBeDefined();
    expect(() => ckpt.weights.tensor(name)).toThrow(CheckpointError);
    Object.assign(folder.log, { requests: 0, bytes: 0, ranges: [] });
    await ckpt.prefetch([name]);
    const shard = JSON.parse(readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')).weight_map[name] as string;
    const shardBytes = readFileSync(path.join(dir, shard));
    const n = Number(shardBytes.readBigUInt64LE(0));
    const e = SafetensorsFile.fromBytes(shardBytes).entry(name);
    expect(ckpt.bytesFetched()).toBe(8 + n + e.length); // that shard's header and one tensor
    expect(folder.log.bytes).toBe(1 + 8 + n + e.length); // + the 1-byte size probe
    expect(folder.log.ranges.every((r) => r.startsWith(`${shard}:`))).toBe(true);
    const node = openCheckpoint(dir);
    const [a, b] = [ckpt.weights.tensor(name), node.weights.tensor(name)];
    expect(a.shape).toEqual(b.shape);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([a, b]);
    node.close();
  });

  it('picked Files (webkitRelativePath) open the same checkpoint; every tensor equals the Node reader', async () => {
    const files = readdirSync(dir).map((f) => Object.assign(new File([readFileSync(path.join(dir, f))], f), { webkitRelativePath: `tiny/${f}` }));
    const ckpt = await openCheckpointSource(files);
    await ckpt.prefetch();
    const node = openCheckpoint(dir);
    expect(ckpt.weights.names().sort()).toEqual(node.weights.names().sort());
    for (const n of node.store.names().slice(0, 12)) {
      const [a, b] = [ckpt.weights.tensor(n), node.weights.tensor(n)];
      expect(Array.from(a.dataSync()), n).toEqual(Array.from(b.dataSync()));
      tf.dispose([a, b]);
    }
    node.close();
  });

  it('a folder without safetensors or with a missing shard is a CheckpointError', async () => {
    await expect(openCheckpointSource(new Map([['README.md', new Blob(['hi'])]]))).rejects.toThrow(/no \*\.safetensors files/);
    await expect(openCheckpointSource(new Map([['config.json', new Blob(['{'])]]))).rejects.toThrow(/config\.json: byte 1: invalid JSON/);
    const index = readFileSync(path.join(dir, 'model.safetensors.index.json'));
    const ckpt = await openCheckpointSource(new Map([['model.safetensors.index.json', new Blob([index])]]));
    await expect(ckpt.prefetch([name])).rejects.toThrow(/does not exist/);
  });
});

describe('tokenizerFilesFromSource: a tokenizer folder from a URL or Files', () => {
  const dir = path.join(tmp, 'tok');
  let folder: { url: string; log: Log; server: Server };
  beforeAll(async () => {
    writeTokenizerDir(dir, tinyProFiles());
    folder = await serve(dir);
  });
  afterAll(() => folder.server.close());

  it('reads the same files as readTokenizerDir, from a URL and from Files', async () => {
    const want = readTokenizerDir(dir, proFlavour);
    const fromUrl = await tokenizerFilesFromSource(folder.url, proFlavour);
    const files = readdirSync(dir).map((f) => new File([readFileSync(path.join(dir, f))], f));
    const fromFiles = await tokenizerFilesFromSource(files, proFlavour);
    for (const got of [fromUrl, fromFiles]) {
      expect(got.flavour.name).toBe(want.flavour.name);
      const { models, ...rest } = got.files;
      const { models: wantModels, ...wantRest } = want.files;
      expect(rest).toEqual(wantRest);
      expect(Object.keys(models).sort()).toEqual(Object.keys(wantModels).sort());
      for (const k of Object.keys(models)) expect(Buffer.from(models[k]).equals(Buffer.from(wantModels[k])), k).toBe(true);
    }
  });

  it('a missing required file is a TokenizerError naming it', async () => {
    const files = readdirSync(dir).filter((f) => f !== 'merges.txt').map((f) => new File([readFileSync(path.join(dir, f))], f));
    await expect(tokenizerFilesFromSource(files, proFlavour)).rejects.toThrow(TokenizerError);
    await expect(tokenizerFilesFromSource(files, proFlavour)).rejects.toThrow(/merges\.txt: file not found/);
  });
});

describe('imageFromImageData', () => {
  it('drops alpha, keeps RGB in row-major order', () => {
    const data = new Uint8ClampedArray([1, 2, 3, 0, 4, 5, 6, 255, 7, 8, 9, 128, 10, 11, 12, 1, 13, 14, 15, 9, 16, 17, 18, 77]);
    const img = imageFromImageData({ width: 3, height: 2, data });
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.data)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
  });

  it('a bad size or data length is a ValueError naming it', () => {
    expect(() => imageFromImageData({ width: 0, height: 2, data: new Uint8ClampedArray(0) })).toThrow(ValueError);
    expect(() => imageFromImageData({ width: 2, height: 2, data: new Uint8ClampedArray(15) })).toThrow(/16 RGBA bytes/);
  });
});
