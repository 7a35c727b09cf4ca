/**
 * Loaders for the image fixtures made by test/fixtures/images/make_fixtures.py (Pillow, torch,
 * numpy; never by the code under test).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { RgbImage } from '../../src/image/types.js';
import { mulberry32 } from '../support/arbitraries.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/images');

export interface Manifest {
  sources: Record<string, { width: number; height: number; mode: string }>;
  resize: { src: string; method: 'pil' | 'torch'; width: number; height: number; file: string }[];
  tiles: {
    case: string; tileSize: number; minTiles: number; maxTiles: number; useThumbnail: boolean;
    cols: number; rows: number; tiles: number; shape: number[]; file: string;
    src?: string; pixelsFile?: string; width?: number; height?: number;
  }[];
  grids: { width: number; height: number; tileSize: number; minTiles: number; maxTiles: number; internvl: [number, number]; gotocr2: [number, number] }[];
  candidateOrder: Record<string, [number, number][]>;
  smartResize: { height: number; width: number; factor: number; minPixels: number; maxPixels: number; out: [number, number] | 'error' }[];
  pyRound: { x: number; round: number }[];
  pro: {
    case: string; frames: number; width: number; height: number; framesFile: string; patchSize: number; mergeSize: number;
    temporalPatchSize: number; minPixels: number; maxPixels: number; resizedHeight: number; resizedWidth: number;
    gridThw: [number, number, number]; shape: [number, number]; file: string;
  }[];
}

export const manifest: Manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));

/** Raw bytes of a file under test/fixtures/images/. */
export function fixtureBytes(rel: string): Buffer {
  return readFileSync(path.join(FIXTURES, rel));
}

/** A float32 little-endian fixture as a Float32Array. */
export function fixtureFloats(rel: string): Float32Array {
  const b = fixtureBytes(rel);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** A source image as Pillow decoded it (`Image.open(f).convert('RGB')`). */
export function pilDecoded(name: string): RgbImage {
  const s = manifest.sources[name];
  return { width: s.width, height: s.height, data: new Uint8Array(fixtureBytes(`expected/decoded_${name}.bin`)) };
}

/** Planar `[3, H, W]` from interleaved RGB (to compare with the library's planar outputs). */
export function hwcToChw(data: ArrayLike<number>, width: number, height: number): Float64Array {
  const out = new Float64Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) out[(c * height + y) * width + x] = data[(y * width + x) * 3 + c];
  }
  return out;
}

/** A random RGB image of the given size, filled from one generated seed. */
export function randomImage(width: number, height: number, seed: number): RgbImage {
  const rand = mulberry32(seed);
  const data = new Uint8Array(width * height * 3);
  // Mix smooth ramps, hard 0/255 edges and noise so resizes over- and undershoot.
  for (let i = 0; i < data.length; i++) {
    const r = rand();
    data[i] = r < 0.2 ? 0 : r < 0.4 ? 255 : Math.floor(rand() * 256);
  }
  return { width, height, data };
}

/** An arbitrary small random image (sides in [minSide, maxSide]). */
export function imageArb(minSide = 1, maxSide = 60): fc.Arbitrary<RgbImage> {
  return fc
    .record({ w: fc.integer({ min: minSide, max: maxSide }), h: fc.integer({ min: minSide, max: maxSide }), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }) })
    .map(({ w, h, seed }) => randomImage(w, h, seed));
}

/** Count of elements that differ and the largest difference. */
export function diffStats(a: ArrayLike<number>, b: ArrayLike<number>): { count: number; max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`diffStats: lengths ${a.length} != ${b.length}`);
  let count = 0;
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d !== 0) count++;
    max = Math.max(max, d);
    sum += d;
  }
  return { count, max, mean: sum / Math.max(1, a.length) };
}
