/**
 * Fuzz: the CSV and NPY series readers (issue #12). Valid files and their mutations, random text
 * and random bytes after the NPY magic: parseCsvSeries / parseNpy return T·C values or throw an
 * InternS1Error, within the per-input limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsvSeries, parseNpy } from '../../src/cli/commands/preprocess-series.js';
import { mutated, outcome, randomBytes, runs } from './support.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function npy(descr: string, shape: number[], values: number[], major = 1): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = major === 1 ? 10 : 12;
  header += ' '.repeat((64 - ((pre + header.length + 1) % 64)) % 64) + '\n';
  const item = descr === '<f4' ? 4 : 8;
  const out = new Uint8Array(pre + header.length + values.length * item);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  out.set(enc.encode(header), pre);
  values.forEach((x, i) => (item === 4 ? v.setFloat32(pre + header.length + 4 * i, x, true) : v.setFloat64(pre + header.length + 8 * i, x, true)));
  return out;
}

const csvs = ['time,value\n0,1.5\n1,-2\n2,3e4\n', '1,2,3\n4,5,6\n', '# comment\n\n1\t2\n3\t4\n', 'a;b\nnan;inf\n1;2\n', '0.5\n'].map((t) => enc.encode(t));
const npys = [npy('<f8', [3], [1, 2, 3]), npy('<f4', [2, 2], [1, 2, 3, 4]), npy('<f8', [2, 1], [5, 6], 2), npy('<f4', [0], [], 3)];

function checked(r: ReturnType<typeof outcome>): void {
  if (r.ok) {
    const s = r.value as { data: Float64Array; T: number; C: number };
    expect(s.data.length).toBe(s.T * s.C);
  }
}

describe('fuzz: series readers', () => {
  it('the valid files read', () => {
    for (const c of csvs) expect(outcome('csv', () => parseCsvSeries(dec.decode(c))).ok).toBe(true);
    for (const n of npys) expect(outcome('npy', () => parseNpy(n)).ok).toBe(true);
  });

  it('mutated and random CSV text: values or an InternS1Error', () => {
    const arb = fc.oneof(mutated(csvs).map((b) => dec.decode(b)), fc.string({ maxLength: 200 }), fc.array(fc.constantFrom('1', '-2.5', 'x', '', ',', ';', '\t', '\n', 'nan', '1e400', ' '), { maxLength: 60 }).map((p) => p.join('')));
    fc.assert(fc.property(arb, (text) => checked(outcome('parseCsvSeries', () => parseCsvSeries(text, 'fuzz.csv')))), { numRuns: runs(300) });
  });

  it('mutated NPY files and random bytes after the magic: values or an InternS1Error', () => {
    const arb = fc.oneof(mutated(npys), randomBytes([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]), randomBytes([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]));
    fc.assert(fc.property(arb, (bytes) => checked(outcome('parseNpy', () => parseNpy(bytes, 'fuzz.npy')))), { numRuns: runs(300) });
  });
});
