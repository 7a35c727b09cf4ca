/**
 * Fuzz: the safetensors reader (issue #12). Valid files (every dtype, odd shapes, metadata) and
 * their mutations, and random bytes after a plausible length prefix: opening, listing, reading
 * the raw bytes and decoding every tensor to a tf.Tensor give a result or an InternS1Error, never
 * another exception, a hang or a leak.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { SafetensorsStore } from '../../src/io/checkpoint.js';
import { MappedWeights } from '../../src/io/mapped.js';
import { BufferReader, SafetensorsFile } from '../../src/io/safetensors.js';
import { serializeSafetensors } from '../../src/io/safetensors-write.js';
import { mutated, outcome, randomBytes, runs } from './support.js';

const valid = [
  serializeSafetensors({
    a: { dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
    b: { dtype: 'BF16', shape: [3], data: [1, -2, 0.5] },
    c: { dtype: 'I64', shape: [2], data: [1n, -3n] },
    d: { dtype: 'U8', shape: [0, 4], data: [] },
    e: { dtype: 'F8_E4M3', shape: [4], data: [0.5, 1, -2, 448] },
    f: { dtype: 'F16', shape: [1, 1, 2], data: [1, 2] },
  }, { format: 'pt', note: 'fuzz' }),
  serializeSafetensors({ w: { dtype: 'F64', shape: [2], data: [1e300, -1e-300] }, 'x.y.z': { dtype: 'I32', shape: [1], data: [7] } }),
  serializeSafetensors({}),
];

/** Open, list, read raw bytes, and decode every tensor (disposed) of `bytes`. */
function readAll(bytes: Uint8Array): void {
  const f = SafetensorsFile.fromBytes(bytes, 'fuzz.safetensors');
  for (const n of f.names()) f.read(n);
  const store = new SafetensorsStore('fuzz', ['/fuzz.safetensors'], undefined, () => new BufferReader(bytes));
  const w = new MappedWeights(store);
  for (const n of w.names()) {
    outcome(`tensor ${n}`, () => {
      const x = w.tensor(n);
      x.dispose();
      return x.shape;
    });
  }
  w.close();
}

describe('fuzz: safetensors reader', () => {
  it('the valid files read', () => {
    for (const v of valid) if (!outcome('valid file', () => readAll(v)).ok) throw new Error('a valid file was refused');
  });

  it('mutated files: a result or an InternS1Error', () => {
    fc.assert(fc.property(mutated(valid), (bytes) => {
      outcome('mutated safetensors', () => readAll(bytes));
    }), { numRuns: runs(300) });
  });

  it('random headers after an 8-byte length: a result or an InternS1Error', () => {
    const arb = fc.tuple(fc.nat({ max: 300 }), fc.string({ maxLength: 200 }), randomBytes([], 64)).map(([len, text, tail]) => {
      const json = new TextEncoder().encode(text);
      const out = new Uint8Array(8 + json.length + tail.length);
      new DataView(out.buffer).setBigUint64(0, BigInt(len), true);
      out.set(json, 8);
      out.set(tail, 8 + json.length);
      return out;
    });
    const jsonArb = fc.jsonValue({ maxDepth: 3 }).map((v) => {
      const json = new TextEncoder().encode(JSON.stringify(v));
      const out = new Uint8Array(8 + json.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    });
    fc.assert(fc.property(fc.oneof(arb, jsonArb), (bytes) => {
      outcome('random safetensors header', () => readAll(bytes));
    }), { numRuns: runs(200) });
  });
});
