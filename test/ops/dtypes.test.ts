/**
 * Storage dtypes: the fast decoders (bit tricks, tables) against the reference (bit fields decoded
 * arithmetically in float64) for every code; encoders against the reference's nearest-value
 * search; block FP8 (de)quantisation against the reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import * as ref from '../../reference/ops/dtypes.js';
import { ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/dtypes.js';
import { runs } from '../support/runs.js';

/** Every code of a `width`-byte format as little-endian bytes. */
function allCodes(width: 1 | 2): Uint8Array {
  const n = 2 ** (8 * width);
  const out = new Uint8Array(n * width);
  for (let c = 0; c < n; c++) for (let k = 0; k < width; k++) out[c * width + k] = (c >> (8 * k)) & 0xff;
  return out;
}

/** Bit-exact comparison (NaN only where NaN; -0 distinct from +0). */
function expectSameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      throw new Error(`${what}: code ${i} decodes to ${got[i]}, reference ${want[i]}`);
    }
  }
}

const decoders = [
  { name: 'decodeBf16', width: 2 as const },
  { name: 'decodeF16', width: 2 as const },
  { name: 'decodeFp8E4M3', width: 1 as const },
  { name: 'decodeFp8E5M2', width: 1 as const },
  { name: 'decodeE8M0', width: 1 as const },
] as const;

describe('decoders: fast == reference for every code', () => {
  for (const d of decoders) {
    it(`${d.name}: all ${2 ** (8 * d.width)} codes`, () => {
      const bytes = allCodes(d.width);
      expectSameValues(fast[d.name](bytes), ref[d.name](bytes), d.name);
    });
  }
  it('known values', () => {
    expect(Array.from(fast.decodeBf16(new Uint8Array([0x80, 0x3f, 0x80, 0xff, 0x01, 0x00])))).toEqual([1, -Infinity, 2 ** -133]);
    expect(Array.from(fast.decodeF16(new Uint8Array([0x01, 0x00, 0xff, 0x7b, 0x00, 0x80])))).toEqual([2 ** -24, 65504, -0]);
    const e4 = fast.decodeFp8E4M3(new Uint8Array([0x7e, 0x01, 0x08, 0x38, 0xfe, 0x00, 0x80]));
    expect(Array.from(e4)).toEqual([448, 2 ** -9, 2 ** -6, 1, -448, 0, -0]);
    expect(fast.decodeFp8E4M3(new Uint8Array([0x7f, 0xff])).every(Number.isNaN)).toBe(true);
    expect(Array.from(fast.decodeFp8E5M2(new Uint8Array([0x7b, 0x7c, 0xfc, 0x01])))).toEqual([57344, Infinity, -Infinity, 2 ** -16]);
    expect(Array.from(fast.decodeE8M0(new Uint8Array([127, 0, 254])))).toEqual([1, 2 ** -127, 2 ** 127]);
  });
  it('reads an unaligned view of a larger buffer', () => {
    const buf = new Uint8Array([9, 0x80, 0x3f, 0x00, 0x40]);
    expect(Array.from(fast.decodeBf16(buf.subarray(1)))).toEqual([1, 2]);
    expect(Array.from(fast.decodeF16(buf.subarray(1)))).toEqual([fast.decodeF16(new Uint8Array([0x80, 0x3f]))[0], 2]);
  });
  it('every byte offset 0..3 and every length 0..9 (word-wise loads with a tail)', () => {
    const buf = Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff);
    for (const d of decoders) {
      for (let off = 0; off < 4; off++) {
        for (let n = 0; n <= 9; n++) {
          const view = buf.subarray(off, off + n * d.width);
          expectSameValues(fast[d.name](view), ref[d.name](view), `${d.name} offset ${off} length ${n}`);
        }
      }
    }
  });
  it('decodes into a given output (any offset of a larger buffer) with the same values; a wrong length is a ShapeError', () => {
    const bytes = Uint8Array.from({ length: 2 * 37 }, (_, i) => (i * 53 + 7) & 0xff);
    for (const name of ['decodeBf16', 'decodeF16'] as const) {
      const big = new Float32Array(40).fill(123);
      const out = big.subarray(2, 39);
      expect(fast[name](bytes, out)).toBe(out);
      expectSameValues(out, ref[name](bytes), `${name} into a view`);
      expect([big[0], big[1], big[39]]).toEqual([123, 123, 123]);
      expect(() => fast[name](bytes, new Float32Array(36))).toThrow(/'out' holds 36 values but 'bytes' encodes 37/);
      const r = new Float64Array(37);
      expect(ref[name](bytes, r)).toBe(r);
    }
  });
  it('an odd byte count is a ShapeError naming the op', () => {
    expect(() => fast.decodeBf16(new Uint8Array(3))).toThrow(ShapeError);
    expect(() => fast.decodeF16(new Uint8Array(1))).toThrow(/decodeF16: 'bytes' has 1 bytes/);
  });
});

/** Bytes → codes for comparison. */
function codes(bytes: Uint8Array, width: 1 | 2): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += width) out.push(width === 1 ? bytes[i] : bytes[i] | (bytes[i + 1] << 8));
  return out;
}

const encoders = [
  { name: 'encodeBf16', dec: 'decodeBf16', width: 2 as const, nan: (c: number) => (c & 0x7f80) === 0x7f80 && (c & 0x7f) !== 0 },
  { name: 'encodeF16', dec: 'decodeF16', width: 2 as const, nan: (c: number) => (c & 0x7c00) === 0x7c00 && (c & 0x3ff) !== 0 },
  { name: 'encodeFp8E4M3', dec: 'decodeFp8E4M3', width: 1 as const, nan: (c: number) => (c & 0x7f) === 0x7f },
] as const;

describe('encoders', () => {
  for (const e of encoders) {
    it(`${e.name}: every non-NaN code's value encodes back to the same code`, () => {
      const all = allCodes(e.width);
      const values = ref[e.dec](all);
      const back = codes(fast[e.name](values), e.width);
      for (let c = 0; c < values.length; c++) {
        if (e.nan(c)) continue;
        if (back[c] !== c) throw new Error(`${e.name}: code ${c} (${values[c]}) re-encodes to ${back[c]}`);
      }
    });
    it(`${e.name}: fast == reference on random float32 values (ties, subnormals, overflow, NaN)`, () => {
      const special = fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 448, 464, 463.99, 480, 65504, 65520, 2 ** -10, 3 * 2 ** -10, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 2 ** -25, 3 * 2 ** -25);
      const value = fc.oneof(fc.float(), fc.float({ min: -500, max: 500 }), fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3) }), special);
      fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 64 }), (vals) => {
        expect(codes(fast[e.name](vals), e.width)).toEqual(codes(ref[e.name](vals), e.width));
      }), { numRuns: runs(60) });
    });
    it(`${e.name}: every midpoint between neighbouring codes rounds to the even code, as in the reference`, () => {
      const vals = Array.from(ref[e.dec](allCodes(e.width))).filter(Number.isFinite).filter((v) => v >= 0).sort((a, b) => a - b);
      const mids: number[] = [];
      for (let i = 0; i + 1 < vals.length; i += 97) mids.push((vals[i] + vals[i + 1]) / 2);
      const fastCodes = codes(fast[e.name](mids), e.width);
      expect(fastCodes).toEqual(codes(ref[e.name](mids), e.width));
      const exact = mids.map(Math.fround).every((m, i) => m === mids[i]);
      if (exact) expect(fastCodes.every((c) => c % 2 === 0)).toBe(true);
    });
  }
  it('known roundings', () => {
    expect(codes(fast.encodeBf16([1 + 2 ** -8, 1 + 3 * 2 ** -8, NaN, 3.4e38 * 1.01]), 2)).toEqual([0x3f80, 0x3f82, 0x7fc0, 0x7f80]);
    expect(codes(fast.encodeF16([65519, 65520, 2 ** -25, 3 * 2 ** -25, -0]), 2)).toEqual([0x7bff, 0x7c00, 0x0000, 0x0002, 0x8000]);
    expect(Array.from(fast.encodeFp8E4M3([463.99, 464, -500, Infinity, 2 ** -10, 3 * 2 ** -10, -0]))).toEqual([0x7e, 0x7f, 0xff, 0x7f, 0x00, 0x02, 0x80]);
  });
});

/** Random FP8 codes, scales and block sizes for a rank 2-3 weight. */
const blockCase = fc.record({
  lead: fc.integer({ min: 1, max: 3 }), rank3: fc.boolean(),
  R: fc.integer({ min: 1, max: 20 }), C: fc.integer({ min: 1, max: 20 }),
  br: fc.integer({ min: 1, max: 8 }), bc: fc.integer({ min: 1, max: 8 }), seed: fc.integer({ min: 0, max: 2 ** 30 }),
}).map((p) => {
  const shape = p.rank3 ? [p.lead, p.R, p.C] : [p.R, p.C];
  const n = shape.reduce((a, b) => a * b, 1);
  const scaleShape = [...shape.slice(0, -2), Math.ceil(p.R / p.br), Math.ceil(p.C / p.bc)];
  const ns = scaleShape.reduce((a, b) => a * b, 1);
  let s = p.seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
  const q = Uint8Array.from({ length: n }, () => next() & 0xff);
  const scale = Float32Array.from({ length: ns }, () => Math.fround(2 ** ((next() % 20) - 10) * (1 + (next() % 1000) / 1000)));
  const w = Float64Array.from({ length: n }, () => Math.fround(((next() % 20001) - 10000) / 100) * 2 ** ((next() % 8) - 4));
  return { shape, scaleShape, q, scale, w, block: [p.br, p.bc] as [number, number] };
});

describe('dequantFp8Block / quantFp8Block', () => {
  it('dequant: fast == reference (exact: one rounding each)', () => {
    fc.assert(fc.property(blockCase, fc.integer({ min: 0, max: 3 }), (c, off) => {
      const padded = new Uint8Array(c.q.length + 3);
      padded.set(c.q, off);
      const view = padded.subarray(off, off + c.q.length); // any byte offset (word-wise loads)
      const got = fast.dequantFp8Block({ shape: c.shape, data: view }, { shape: c.scaleShape, data: c.scale }, c.block);
      const want = ref.dequantFp8Block({ shape: c.shape, data: c.q }, ndarray(Float64Array.from(c.scale), c.scaleShape), c.block);
      expectSameValues(got, Float32Array.from(want.data), 'dequant');
    }), { numRuns: runs(80) });
  });
  it('dequant: 128-blocks pick the scale of their block (spec 9.4 example)', () => {
    const q = new Uint8Array(130 * 3).fill(0x38); // all 1.0
    const out = fast.dequantFp8Block({ shape: [130, 3], data: q }, { shape: [2, 1], data: new Float32Array([0.5, 4]) });
    expect(out[127 * 3]).toBe(0.5);
    expect(out[128 * 3]).toBe(4);
  });
  it('dequant: a wrong scale shape or rank is a ShapeError naming both', () => {
    const q = { shape: [4, 4], data: new Uint8Array(16) };
    expect(() => fast.dequantFp8Block(q, { shape: [2, 1], data: new Float32Array(2) }, 2)).toThrow(/'scaleInv' has shape \[2, 1\] but 'q' \[4, 4\] with blocks 2x2 needs \[2, 2\]/);
    expect(() => fast.dequantFp8Block({ shape: [4], data: new Uint8Array(4) }, { shape: [1], data: new Float32Array(1) })).toThrow(ShapeError);
    expect(() => fast.dequantFp8Block(q, { shape: [1, 1], data: new Float32Array(1) }, 0)).toThrow(ValueError);
  });
  for (const fmt of ['ue8m0', 'float32'] as const) {
    it(`quant (${fmt}): fast == reference, and dequant(quant(w)) is within e4m3 rounding`, () => {
      fc.assert(fc.property(blockCase, (c) => {
        const got = fast.quantFp8Block({ shape: c.shape, data: c.w }, c.block, fmt);
        const want = ref.quantFp8Block(ndarray(Float64Array.from(c.w), c.shape), c.block, fmt);
        expect(Array.from(got.q.data)).toEqual(Array.from(want.q.data));
        expect(got.scaleInv.shape).toEqual(want.scaleInv.shape);
        expect(Array.from(got.scaleInv.data)).toEqual(Array.from(want.scaleInv.data));
        if (fmt === 'ue8m0') expect(Array.from(got.scaleInv.data).every((s) => Number.isInteger(Math.log2(s)))).toBe(true);
        const back = fast.dequantFp8Block(got.q, got.scaleInv, c.block);
        const R = c.shape[c.shape.length - 2];
        const C = c.shape[c.shape.length - 1];
        const SR = c.scaleShape[c.scaleShape.length - 2];
        const SC = c.scaleShape[c.scaleShape.length - 1];
        for (let i = 0; i < back.length; i++) {
          const l = Math.floor(i / (R * C));
          const s = got.scaleInv.data[(l * SR + Math.floor(Math.floor(i / C) % R / c.block[0])) * SC + Math.floor((i % C) / c.block[1])];
          const bound = Math.max(Math.abs(c.w[i]) * 2 ** -4, s * 2 ** -10) * (1 + 1e-6);
          if (!(Math.abs(back[i] - c.w[i]) <= bound)) throw new Error(`element ${i}: ${c.w[i]} -> ${back[i]} (scale ${s})`);
        }
      }), { numRuns: runs(40) });
    });
  }
  it('quant: a non-finite weight is a ValueError', () => {
    expect(() => fast.quantFp8Block({ shape: [1, 2], data: [1, NaN] })).toThrow(ValueError);
  });
});
