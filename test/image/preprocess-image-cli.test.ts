/**
 * `intern-s1 preprocess-image`: writes the same tensors as the library calls (read back with the
 * safetensors reader), prints the grid, and turns bad input into one-line errors with exit codes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { readImage } from '../../src/image/decode.js';
import { preprocessProImage } from '../../src/image/pro.js';
import { tileImage } from '../../src/image/tiling.js';
import { typedValues } from '../../src/io/dtype.js';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import { FIXTURES } from './fixtures.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});


const cli = (...args: string[]) => runCli([...args, '--backend', 'cpu']);

function tensor(file: string, name: string): { shape: number[]; values: number[] } {
  const f = SafetensorsFile.fromBytes(new Uint8Array(readFileSync(file)));
  const e = f.entry(name);
  return { shape: e.shape.slice(), values: Array.from(typedValues(e.dtype, f.read(name)) as ArrayLike<number | bigint>, Number) };
}

const photo = path.join(FIXTURES, 'src/photo.jpg');

describe('intern-s1 preprocess-image', () => {
  it('s1: writes the tiles tileImage makes and prints the grid', async () => {
    const out = path.join(tmp, 's1.safetensors');
    const r = await cli('preprocess-image', photo, '--output', out, '--tile-size', '16', '--max-tiles', '4');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('40x30 -> grid 2x2 + thumbnail = 5 tiles of 16x16');
    const t = tensor(out, 'pixel_values');
    const want = tileImage(readImage(photo), { tileSize: 16, maxTiles: 4 }).pixelValues;
    expect(t.shape).toEqual([5, 3, 16, 16]);
    expect(t.values).toEqual(Array.from(want.dataSync()));
    want.dispose();
  });

  it('pro: writes pixel_values and image_grid_thw (I64) and reports the token count', async () => {
    const out = path.join(tmp, 'pro.safetensors');
    const cfg = path.join(tmp, 'preprocessor_config.json');
    writeFileSync(cfg, JSON.stringify({ size: { shortest_edge: 4096, longest_edge: 16384 }, patch_size: 16, merge_size: 2, temporal_patch_size: 2 }));
    const r = await cli('preprocess-image', photo, '-o', out, '--variant', 'pro', '--config', cfg, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const want = preprocessProImage(readImage(photo), { minPixels: 4096, maxPixels: 16384 });
    expect(j).toMatchObject({ variant: 'pro', image: '40x30', image_grid_thw: want.gridThw, pixel_values: want.pixelValues.shape });
    expect(j.tokens).toBe((want.gridThw[1] * want.gridThw[2]) / 4);
    expect(tensor(out, 'image_grid_thw')).toEqual({ shape: [1, 3], values: want.gridThw });
    expect(tensor(out, 'pixel_values').values).toEqual(Array.from(want.pixelValues.dataSync()));
    want.pixelValues.dispose();
  });

  it('turns bad input into one-line errors with exit codes', async () => {
    const out = path.join(tmp, 'x.safetensors');
    expect((await cli('preprocess-image', photo)).err).toMatch(/needs --output/);
    expect((await cli('preprocess-image', photo, '-o', out, '--variant', 'v2')).code).toBe(2);
    expect((await cli('preprocess-image', photo, '-o', out, '--max-tiles', 'many')).err).toMatch(/--max-tiles must be a positive integer/);
    const missing = await cli('preprocess-image', path.join(tmp, 'nope.png'), '-o', out);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^intern-s1: readImage: cannot read .*nope\.png': ENOENT\n$/);
    const bad = path.join(tmp, 'bad.png');
    writeFileSync(bad, 'GIF89a');
    expect((await cli('preprocess-image', bad, '-o', out)).err).toMatch(/GIF images are not supported/);
  });
});
