/**
 * libjpegYccToRgb, the last two steps of the JPEG decoder (libjpeg-turbo's colour conversion and
 * "fancy" chroma upsampling applied to jpeg-js's raw components): known YCbCr → RGB values, every
 * (Cb, Cr) pair against the jdcolor.c fixed-point formulas and within one level of the JFIF float
 * equations, the 4:2:2 (h2v1), 4:2:0 (h2v2) and 4:4:0 (h1v2) triangle filters against small cases
 * worked by hand, the replication fallbacks, and bad arguments. Part of the decoder (I/O): no twin;
 * whole-file agreement with Pillow is in decode.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { libjpegYccToRgb } from '../../src/image/jpeg-color.js';

const NONE: [number, number][] = [[1, 1], [1, 1], [1, 1]];

/** Convert an interleaved YCbCr copy and return it (the function works in place). */
function convert(ycc: ArrayLike<number>, width: number, height: number, factors = NONE): number[] {
  const buf = Uint8Array.from(ycc);
  libjpegYccToRgb(buf, width, height, factors);
  return Array.from(buf);
}

/** jdcolor.c, written out here: 16-bit fixed point, `FIX(x) = ⌊x·2¹⁶ + ½⌋`, results clamped to 0..255. */
const FIX = (x: number) => Math.floor(x * 65536 + 0.5);
const clamp = (v: number) => Math.min(255, Math.max(0, v));
const crToR = (cr: number) => Math.floor((FIX(1.402) * (cr - 128) + 32768) / 65536);
function libjpeg(y: number, cb: number, cr: number): [number, number, number] {
  const g = Math.floor((-FIX(0.34414) * (cb - 128) + 32768 - FIX(0.71414) * (cr - 128)) / 65536);
  const b = Math.floor((FIX(1.772) * (cb - 128) + 32768) / 65536);
  return [clamp(y + crToR(cr)), clamp(y + g), clamp(y + b)];
}

describe('libjpegYccToRgb: colour conversion (jdcolor.c)', () => {
  it('known values: grey, black, white, the JFIF primaries, clamped extremes', () => {
    // (Y, Cb, Cr) → (R, G, B), worked from R = Y + 1.402(Cr−128), G = Y − 0.34414(Cb−128) − 0.71414(Cr−128),
    // B = Y + 1.772(Cb−128) with libjpeg's rounding; e.g. red: 76 + ⌊1.402·127 + ½⌋ = 76 + 178 = 254.
    const table: [number[], number[]][] = [
      [[128, 128, 128], [128, 128, 128]],
      [[0, 128, 128], [0, 0, 0]],
      [[255, 128, 128], [255, 255, 255]],
      [[76, 85, 255], [254, 0, 0]], // red
      [[150, 44, 21], [0, 255, 1]], // green
      [[29, 255, 107], [0, 0, 254]], // blue
      [[255, 0, 255], [255, 208, 28]], // R clamped at 255
      [[0, 255, 0], [0, 48, 225]], // R clamped at 0
      [[200, 100, 180], [255, 173, 150]],
    ];
    const out = convert(table.flatMap(([ycc]) => ycc), table.length, 1);
    table.forEach(([ycc, rgb], i) => expect(out.slice(3 * i, 3 * i + 3), `YCbCr ${ycc}`).toEqual(rgb));
  });

  it('every (Cb, Cr) pair at Y = 0, 128, 255: the fixed-point formulas exactly, the float equations within one level', () => {
    for (const y of [0, 128, 255]) {
      const ycc = new Uint8Array(256 * 256 * 3);
      for (let i = 0; i < 256 * 256; i++) ycc.set([y, i >> 8, i & 255], 3 * i);
      const out = convert(ycc, 256, 256);
      const want: number[] = [];
      let worst = 0;
      for (let i = 0; i < 256 * 256; i++) {
        const [cb, cr] = [i >> 8, i & 255];
        want.push(...libjpeg(y, cb, cr));
        const float = [y + 1.402 * (cr - 128), y - 0.34414 * (cb - 128) - 0.71414 * (cr - 128), y + 1.772 * (cb - 128)].map(clamp);
        for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out[3 * i + c] - float[c]));
      }
      expect(out).toEqual(want);
      expect(worst).toBeLessThanOrEqual(1);
    }
  });
});

/**
 * An image of constant Y = 128 and Cb = 128 whose Cr plane is `samples` (rows of the subsampled
 * plane) as jpeg-js delivers it: full-resolution pixel (x, y) holds sample (⌊x/sx⌋, ⌊y/sy⌋).
 * With Cb = 128 the red channel is `128 + crToR(Cr)`, so it shows the upsampled Cr plane.
 */
function nearestCr(samples: number[][], width: number, height: number, sx: number, sy: number): Uint8Array {
  const ycc = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) ycc.set([128, 128, samples[Math.floor(y / sy)][Math.floor(x / sx)]], 3 * (y * width + x));
  }
  return ycc;
}

/** The red channel of the conversion (and a check that B, which reads only Cb = 128, stayed 128). */
function red(ycc: Uint8Array, width: number, height: number, factors: [number, number][]): number[][] {
  const out = convert(ycc, width, height, factors);
  expect(out.filter((_, i) => i % 3 === 2).every((b) => b === 128)).toBe(true);
  return Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => out[3 * (y * width + x)]));
}

const redOf = (cr: number[][]) => cr.map((row) => row.map((c) => clamp(128 + crToR(c))));

describe('libjpegYccToRgb: fancy chroma upsampling (jdsample.c)', () => {
  it('4:2:2 (h2v1): 3/4·near + 1/4·neighbour, rounding 1 then 2, edges copied', () => {
    // samples 100 140 180 120 → 100, (3·100+140+2)>>2 = 110, (3·140+100+1)>>2 = 130, (3·140+180+2)>>2 = 150,
    // (3·180+140+1)>>2 = 170, (3·180+120+2)>>2 = 165, (3·120+180+1)>>2 = 135, 120
    const samples = [[100, 140, 180, 120], [60, 60, 200, 200]];
    const want = [[100, 110, 130, 150, 170, 165, 135, 120], [60, 60, 60, 95, 165, 200, 200, 200]];
    expect(red(nearestCr(samples, 8, 2, 2, 1), 8, 2, [[1, 1], [2, 1], [2, 1]])).toEqual(redOf(want));
  });

  it('4:2:0 (h2v2): column sums 3·near + far, then (3·c + neighbour + 8 or 7) >> 4; edge rows replicated', () => {
    // Plane rows a = [96, 160, 64], b = [200, 40, 120]. Output rows 0..3 read (near, far) = (a, a), (a, b), (b, a), (b, b).
    // Row 1: c = 3a + b = [488, 520, 312] → (4·488+8)>>4 = 122, (3·488+520+7)>>4 = 124, (3·520+488+8)>>4 = 128,
    // (3·520+312+7)>>4 = 117, (3·312+520+8)>>4 = 91, (4·312+7)>>4 = 78.
    const samples = [[96, 160, 64], [200, 40, 120]];
    const want = [[96, 112, 144, 136, 88, 64], [122, 124, 128, 117, 91, 78], [174, 148, 96, 79, 97, 106], [200, 160, 80, 60, 100, 120]];
    expect(red(nearestCr(samples, 6, 4, 2, 2), 6, 4, [[1, 1], [2, 2], [2, 2]])).toEqual(redOf(want));
  });

  it('4:4:0 (h1v2): (3·near + far + 1 or 2) >> 2 down each column', () => {
    // rows [40, 200] and [120, 0]: y0 = (3·40+40+1)>>2 = 40, (3·200+200+1)>>2 = 200; y1 = (3·40+120+2)>>2 = 60, (3·200+0+2)>>2 = 150;
    // y2 = (3·120+40+1)>>2 = 100, (3·0+200+1)>>2 = 50; y3 = 120, 0
    const samples = [[40, 200], [120, 0]];
    const want = [[40, 200], [60, 150], [100, 50], [120, 0]];
    expect(red(nearestCr(samples, 2, 4, 1, 2), 2, 4, [[1, 1], [1, 2], [1, 2]])).toEqual(redOf(want));
  });

  it('falls back to replication for planes at most 2 samples wide and for other factors (jpeg-js output kept)', () => {
    const narrow = [[100, 180]]; // 4 pixels wide at sx = 2: a 2-sample plane
    expect(red(nearestCr(narrow, 4, 1, 2, 1), 4, 1, [[1, 1], [2, 1], [2, 1]])).toEqual(redOf([[100, 100, 180, 180]]));
    const wide = [[100, 180, 20]]; // sx = 3 is not a fancy factor
    expect(red(nearestCr(wide, 9, 1, 3, 1), 9, 1, [[1, 1], [3, 1], [3, 1]])).toEqual(redOf([[100, 100, 100, 180, 180, 180, 20, 20, 20]]));
  });

  it('an odd width keeps the samples of the partial last block (the plane is ⌈width / 2⌉ wide)', () => {
    // width 7 at sx = 2: 4 samples, output columns 0..6 of the 8 the filter makes
    const samples = [[100, 140, 180, 120]];
    expect(red(nearestCr(samples, 7, 1, 2, 1), 7, 1, [[1, 1], [2, 1], [2, 1]])).toEqual(redOf([[100, 110, 130, 150, 170, 165, 135]]));
  });
});

describe('libjpegYccToRgb: bad arguments', () => {
  const ok = () => new Uint8Array(12);
  const cases: [string, () => void, RegExp][] = [
    ['a zero width', () => libjpegYccToRgb(ok(), 0, 4, NONE), /'width' and 'height' must be positive integers, got 0x4/],
    ['a fractional height', () => libjpegYccToRgb(ok(), 2, 1.5, NONE), /got 2x1\.5/],
    ['a buffer of the wrong length', () => libjpegYccToRgb(new Uint8Array(11), 2, 2, NONE), /'ycc' must be a Uint8Array of width·height·3 = 12 bytes, got 11 bytes/],
    ['a plain array', () => libjpegYccToRgb([0, 0, 0] as never, 1, 1, NONE), /'ycc' must be a Uint8Array .* got object/],
    ['two factor pairs', () => libjpegYccToRgb(ok(), 2, 2, [[1, 1], [2, 2]]), /'factors' must be 3 \[sx, sy\] pairs of positive integers/],
    ['a zero factor', () => libjpegYccToRgb(ok(), 2, 2, [[1, 1], [0, 1], [2, 1]]), /'factors'/],
    ['a fractional factor', () => libjpegYccToRgb(ok(), 2, 2, [[1, 1], [1.5, 1], [1.5, 1]]), /\[1\.5,1\]/],
  ];
  for (const [what, call, msg] of cases) {
    it(`rejects ${what} with a ValueError naming the argument`, () => {
      expect(call).toThrow(ValueError);
      expect(call).toThrow(msg);
    });
  }

  it('a rejected call leaves the buffer as it was', () => {
    const buf = Uint8Array.from({ length: 12 }, (_, i) => 20 * i);
    expect(() => libjpegYccToRgb(buf, 2, 2, [[1, 1], [2, 2]])).toThrow(ValueError);
    expect(Array.from(buf)).toEqual(Array.from({ length: 12 }, (_, i) => 20 * i));
  });
});
