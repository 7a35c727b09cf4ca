/**
 * Fuzz: the PNG and JPEG decoders (issue #12). The fixture files (every PNG colour type and depth,
 * interlaced, palette, tRNS; baseline, 4:4:4 and progressive JPEG), hand-built flat JPEGs and their
 * mutations (including size fields set huge), and random bytes after each magic number: decodeImage
 * returns an image of the size it says or throws an InternS1Error, within the per-input limit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { FIXTURES } from '../image/fixtures.js';
import { flatJpeg, png } from '../support/images.js';
import { mutated, outcome, randomBytes, runs } from './support.js';

const dir = path.join(FIXTURES, 'src');
const files = readdirSync(dir).sort().map((f) => new Uint8Array(readFileSync(path.join(dir, f))));
const built = [flatJpeg(24, 16), flatJpeg(9, 9, 1), png(5, 4), png(3, 2, { colorType: 0 })];
const valid = [...files, ...built];

function decodeChecked(bytes: Uint8Array): void {
  const r = outcome('decodeImage', () => decodeImage(bytes, { maxPixels: 4_000_000 }));
  if (r.ok) {
    const img = r.value as { width: number; height: number; data: Uint8Array };
    expect(img.data.length).toBe(img.width * img.height * 3);
  }
}

describe('fuzz: image decoders', () => {
  it('the fixtures and built files decode', () => {
    for (const v of valid) expect(outcome('valid image', () => decodeImage(v)).ok).toBe(true);
  });

  it('mutated PNG and JPEG files: an image or an InternS1Error', () => {
    fc.assert(fc.property(mutated(valid), decodeChecked), { numRuns: runs(300) });
  });

  it('random bytes after a PNG or JPEG magic number: an image or an InternS1Error', () => {
    const arb = fc.oneof(randomBytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes([0xff, 0xd8, 0xff]), randomBytes());
    fc.assert(fc.property(arb, decodeChecked), { numRuns: runs(200) });
  });
});
