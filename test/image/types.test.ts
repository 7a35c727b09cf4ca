/**
 * The RgbImage type and the argument checks every image function shares (src/image/types.ts):
 * rgbImage / checkRgbImage accept well-formed images and reject each malformed part with a
 * ValueError naming the op and the argument; checkOutputSize enforces the pixel limit;
 * checkResizeMethod accepts 'pil' / 'torch' (default 'pil') and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { checkOutputSize, checkResizeMethod, checkRgbImage, MAX_IMAGE_PIXELS, rgbImage } from '../../src/image/types.js';

describe('rgbImage', () => {
  it('builds a validated image and rejects inconsistent data', () => {
    expect(rgbImage(2, 1, new Uint8Array(6)).width).toBe(2);
    expect(() => rgbImage(2, 2, new Uint8Array(6))).toThrow(/6 bytes but 2x2 RGB needs 12/);
    expect(() => rgbImage(-1, 2, new Uint8Array(0))).toThrow(ValueError);
  });

  it('keeps the bytes it was given (no copy) and names itself in errors', () => {
    const data = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255]);
    const img = rgbImage(3, 1, data);
    expect([img.width, img.height]).toEqual([3, 1]);
    expect(img.data).toBe(data);
    expect(() => rgbImage(3, 2, data)).toThrow(/^rgbImage: 'image\.data' has 9 bytes but 3x2 RGB needs 18$/);
  });
});

describe('checkRgbImage', () => {
  it('accepts well-formed images: a Buffer (a Uint8Array), a 1x1 image, extra fields', () => {
    expect(() => checkRgbImage('op', 'img', { width: 1, height: 1, data: new Uint8Array(3) })).not.toThrow();
    expect(() => checkRgbImage('op', 'img', { width: 2, height: 3, data: Buffer.alloc(18) })).not.toThrow();
    expect(() => checkRgbImage('op', 'img', { width: 1, height: 2, data: new Uint8Array(6), format: 'png' })).not.toThrow();
  });

  const bad: [string, unknown, RegExp][] = [
    ['null', null, /^op: 'img' must be an RgbImage \{width, height, data\}, got null$/],
    ['a string', 'cat.png', /'img' must be an RgbImage .* got string$/],
    ['a number', 7, /got number$/],
    ['a zero width', { width: 0, height: 2, data: new Uint8Array(0) }, /^op: 'img' has size 0x2; width and height must be integers >= 1$/],
    ['a negative height', { width: 2, height: -1, data: new Uint8Array(0) }, /size 2x-1/],
    ['a fractional width', { width: 1.5, height: 2, data: new Uint8Array(9) }, /size 1\.5x2/],
    ['a NaN height', { width: 2, height: NaN, data: new Uint8Array(0) }, /size 2xNaN/],
    ['missing sizes', { data: new Uint8Array(3) }, /size undefinedxundefined/],
    ['a plain array of bytes', { width: 1, height: 1, data: [1, 2, 3] }, /^op: 'img\.data' must be a Uint8Array of RGB bytes$/],
    ['a Uint8ClampedArray', { width: 1, height: 1, data: new Uint8ClampedArray(3) }, /'img\.data' must be a Uint8Array/],
    ['a Float32Array', { width: 1, height: 1, data: new Float32Array(3) }, /'img\.data' must be a Uint8Array/],
    ['RGBA bytes', { width: 2, height: 1, data: new Uint8Array(8) }, /^op: 'img\.data' has 8 bytes but 2x1 RGB needs 6$/],
    ['too few bytes', { width: 2, height: 2, data: new Uint8Array(11) }, /11 bytes but 2x2 RGB needs 12/],
  ];
  for (const [what, img, msg] of bad) {
    it(`rejects ${what} with a ValueError naming op and argument`, () => {
      expect(() => checkRgbImage('op', 'img', img)).toThrow(ValueError);
      expect(() => checkRgbImage('op', 'img', img)).toThrow(msg);
    });
  }
});

describe('checkOutputSize', () => {
  it('accepts sizes up to the limit (default MAX_IMAGE_PIXELS = 100 MP) and rejects one pixel row more', () => {
    expect(MAX_IMAGE_PIXELS).toBe(100_000_000);
    expect(() => checkOutputSize('resize', 10000, 10000)).not.toThrow();
    expect(() => checkOutputSize('resize', 10001, 10000)).toThrow(ValueError);
    expect(() => checkOutputSize('resize', 10001, 10000)).toThrow(/^resize: output 10001x10000 \(100010000 pixels\) exceeds the limit of 100000000 pixels$/);
  });

  it('honours a custom limit exactly', () => {
    expect(() => checkOutputSize('tile', 4, 5, 20)).not.toThrow();
    expect(() => checkOutputSize('tile', 3, 7, 20)).toThrow(/^tile: output 3x7 \(21 pixels\) exceeds the limit of 20 pixels$/);
  });
});

describe('checkResizeMethod', () => {
  it("defaults to 'pil' and returns 'pil' or 'torch' as given", () => {
    expect(checkResizeMethod('op', undefined)).toBe('pil');
    expect(checkResizeMethod('op', 'pil')).toBe('pil');
    expect(checkResizeMethod('op', 'torch')).toBe('torch');
  });

  for (const m of ['bicubic', 'PIL', '', null, 1]) {
    it(`rejects ${JSON.stringify(m)} with a ValueError naming 'method'`, () => {
      expect(() => checkResizeMethod('resizeImage', m)).toThrow(ValueError);
      expect(() => checkResizeMethod('resizeImage', m)).toThrow(new RegExp(`^resizeImage: 'method' must be 'pil' or 'torch', got ${String(m)}$`));
    });
  }
});
