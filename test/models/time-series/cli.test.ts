/**
 * `intern-s1 preprocess-series` (CSV and .npy readers, the written file, errors) and the
 * `time_series` component of `intern-s1 run` on a tiny Intern-S1-Pro checkpoint.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsvSeries, parseNpy } from '../../../src/cli/commands/preprocess-series.js';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { openCheckpoint } from '../../../src/io/checkpoint.js';
import { typedValues } from '../../../src/io/dtype.js';
import { SafetensorsFile } from '../../../src/io/safetensors.js';
import type { InternS1ProConfig } from '../../../src/io/config.js';
import { initBackend } from '../../../src/backend/index.js';
import { TimeSeriesModel, preprocessValues, timeSeriesTokenCount } from '../../../src/models/time-series/index.js';
import * as R from '../../../reference/models/time-series/index.js';
import { relErr } from './support.js';
import { runCli } from '../../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ts-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const cli = (...args: string[]) => runCli(args);

/** A .npy file: header dict padded so the data starts at a multiple of 64 (numpy's layout). */
function npy(descr: string, shape: number[], values: number[], o: { version?: 1 | 2; fortran?: boolean; cut?: number } = {}): Uint8Array {
  const v = o.version ?? 1;
  const dict = `{'descr': '${descr}', 'fortran_order': ${o.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = v === 1 ? 10 : 12;
  const len = Math.ceil((pre + dict.length + 1) / 64) * 64 - pre;
  const header = dict.padEnd(len - 1, ' ') + '\n';
  const item = /[fi]8/.test(descr) ? 8 : /[fi]4/.test(descr) ? 4 : 2;
  const out = new Uint8Array(pre + len + values.length * item - (o.cut ?? 0));
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, v, 0]);
  const dv = new DataView(out.buffer);
  if (v === 1) dv.setUint16(8, len, true);
  else dv.setUint32(8, len, true);
  out.set(new TextEncoder().encode(header), pre);
  const big = descr.startsWith('>');
  values.forEach((x, i) => {
    const at = pre + len + i * item;
    if (at + item > out.length) return;
    if (item === 8) dv.setFloat64(at, x, !big);
    else if (item === 4) dv.setFloat32(at, x, !big);
  });
  return out;
}

describe('readers', () => {
  it('CSV: optional header, comma / tab / semicolon, blank lines and comments skipped', () => {
    const a = parseCsvSeries('time_a,time_b\n1,2\n\n# note\n3.5, -4e-1\n');
    expect([a.T, a.C, a.columns]).toEqual([2, 2, ['time_a', 'time_b']]);
    expect(Array.from(a.data)).toEqual([1, 2, 3.5, -0.4]);
    const b = parseCsvSeries('1\t2\t3\r\n4\t5\t6\r\n');
    expect([b.T, b.C, b.columns]).toEqual([2, 3, null]);
    const c = parseCsvSeries('1;2\n3;4');
    expect(Array.from(c.data)).toEqual([1, 2, 3, 4]);
    const d = parseCsvSeries('0.5\n1.5\n2.5');
    expect([d.T, d.C]).toEqual([3, 1]);
    // NaN / Inf spellings parse, so the processor can name the sample.
    expect(Array.from(parseCsvSeries('1,nan\n-inf,2').data)).toEqual([1, NaN, -Infinity, 2]);
  });
  it('CSV errors name the line and column', () => {
    expect(() => parseCsvSeries('1,2\n3\n', 'x.csv')).toThrow(ShapeError);
    expect(() => parseCsvSeries('1,2\n3\n', 'x.csv')).toThrow('x.csv: line 2 has 1 column(s), expected 2');
    expect(() => parseCsvSeries('1,2\n3,abc\n', 'x.csv')).toThrow(ValueError);
    expect(() => parseCsvSeries('1,2\n3,abc\n', 'x.csv')).toThrow("x.csv: line 2, column 2: 'abc' is not a number");
    expect(() => parseCsvSeries('1,2\n3,\n', 'x.csv')).toThrow(/line 2, column 2: empty field/);
    expect(() => parseCsvSeries('\n# only a comment\n', 'x.csv')).toThrow(/no data rows/);
    expect(() => parseCsvSeries('a,b\n', 'x.csv')).toThrow(/header row but no data rows/);
  });
  it('.npy: <f4 and <f8, 1-D and 2-D, format versions 1 and 2', () => {
    const a = parseNpy(npy('<f4', [3], [1.5, -2, 3]));
    expect([a.T, a.C, Array.from(a.data)]).toEqual([3, 1, [1.5, -2, 3]]);
    const b = parseNpy(npy('<f8', [2, 2], [0.1, 0.2, 0.3, 0.4], { version: 2 }));
    expect([b.T, b.C, Array.from(b.data)]).toEqual([2, 2, [0.1, 0.2, 0.3, 0.4]]);
  });
  it('.npy errors say what is unsupported and how to fix it', () => {
    expect(() => parseNpy(npy('>f8', [2], [1, 2]), 'x.npy')).toThrow(/dtype '>f8' is not supported.*big-endian/);
    expect(() => parseNpy(npy('<i4', [2], [1, 2]), 'x.npy')).toThrow(/dtype '<i4' is not supported/);
    expect(() => parseNpy(npy('<f8', [2, 2], [1, 2, 3, 4], { fortran: true }), 'x.npy')).toThrow(/Fortran-ordered/);
    expect(() => parseNpy(npy('<f4', [2, 2, 2], new Array(8).fill(0)), 'x.npy')).toThrow(/must be \(T,\) or \(T, C\)/);
    expect(() => parseNpy(npy('<f8', [4], [1, 2, 3, 4], { cut: 9 }), 'x.npy')).toThrow(/truncated data: shape \(4\) <f8 needs 32 bytes, the file has 23/);
    expect(() => parseNpy(new TextEncoder().encode('hello world'), 'x.npy')).toThrow(/bad magic/);
  });
});

describe('intern-s1 preprocess-series', () => {
  const csv = path.join(tmp, 'series.csv');
  const rows = Array.from({ length: 50 }, (_, t) => `${Math.sin(t / 3).toFixed(6)},${(t % 7) - 3},5`);
  beforeAll(() => writeFileSync(csv, `a,b,c\n${rows.join('\n')}\n`));

  it('writes the normalised signal and the rate, and prints T, C, stride, patch size and tokens', async () => {
    const out = path.join(tmp, 'series.safetensors');
    const r = await cli('preprocess-series', csv, '--rate', '100', '--output', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/T = 50, C = 3/);
    expect(r.out).toMatch(/sampling rate 100 Hz: stride 24, patch size 48, 2 patches/);
    expect(r.out).toMatch(/^1 <TS_CONTEXT> token$/m);
    expect(r.out).toMatch(/constant channel\(s\) 2 normalised to zeros/);
    const f = SafetensorsFile.open(out);
    expect(f.entry('signal')).toMatchObject({ dtype: 'F32', shape: [50, 3] });
    expect(f.entry('sampling_rate')).toMatchObject({ dtype: 'F64', shape: [] });
    expect(Array.from(typedValues('F64', f.read('sampling_rate')) as Float64Array)).toEqual([100]);
    const data = rows.flatMap((l) => l.split(',').map(Number));
    const expected = preprocessValues(data, 50, 3, 100).values;
    expect(Array.from(typedValues('F32', f.read('signal')) as Float32Array)).toEqual(Array.from(Float32Array.from(expected)));
    expect(f.metadata).toMatchObject({ stride: '24', patch_size: '48', num_tokens: '1', truncated: 'false' });
    f.close();
  });
  it('reads .npy, truncates to --max-samples, --rate auto, --json', async () => {
    const file = path.join(tmp, 'x.npy');
    writeFileSync(file, npy('<f8', [30], Array.from({ length: 30 }, (_, i) => i * i)));
    const r = await cli('preprocess-series', file, '--rate', 'auto', '--max-samples', '20', '-o', path.join(tmp, 'x.safetensors'), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ T: 20, C: 1, originalLength: 30, truncated: true, samplingRate: 5, stride: 2, patchSize: 4, tokens: timeSeriesTokenCount(20, 5) });
  });
  it('bad input: exit 2 for usage, 1 with one line for bad data', async () => {
    expect((await cli('preprocess-series', csv, '--output', path.join(tmp, 'o.safetensors'))).err).toMatch(/needs --rate HZ/);
    expect((await cli('preprocess-series', csv, '--rate', '0', '-o', path.join(tmp, 'o.safetensors'))).code).toBe(2);
    expect((await cli('preprocess-series', csv, '--rate', 'fast', '-o', path.join(tmp, 'o.safetensors'))).err).toMatch(/--rate must be a positive number/);
    expect((await cli('preprocess-series', path.join(tmp, 'x.wav'), '--rate', '5', '-o', path.join(tmp, 'o.safetensors'))).err).toMatch(/reads .csv.*and .npy/);
    const nan = path.join(tmp, 'nan.csv');
    writeFileSync(nan, '1,2\n3,nan\n');
    const r = await cli('preprocess-series', nan, '--rate', '5', '-o', path.join(tmp, 'o.safetensors'));
    expect(r).toMatchObject({ code: 1, err: expect.stringMatching(/non-finite sample NaN at \[1, 1\]/) });
    const long = await cli('preprocess-series', csv, '--rate', '5', '--max-samples', '10', '--overflow', 'error', '-o', path.join(tmp, 'o.safetensors'));
    expect(long).toMatchObject({ code: 1, err: expect.stringMatching(/50 samples, more than maxSamples = 10/) });
    expect((await cli('preprocess-series', csv, '--rate', '5', '--short', 'maybe', '-o', path.join(tmp, 'o.safetensors'))).code).toBe(2);
  });
});

describe('intern-s1 run --component time_series', () => {
  const tiny = path.join(tmp, 'tiny-pro');
  const series = path.join(tmp, 'run-series.safetensors');
  beforeAll(async () => {
    await initBackend('wasm');
    expect((await cli('init-tiny', tiny, '--variant', 'pro', '--seed', '3', '--vocab-size', '256')).code).toBe(0);
    const csv = path.join(tmp, 'run.csv');
    writeFileSync(csv, Array.from({ length: 120 }, (_, t) => `${Math.sin(t / 5)},${Math.cos(t / 9) * 3}`).join('\n'));
    expect((await cli('preprocess-series', csv, '--rate', '40', '-o', series)).code).toBe(0);
  });

  it('is listed, runs the fast path and the reference, and matches the model', async () => {
    const list = JSON.parse((await cli('run', '--list', '--json')).out) as { name: string; reference: boolean }[];
    expect(list.find((c) => c.name === 'time_series')?.reference).toBe(true);
    const out = path.join(tmp, 'ts.safetensors');
    const r = await cli('run', tiny, '--component', 'time_series', '--inputs', series, '--output', out, '--backend', 'wasm');
    expect(r.code, r.err).toBe(0);
    const f = SafetensorsFile.open(out);
    const n = timeSeriesTokenCount(120, 40);
    expect(f.entry('ts_features')).toMatchObject({ dtype: 'F32', shape: [n, 16] });
    const got = typedValues('F32', f.read('ts_features')) as Float32Array;
    f.close();
    const ckpt = openCheckpoint(tiny);
    const cfg = ckpt.config as InternS1ProConfig;
    const s = SafetensorsFile.open(series);
    const sig = tf.tensor2d(typedValues('F32', s.read('signal')) as Float32Array, [120, 2]);
    s.close();
    const model = TimeSeriesModel.fromWeights(cfg.ts_config!, ckpt.weights);
    const direct = model.forward(sig, 40).features;
    expect(Array.from(got)).toEqual(Array.from(direct.dataSync()));
    tf.dispose([sig, direct]);
    model.dispose();
    const refOut = path.join(tmp, 'ts-ref.safetensors');
    expect((await cli('run', tiny, '--component', 'time_series', '--inputs', series, '--output', refOut, '--impl', 'reference')).code).toBe(0);
    const g = SafetensorsFile.open(refOut);
    expect(relErr(got, typedValues('F32', g.read('ts_features')) as Float32Array)).toBeLessThanOrEqual(1e-4);
    g.close();
    expect(R.timeSeriesTokenCount(120, 40)).toBe(n);
  });
  it('a checkpoint without ts_config gets a clear error', async () => {
    const s1 = path.join(tmp, 'tiny-s1');
    expect((await cli('init-tiny', s1, '--variant', 'mini', '--seed', '1', '--vocab-size', '64')).code).toBe(0);
    const r = await cli('run', s1, '--component', 'time_series', '--inputs', series, '--output', path.join(tmp, 'no.safetensors'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/time_series: the checkpoint's config.json has no ts_config/);
  });
});
