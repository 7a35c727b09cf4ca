/**
 * Decoding: every PNG fixture equals Pillow's `Image.open(f).convert('RGB')` exactly (alpha
 * dropped, palette / greyscale / 16-bit / tRNS / interlaced); JPEG within 3 levels and a mean
 * |Δ| ≤ 0.25 of Pillow (jpeg-js's IDCT is not libjpeg-turbo's; chroma upsampling and colour
 * conversion are libjpeg's); every truncation and corruption gives an ImageDecodeError.
 */
import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { decodeImage, detectImageFormat, ImageDecodeError, readImage } from '../../src/image/decode.js';
import { diffStats, FIXTURES, fixtureBytes, manifest } from './fixtures.js';
import { runs } from '../support/runs.js';

const names = Object.keys(manifest.sources);
const pngs = names.filter((n) => n.endsWith('.png'));
const jpegs = names.filter((n) => n.endsWith('.jpg'));
const expected = (name: string) => fixtureBytes(`expected/decoded_${name}.bin`);

/** CRC-32 (PNG chunks), written out here so crafted files do not depend on the code under test. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG whose IHDR declares `w × h` (the IDAT is a valid stream for a 1x1 RGB image). */
function pngDeclaring(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01])), chunk('IEND', new Uint8Array(0))]);
}

/** The 16-bit samples of a non-interlaced, filter-0 PNG (as make_fixtures.py writes them), parsed here. */
function raw16(file: Buffer): number[] {
  const idat: Buffer[] = [];
  let width = 0;
  let channels = 0;
  for (let off = 8; off < file.length;) {
    const len = file.readUInt32BE(off);
    const type = file.toString('latin1', off + 4, off + 8);
    if (type === 'IHDR') {
      width = file.readUInt32BE(off + 8);
      channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[file[off + 17]] as number;
    }
    if (type === 'IDAT') idat.push(file.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = 1 + width * channels * 2;
  const out: number[] = [];
  for (let r = 0; r * stride < raw.length; r++) {
    for (let i = 0; i < width * channels; i++) out.push(raw.readUInt16BE(r * stride + 1 + 2 * i));
  }
  return out;
}

describe('decodeImage vs Pillow', () => {
  for (const name of pngs) {
    it(`${name} (${manifest.sources[name].mode}) decodes exactly as Pillow convert('RGB')`, () => {
      const opts = name === 'grey16.png' ? { grey16: 'pil-clip' as const } : {};
      const img = decodeImage(fixtureBytes(`src/${name}`), opts);
      expect([img.format, img.width, img.height]).toEqual(['png', manifest.sources[name].width, manifest.sources[name].height]);
      expect(diffStats(img.data, expected(name)).count).toBe(0);
    });
  }

  it('16-bit greyscale keeps the high byte by default (Pillow would clip the raw value to 255)', () => {
    const file = fixtureBytes('src/grey16.png');
    const want = raw16(file).flatMap((v) => [v >> 8, v >> 8, v >> 8]);
    expect(Array.from(decodeImage(file).data)).toEqual(want);
    const pil = Array.from(expected('grey16.png'));
    expect(pil).toEqual(raw16(file).flatMap((v) => Array(3).fill(Math.min(v, 255)))); // what Pillow does, for the record
  });

  it('16-bit RGB and RGBA keep the high byte of each sample, like Pillow', () => {
    for (const [name, ch] of [['rgb16.png', 3], ['rgba16.png', 4]] as const) {
      const samples = raw16(fixtureBytes(`src/${name}`));
      const want = samples.filter((_, i) => i % ch < 3).map((v) => v >> 8);
      expect(Array.from(decodeImage(fixtureBytes(`src/${name}`)).data), name).toEqual(want);
    }
  });

  for (const name of jpegs) {
    it(`${name} is within 3 levels of Pillow/libjpeg-turbo, mean |Δ| <= 0.25`, () => {
      const img = decodeImage(fixtureBytes(`src/${name}`));
      expect([img.format, img.width, img.height]).toEqual(['jpeg', manifest.sources[name].width, manifest.sources[name].height]);
      const d = diffStats(img.data, expected(name));
      expect(d.max).toBeLessThanOrEqual(3);
      expect(d.mean).toBeLessThanOrEqual(0.25);
    });
  }

  it('readImage reads a file like decodeImage; a missing file is a ValueError naming it', () => {
    const img = readImage(`${FIXTURES}/src/rgb8.png`);
    expect(Array.from(img.data)).toEqual(Array.from(expected('rgb8.png')));
    expect(() => readImage(`${FIXTURES}/src/nope.png`)).toThrow(/readImage: cannot read '.*nope\.png': ENOENT/);
  });
});

describe('decodeImage rejects bad input with ImageDecodeError', () => {
  const rgb8 = fixtureBytes('src/rgb8.png');
  const photo = fixtureBytes('src/photo.jpg');

  it('detects formats by magic bytes', () => {
    expect(detectImageFormat(rgb8)).toBe('png');
    expect(detectImageFormat(photo)).toBe('jpeg');
    expect(detectImageFormat(Buffer.from('GIF89a...'))).toBeUndefined();
  });

  const unsupported: [string, Buffer, RegExp][] = [
    ['GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), /GIF images are not supported/],
    ['BMP', Buffer.from('BM\x3a\x00\x00\x00', 'latin1'), /BMP images are not supported/],
    ['WebP', Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'), /WebP images are not supported/],
    ['TIFF', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), /TIFF images are not supported/],
    ['text', Buffer.from('hello world'), /not a PNG or JPEG file \(first bytes: 68 65 6c 6c 6f 20 77 6f\)/],
    ['an empty buffer', Buffer.alloc(0), /empty \(0 bytes\)/],
  ];
  for (const [what, bytes, msg] of unsupported) {
    it(`rejects ${what}`, () => {
      expect(() => decodeImage(bytes)).toThrow(ImageDecodeError);
      expect(() => decodeImage(bytes)).toThrow(msg);
    });
  }

  it('rejects a non-byte argument with a ValueError', () => {
    expect(() => decodeImage('x.png' as never)).toThrow(ValueError);
  });

  it('every truncation of a PNG and of a JPEG is an ImageDecodeError', () => {
    for (const file of [rgb8, fixtureBytes('src/interlaced.png'), photo, fixtureBytes('src/progressive.jpg')]) {
      for (let n = 1; n < file.length; n++) {
        let err: unknown;
        try {
          decodeImage(file.subarray(0, n));
        } catch (e) {
          err = e;
        }
        expect(err, `cut at ${n} of ${file.length}`).toBeInstanceOf(ImageDecodeError);
      }
    }
  });

  it('says where a PNG is truncated', () => {
    expect(() => decodeImage(rgb8.subarray(0, 100))).toThrow(/PNG is truncated: chunk 'IDAT' at byte 33 needs \d+ bytes, only 67 remain/);
  });

  it('any single flipped byte of a PNG is caught (signature, structure or CRC)', () => {
    for (let i = 0; i < rgb8.length; i++) {
      const b = Buffer.from(rgb8);
      b[i] ^= 0x5a;
      expect(() => decodeImage(b), `flip at ${i}`).toThrow(ImageDecodeError);
    }
  });

  it('a corrupted JPEG either decodes to the declared size or throws ImageDecodeError, never anything else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: photo.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const b = Buffer.from(photo);
        b[at] ^= x;
        try {
          const img = decodeImage(b);
          expect(img.data.length).toBe(img.width * img.height * 3);
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(ImageDecodeError);
        }
      }),
      { numRuns: runs(200) },
    );
  });

  it('rejects zero-size images', () => {
    expect(() => decodeImage(pngDeclaring(0, 5))).toThrow(/PNG declares a zero-size image \(0x5\)/);
    const j = Buffer.from(photo);
    const sof = j.indexOf(Buffer.from([0xff, 0xc0]));
    j.writeUInt16BE(0, sof + 5); // height 0
    expect(() => decodeImage(j)).toThrow(/JPEG declares a zero-size image \(40x0\)/);
  });

  it('refuses absurd sizes before decoding (100 MP default, or maxPixels)', () => {
    expect(() => decodeImage(pngDeclaring(20000, 20000))).toThrow(/20000x20000 = 400000000 pixels, over the limit of 100000000/);
    expect(() => decodeImage(photo, { maxPixels: 1000 })).toThrow(/JPEG is 40x30 = 1200 pixels, over the limit of 1000/);
    const j = Buffer.from(photo);
    const sof = j.indexOf(Buffer.from([0xff, 0xc0]));
    j.writeUInt16BE(65535, sof + 5);
    j.writeUInt16BE(65535, sof + 7);
    expect(() => decodeImage(j)).toThrow(/65535x65535/);
  });

  it('rejects a PNG whose pixels do not match its header, and a bad bit depth', () => {
    expect(() => decodeImage(pngDeclaring(3, 2))).toThrow(ImageDecodeError); // 1x1 pixel stream for 3x2
    const bad = pngDeclaring(1, 1);
    bad[24] = 7; // bit depth 7
    expect(() => decodeImage(bad)).toThrow(/bit depth 7 with colour type 2 is invalid/);
  });

  it('names unsupported JPEG processes', () => {
    const j = Buffer.from(photo);
    const sof = j.indexOf(Buffer.from([0xff, 0xc0]));
    j[sof + 1] = 0xc3;
    expect(() => decodeImage(j)).toThrow(/unsupported JPEG process \(SOF3/);
    const k = Buffer.from(photo);
    k[sof + 4] = 12;
    expect(() => decodeImage(k)).toThrow(/unsupported 12-bit JPEG/);
  });
});
