/**
 * Safetensors reader and writer: round trip of every dtype, deterministic output, byte-range reads
 * (counted), every malformed-file case, and a fuzzer over mutated and truncated files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, ShapeError, ValueError } from '../../src/errors.js';
import { DTYPE_BYTES, type DType, typedValues } from '../../src/io/dtype.js';
import { FileReader } from '../../src/io/file-reader.js';
import { type ByteReader, SafetensorsFile } from '../../src/io/safetensors.js';
import { serializeSafetensors, writeSafetensors } from '../../src/io/safetensors-write.js';
import type { TensorInput } from '../../src/io/weights.js';
import { decodeBf16, decodeF16, decodeFp8E4M3 } from '../../reference/ops/dtypes.js';
import { mulberry32 } from '../support/arbitraries.js';
import { runs } from '../support/runs.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'st-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Random values exactly representable in `dtype` (floats drawn from random codes, decoded by the reference). */
function valuesFor(dtype: DType, n: number, seed: number): number[] | bigint[] {
  const r = mulberry32(seed);
  const bytes = (w: number) => Uint8Array.from({ length: n * w }, () => Math.floor(r() * 256));
  const finite = (a: Float64Array) => Array.from(a, (v) => (Number.isFinite(v) ? v : 1));
  switch (dtype) {
    case 'F64': return Array.from({ length: n }, () => (r() - 0.5) * 1e300 * r());
    case 'F32': return Array.from({ length: n }, () => Math.fround((r() - 0.5) * 1e6));
    case 'BF16': return finite(decodeBf16(bytes(2)));
    case 'F16': return finite(decodeF16(bytes(2)));
    case 'F8_E4M3': return finite(decodeFp8E4M3(bytes(1)));
    case 'I64': return Array.from({ length: n }, () => BigInt(Math.floor((r() - 0.5) * 2 ** 53)) * 1024n);
    case 'U64': return Array.from({ length: n }, () => BigInt(Math.floor(r() * 2 ** 53)) * 2048n);
    case 'BOOL': return Array.from({ length: n }, () => (r() < 0.5 ? 0 : 1));
    default: {
      const bits = DTYPE_BYTES[dtype] * 8;
      const signed = dtype.startsWith('I');
      return Array.from({ length: n }, () => Math.floor(r() * 2 ** bits) - (signed ? 2 ** (bits - 1) : 0));
    }
  }
}

const WRITABLE: DType[] = ['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'];

function sample(): Record<string, TensorInput> {
  const out: Record<string, TensorInput> = {};
  WRITABLE.forEach((dtype, i) => {
    const shape = [2, 3 + (i % 3)];
    out[`t.${dtype}`] = { dtype, shape, data: valuesFor(dtype, shape[0] * shape[1], 100 + i) as number[] };
  });
  out['t.F8_E5M2'] = { dtype: 'F8_E5M2', shape: [4], bytes: new Uint8Array([0x3c, 0x7c, 0x01, 0x80]) };
  out['t.F8_E8M0'] = { dtype: 'F8_E8M0', shape: [2], bytes: new Uint8Array([127, 130]) };
  out['t.empty'] = { dtype: 'F32', shape: [0, 5], data: [] };
  out['t.scalar'] = { dtype: 'F32', shape: [], data: [7] };
  return out;
}

function expectRoundTrip(f: SafetensorsFile, tensors: Record<string, TensorInput>): void {
  expect(f.names().sort()).toEqual(Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    const e = f.entry(name);
    expect(e.dtype).toBe(t.dtype);
    expect(e.shape).toEqual(t.shape);
    const got = typedValues(t.dtype, f.read(name));
    if (t.bytes) expect(Array.from(f.read(name))).toEqual(Array.from(t.bytes));
    else expect(Array.from(got as ArrayLike<number>)).toEqual(Array.from(t.data as ArrayLike<number>));
  }
}

describe('round trip', () => {
  it('every dtype, in memory', () => {
    const t = sample();
    expectRoundTrip(SafetensorsFile.fromBytes(serializeSafetensors(t, { format: 'pt' })), t);
  });
  it('every dtype, through a file, with metadata', () => {
    const t = sample();
    const file = path.join(tmp, 'all.safetensors');
    const n = writeSafetensors(file, t, { format: 'pt', note: 'x' });
    const f = SafetensorsFile.open(file);
    expect(f.reader.size).toBe(n);
    expect(f.metadata).toEqual({ format: 'pt', note: 'x' });
    expectRoundTrip(f, t);
    f.close();
  });
  it('deterministic: insertion order does not change the bytes; header padded to 8; sorted data order', () => {
    const t = sample();
    const reversed = Object.fromEntries(Object.entries(t).reverse());
    const a = serializeSafetensors(t, { b: '1', a: '2' });
    const b = serializeSafetensors(reversed, { a: '2', b: '1' });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const n = Number(new DataView(a.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(a.subarray(8, 8 + n));
    expect(header.startsWith('{"__metadata__":{"a":"2","b":"1"}')).toBe(true);
    const f = SafetensorsFile.fromBytes(a);
    const starts = Object.keys(t).sort().map((k) => f.entry(k).start);
    expect(starts).toEqual([...starts].sort((x, y) => x - y));
  });
  it('writer errors: wrong size, integer out of range, reserved name', () => {
    expect(() => serializeSafetensors({ x: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3] } })).toThrow(ShapeError);
    expect(() => serializeSafetensors({ x: { dtype: 'I8', shape: [1], data: [200] } })).toThrow(/tensor 'x': cannot store 200/);
    expect(() => serializeSafetensors({ x: { dtype: 'I32', shape: [1], data: [1.5] } })).toThrow(ValueError);
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: [1] } })).toThrow(CheckpointError);
  });
});

/** A reader that counts and records every read, around a real file. */
function counting(file: string): ByteReader & { reads: [number, number][]; total: () => number } {
  const inner = new FileReader(file);
  const reads: [number, number][] = [];
  return {
    size: inner.size, reads,
    read: (p, n) => { reads.push([p, n]); return inner.read(p, n); },
    close: () => inner.close(),
    total: () => reads.reduce((a, r) => a + r[1], 0),
  };
}

describe('byte-range reads', () => {
  const file = path.join(tmp, 'big.safetensors');
  const big = new Float32Array(2_000_000).map((_, i) => i % 1000);
  writeSafetensors(file, { big: { dtype: 'F32', shape: [2000, 1000], data: big }, small: { dtype: 'BF16', shape: [3], data: [1, 2, 3] } });

  it('reading a small tensor reads the 8-byte length, the header, and its 6 bytes only', () => {
    const reader = counting(file);
    const f = SafetensorsFile.open(file, { reader });
    const headerBytes = f.dataStart;
    expect(Array.from(typedValues('BF16', f.read('small')) as Float32Array)).toEqual([1, 2, 3]);
    expect(reader.total()).toBe(headerBytes + 6);
    expect(reader.size).toBeGreaterThan(8_000_000);
    f.close();
  });
  it('a sub-range of a large tensor reads exactly that range', () => {
    const reader = counting(file);
    const f = SafetensorsFile.open(file, { reader });
    const before = reader.total();
    const row = typedValues('F32', f.read('big', 1234 * 4000, 1235 * 4000)) as Float32Array;
    expect(reader.total() - before).toBe(4000);
    expect(Array.from(row.subarray(0, 3))).toEqual([0, 1, 2].map((c) => (1234 * 1000 + c) % 1000));
    expect(() => f.read('big', 0, 8_000_001)).toThrow(/outside its 8000000 bytes/);
    f.close();
  });
});

/** Build a file from a header object (or raw header text) and a data section. */
function craft(header: unknown, data = new Uint8Array(0), opts: { lengthOverride?: bigint } = {}): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function expectBad(bytes: Uint8Array, re: RegExp): void {
  const file = path.join(tmp, 'bad.safetensors');
  writeFileSync(file, bytes);
  let err: unknown;
  try { SafetensorsFile.open(file); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(CheckpointError);
  expect((err as Error).message).toContain(file);
  expect((err as Error).message).toMatch(re);
}

describe('malformed files are CheckpointErrors naming the file and the byte offset', () => {
  const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const hlen = JSON.stringify(ok).length;
  it('shorter than the 8-byte length', () => expectBad(new Uint8Array(5), /byte 0: truncated: 5 bytes/));
  it('header length past the end of the file', () => expectBad(craft(ok, new Uint8Array(8), { lengthOverride: 10_000n }), /byte 0: header length 10000 runs past the end/));
  it('header length beyond the limit', () => {
    const reader: ByteReader = { size: 2 ** 40, read: (p, n) => (p === 0 ? craft('', new Uint8Array(0), { lengthOverride: 2n ** 31n }).subarray(0, 8) : new Uint8Array(n)), close: () => {} };
    expect(() => SafetensorsFile.open('huge.safetensors', { reader })).toThrow(/huge\.safetensors: byte 0: header length 2147483648 exceeds/);
  });
  it('header not UTF-8', () => expectBad(craft('{"a\xff"}'.replace('\xff', ''), new Uint8Array(0)).map((b, i) => (i === 11 ? 0xff : b)), /byte 8: header is not valid UTF-8/));
  it('invalid JSON, with the position', () => expectBad(craft('{"x": {"dtype": }}'), /byte 2\d: invalid JSON header/));
  it('JSON that is not an object', () => expectBad(craft('[1, 2]'), /byte 8: header is not a JSON object/));
  it('unknown dtype', () => expectBad(craft({ x: { dtype: 'F12', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor 'x': unknown dtype "F12"/));
  it('bad shape', () => expectBad(craft({ x: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, new Uint8Array(8)), /tensor 'x': shape must be/));
  it('bad data_offsets', () => expectBad(craft({ x: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)), /data_offsets must be \[begin, end\]/));
  it('data offsets out of range (truncated data)', () => expectBad(craft(ok, new Uint8Array(5)), new RegExp(`byte ${8 + hlen}: tensor 'x': data_offsets \\[0, 8\\] run past the end of the data \\(5 bytes`)));
  it('shape / offset size mismatch', () => expectBad(craft({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes but data_offsets \[0, 8\] span 8/));
  it('overlapping tensors', () => {
    const h = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expectBad(craft(h, new Uint8Array(12)), /tensor 'b' overlaps tensor 'a'/);
  });
  it('metadata that is not strings', () => expectBad(craft({ __metadata__: { a: 1 } }), /__metadata__ value 'a' must be a string/));
  it('accepted by decision: a gap between tensors and trailing bytes', () => {
    const h = { a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [4, 6] } };
    const f = SafetensorsFile.fromBytes(craft(h, new Uint8Array([1, 2, 9, 9, 3, 4, 9, 9])));
    expect(Array.from(f.read('b'))).toEqual([3, 4]);
  });
  it('a missing tensor names the file', () => {
    const f = SafetensorsFile.fromBytes(craft(ok, new Uint8Array(8)), 'mem.safetensors');
    expect(() => f.read('y')).toThrow(/mem\.safetensors: no tensor 'y' \(1 tensors in the file\)/);
  });
  it('a file that cannot be opened', () => {
    expect(() => SafetensorsFile.open(path.join(tmp, 'nope.safetensors'))).toThrow(/safetensors file '.*nope\.safetensors' does not exist/);
  });
});

describe('fuzzing: mutated and truncated files', () => {
  const base = serializeSafetensors(sample(), { format: 'pt' });
  const headerEnd = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: headerEnd + 16 }), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: base.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: base.length }), value: fc.constant(0) }),
    fc.record({ kind: fc.constant('digit' as const), at: fc.integer({ min: 8, max: headerEnd - 1 }), value: fc.integer({ min: 0, max: 9 }) }),
  );
  it('never throws anything but CheckpointError, and never returns wrong-sized data', () => {
    const seen = { ok: 0, rejected: 0 };
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (muts) => {
      let bytes = base.slice();
      for (const m of muts) {
        if (m.kind === 'truncate') bytes = bytes.slice(0, m.at);
        else if (m.at < bytes.length) {
          // 'digit' rewrites a digit of the header so shapes and offsets change but stay numbers.
          if (m.kind === 'digit' && bytes[m.at] >= 0x30 && bytes[m.at] <= 0x39) bytes[m.at] = 0x30 + m.value;
          else if (m.kind === 'flip') bytes[m.at] = m.value;
        }
      }
      try {
        const f = SafetensorsFile.fromBytes(bytes, 'fuzz.safetensors');
        for (const name of f.names()) {
          const e = f.entry(name);
          const data = f.read(name);
          expect(data.byteLength).toBe(e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.dtype]);
          expect(typedValues(e.dtype, data).length).toBe(e.shape.reduce((a, b) => a * b, 1));
        }
        seen.ok++;
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw e;
        expect((e as Error).message).toMatch(/^fuzz\.safetensors: /);
        seen.rejected++;
      }
    }), { numRuns: runs(400) });
    // The mutations must exercise both paths, or the property says little.
    expect(seen.ok).toBeGreaterThan(40);
    expect(seen.rejected).toBeGreaterThan(100);
  });
});
