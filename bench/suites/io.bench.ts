/**
 * Checkpoint I/O: BF16 / F16 → F32 decoding, FP8 e4m3 decoding with block dequantisation, and
 * loading one small tensor from a 1 GiB safetensors file against reading the whole file (time and
 * bytes read). Each decoder is validated against the float64 reference before it is timed.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ndarray from 'ndarray';
import * as ref from '../../reference/ops/dtypes.js';
import { openSafetensors } from '../../src/io/checkpoint.js';
import { FileReader } from '../../src/io/file-reader.js';
import { decodeBf16, decodeF16, decodeFp8E4M3, dequantFp8Block } from '../../src/ops/dtypes.js';
import { type BenchRow, type Suite, type Target, fmt, time, validate } from '../harness.js';

/** Deterministic bytes (xorshift32). */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  const w = new Uint32Array(out.buffer, 0, Math.floor(n / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    w[i] = x;
  }
  return out;
}

/** Finite BF16 / F16 codes only (so validation compares numbers, not NaN patterns). */
function finiteCodes(bytes: Uint8Array, expMask: number): Uint8Array {
  const u = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  for (let i = 0; i < u.length; i++) if ((u[i] & expMask) === expMask) u[i] &= ~0x4000;
  return bytes;
}

type Timing = { ms: number; p50: number; samples: number };

/**
 * Time `fn` in `rounds` rounds and keep the best (lowest mean): other processes share this
 * machine's cores, and the best round is the least disturbed one.
 */
async function best(fn: () => unknown, rounds = 3, timeMs = 600): Promise<Timing> {
  let b: Timing = { ms: Infinity, p50: Infinity, samples: 0 };
  for (let r = 0; r < rounds; r++) {
    const t = await time(fn, { iterations: 5, timeMs });
    if (t.ms < b.ms) b = t;
  }
  return b;
}

async function decodeRows(quick: boolean, log: (m: string) => void): Promise<BenchRow[]> {
  const n = quick ? 1 << 22 : 1 << 25; // values (1 << 25 = one Pro q_proj, [8192, 4096])
  const rows: BenchRow[] = [];
  // Baseline: allocating and zero-filling the float32 output alone (what any decoder must at least pay).
  const memset = await best(() => new Float32Array(n).fill(0));
  rows.push({ task: `memset baseline: new Float32Array(${n / 2 ** 20} Mi).fill(0)`, impl: 'typed array', ms: memset.ms, p50: memset.p50, samples: memset.samples,
    derived: { 'GB/s out': (4 * n) / (memset.ms * 1e6) } });
  for (const [name, fast, reference, mask] of [
    ['BF16', decodeBf16, ref.decodeBf16, 0x7f80], ['F16', decodeF16, ref.decodeF16, 0x7c00],
  ] as const) {
    const bytes = finiteCodes(randomBytes(2 * n, name === 'BF16' ? 1 : 2), mask);
    const sample = bytes.subarray(0, 1 << 17);
    validate(`decode ${name}`, fast(sample), reference(sample), 0);
    log(`decode ${name}: ${n} values`);
    const t = await best(() => fast(bytes));
    const reused = new Float32Array(n);
    validate(`decode ${name} into a buffer`, fast(sample, reused.subarray(0, sample.length / 2)), reference(sample), 0);
    const ti = await best(() => fast(bytes, reused));
    rows.push({ task: `decode ${name} → F32, ${n / 2 ** 20} Mi values, into a reused output`, impl: 'fast (typed arrays)', ms: ti.ms, p50: ti.p50, samples: ti.samples,
      derived: { 'GB/s in': (2 * n) / (ti.ms * 1e6), 'GB/s out': (4 * n) / (ti.ms * 1e6), 'x memset': ti.ms / memset.ms } });
    const refT = await time(() => reference(sample), { iterations: 2, timeMs: 200 });
    rows.push({ task: `decode ${name} → F32, ${n / 2 ** 20} Mi values`, impl: 'fast (typed arrays)', ms: t.ms, p50: t.p50, samples: t.samples,
      derived: { 'GB/s in': (2 * n) / (t.ms * 1e6), 'GB/s out': (4 * n) / (t.ms * 1e6), 'x memset': t.ms / memset.ms } });
    const small = bytes.subarray(0, 2 << 20);
    const ts = await best(() => fast(small), 3, 300);
    rows.push({ task: `decode ${name} → F32, 1 Mi values (4 MiB out, cache-sized)`, impl: 'fast (typed arrays)', ms: ts.ms, p50: ts.p50, samples: ts.samples,
      derived: { 'GB/s in': (2 << 20) / (ts.ms * 1e6), 'GB/s out': (4 << 20) / (ts.ms * 1e6) } });
    rows.push({ task: `decode ${name} → F32, ${n / 2 ** 20} Mi values`, impl: 'reference (bit fields, float64)', ms: refT.ms * (bytes.length / sample.length), samples: refT.samples,
      derived: { 'GB/s in': sample.length / (refT.ms * 1e6) }, extra: { note: 'timed on 64 Ki values, scaled' } });
  }
  return rows;
}

async function fp8Rows(quick: boolean, log: (m: string) => void): Promise<BenchRow[]> {
  const R = quick ? 1024 : 4096;
  const C = 4096;
  const q = randomBytes(R * C, 3).map((b) => ((b & 0x7f) === 0x7f ? b & 0xfe : b)); // no NaN codes
  const scale = Float32Array.from({ length: Math.ceil(R / 128) * (C / 128) }, (_, i) => 2 ** ((i % 9) - 4));
  const small = { shape: [256, 256], data: new Uint8Array(256 * 256) };
  for (let r = 0; r < 256; r++) small.data.set(q.subarray(r * C, r * C + 256), r * 256);
  const smallScale = new Float32Array([scale[0], scale[1], scale[C / 128], scale[C / 128 + 1]]);
  validate('fp8 dequant', dequantFp8Block(small, { shape: [2, 2], data: smallScale }), ref.dequantFp8Block(small, ndarray(Float64Array.from(smallScale), [2, 2])).data, 0);
  validate('fp8 decode', decodeFp8E4M3(q.subarray(0, 1 << 16)), ref.decodeFp8E4M3(q.subarray(0, 1 << 16)), 0);
  log(`fp8: [${R}, ${C}]`);
  const dec = await best(() => decodeFp8E4M3(q));
  const deq = await best(() => dequantFp8Block({ shape: [R, C], data: q }, { shape: [R / 128, C / 128], data: scale }));
  const n = R * C;
  return [
    { task: `decode FP8 e4m3 → F32, [${R}, ${C}]`, impl: 'fast (lookup table)', ms: dec.ms, p50: dec.p50, samples: dec.samples, derived: { 'GB/s in': n / (dec.ms * 1e6), 'Gvalues/s': n / (dec.ms * 1e6) } },
    { task: `FP8 block-128 dequant → F32, [${R}, ${C}]`, impl: 'fast (table × block scale)', ms: deq.ms, p50: deq.p50, samples: deq.samples, derived: { 'GB/s in': n / (deq.ms * 1e6), 'Gvalues/s': n / (deq.ms * 1e6) } },
  ];
}

/** Write a safetensors file with one big U8 tensor and one small BF16 tensor, streaming the data. */
function writeBigFile(file: string, big: number): { smallBytes: number } {
  const small = 1024;
  const header = JSON.stringify({ big: { dtype: 'U8', shape: [big], data_offsets: [0, big] }, small: { dtype: 'BF16', shape: [small], data_offsets: [big, big + 2 * small] } });
  const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
  const fd = openSync(file, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(padded.length));
    writeSync(fd, len);
    writeSync(fd, Buffer.from(padded));
    const chunk = randomBytes(64 << 20, 5);
    for (let done = 0; done < big; done += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, big - done));
    writeSync(fd, new Uint8Array(new Uint16Array(small).fill(0x3f80).buffer)); // 1.0 in BF16
  } finally {
    closeSync(fd);
  }
  return { smallBytes: 2 * small };
}

async function rangeRows(quick: boolean, log: (m: string) => void): Promise<{ rows: BenchRow[]; target: Target }> {
  const big = quick ? 256 << 20 : 1 << 30;
  const file = path.join(os.tmpdir(), `intern-s1-io-bench-${process.pid}.safetensors`);
  try {
    log(`writing ${big >> 20} MiB to ${file}`);
    const { smallBytes } = writeBigFile(file, big);
    const size = big + smallBytes;
    let reader: FileReader | undefined;
    let bytesRead = 0;
    const one = await time(() => {
      const w = openSafetensors(file, { openReader: (f) => (reader = new FileReader(f)) });
      const v = w.float32('small');
      if (v.length !== 1024 || v[0] !== 1) throw new Error('small tensor read back wrong');
      bytesRead = reader!.bytesRead;
      w.close();
    }, { iterations: 20, timeMs: 300 });
    const whole = await best(() => readFileSync(file).byteLength, 2, 300);
    const ok = bytesRead < 4096 + smallBytes;
    return {
      rows: [
        { task: `one 2 KiB tensor from a ${big >> 20} MiB file`, impl: 'openSafetensors + float32() (byte range)', ms: one.ms, p50: one.p50, samples: one.samples, extra: { 'bytes read': bytesRead, 'file bytes': size } },
        { task: `one 2 KiB tensor from a ${big >> 20} MiB file`, impl: 'readFileSync of the whole file', ms: whole.ms, p50: whole.p50, samples: whole.samples, extra: { 'bytes read': size, 'file bytes': size }, derived: { speedup: whole.ms / one.ms } },
      ],
      target: { description: `loading one small tensor from a ${big >> 20} MiB file reads only the header and its bytes`, met: ok, measured: `${bytesRead} bytes read (header + ${smallBytes} data) of ${size}, ${fmt(one.ms)} ms vs ${fmt(whole.ms)} ms for the whole file` },
    };
  } finally {
    rmSync(file, { force: true });
  }
}

export const suite: Suite = {
  name: 'io',
  title: 'Checkpoint I/O',
  description: 'Decoding checkpoint dtypes to float32 (BF16 and F16 with typed-array bit tricks and a table, FP8 e4m3 with a 256-entry table and block-128 scales), validated bit-exact against the float64 reference first; and reading one small tensor of a large safetensors file by byte range, against reading the whole file. GB/s in counts the encoded input bytes.',
  async run({ quick, log }) {
    const rows = [...(await decodeRows(quick, log)), ...(await fp8Rows(quick, log))];
    const range = await rangeRows(quick, log);
    rows.push(...range.rows);
    const bf16 = rows.find((r) => r.task.startsWith('decode BF16') && r.impl.startsWith('fast') && !r.task.endsWith('into a reused output'))!;
    const bf16Into = rows.find((r) => r.task.startsWith('decode BF16') && r.task.endsWith('into a reused output'))!;
    const bf16Small = rows.find((r) => r.task.startsWith('decode BF16 → F32, 1 Mi'))!;
    const rate = bf16.derived!['GB/s in'];
    const rateInto = bf16Into.derived!['GB/s in'];
    const targets: Target[] = [
      { description: 'BF16 → F32 decoding at least 1 GB/s (BF16 bytes in) on a weight-sized tensor (32 Mi values), decoding into a reused output buffer', met: rateInto >= 1,
        measured: `${fmt(rateInto)} GB/s in, ${fmt(bf16Into.derived!['GB/s out'])} GB/s out` },
      { description: 'the same with a freshly allocated output every call (allocation and first-touch page faults included)', met: rate >= 1,
        measured: `${fmt(rate)} GB/s in, ${fmt(bf16.derived!['GB/s out'])} GB/s out (${fmt(bf16.derived!['x memset'])}x the memset of its output); cache-sized: ${fmt(bf16Small.derived!['GB/s in'])} GB/s in` },
      range.target,
    ];
    const load = os.loadavg().map((v) => v.toFixed(1)).join(', ');
    return { rows, targets, notes: `Load average when the suite finished: ${load} (${os.cpus().length} cores): other processes were running, so absolute rates here are lower than on an idle machine; "x memset" compares a decode with allocating and zero-filling its output at the same moment. Each decode timing is the best of three rounds (to reduce the effect of the other processes); every call allocates a fresh float32 output, whose first-touch page faults are part of the cost. The whole-file read is served from the page cache (the file was just written), so it is the fastest a full read can be; a cold read of 1 GiB from disk is slower still. Decoding runs on one core.` };
  },
};
