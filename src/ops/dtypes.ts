/**
 * Storage dtypes of checkpoints (spec 9.3, 9.4): decode BF16 / F16 / FP8 bytes to float32, encode
 * float32 values back, and the block-wise FP8 (e4m3fn) dequantisation and quantisation of the
 * "fine-grained FP8" releases.
 *
 * Fast path: bit tricks and lookup tables over typed-array views (BF16 is a 16-bit shift, F16 and
 * FP8 are table lookups). The twin in `reference/ops/dtypes.ts` decodes the bit fields
 * arithmetically in float64; `test/ops/dtypes.test.ts` compares them for every code.
 *
 * Byte order is little-endian, as in safetensors. Values are float32 throughout: every BF16, F16
 * and FP8 value is exactly representable in float32.
 *
 * @module
 */
import { InternS1Error, ShapeError, ValueError } from '../errors.js';
import type { BlockSize, Fp8Block } from './options.js';

export type { BlockSize, Fp8Block } from './options.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkHost(op: string): void {
  if (!LITTLE_ENDIAN) throw new InternS1Error(`${op}: safetensors data is little-endian; this host is big-endian`);
}

function checkBytes(op: string, bytes: Uint8Array, width: number): void {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`${op}: 'bytes' must be a Uint8Array`);
  if (bytes.byteLength % width !== 0) {
    throw new ShapeError(`${op}: 'bytes' has ${bytes.byteLength} bytes, not a multiple of ${width}`);
  }
  checkHost(op);
}

/**
 * The output array of a decoder: `out` when given (checked: a Float32Array of exactly `n` values,
 * offset a multiple of 4), else a new one. Reusing `out` skips the allocation, whose first-touch
 * page faults cost more than the decoding itself for weight-sized tensors.
 */
function outputFor(op: string, out: Float32Array | undefined, n: number): Float32Array {
  if (out === undefined) return new Float32Array(n);
  if (!(out instanceof Float32Array)) throw new ValueError(`${op}: 'out' must be a Float32Array`);
  if (out.length !== n) throw new ShapeError(`${op}: 'out' holds ${out.length} values but 'bytes' encodes ${n}`);
  return out;
}

/** A Uint32Array view of the whole 4-byte words of `bytes` (copied first when misaligned). */
function words(bytes: Uint8Array): { w: Uint32Array; aligned: Uint8Array } {
  const b = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return { w: new Uint32Array(b.buffer, b.byteOffset, b.byteLength >>> 2), aligned: b };
}

/**
 * Decode little-endian bfloat16 to float32: `f32 bits = bf16 bits << 16` (bfloat16 is the top half
 * of a float32, so this is exact, NaN payloads and -0 included). Reads two values per 32-bit load
 * (`lo << 16`, `hi & 0xFFFF0000`), which is what makes it fast.
 *
 * Shapes: `bytes [2n]` → `Float32Array [n]`.
 *
 * @param bytes - raw BF16 data, two bytes per value.
 * @param out - optional output of n values to decode into (reused across calls, it avoids
 *   allocating; the loader decodes into a scratch buffer this way before uploading to wasm).
 * @throws ShapeError when the byte count is odd or `out` has the wrong length.
 * @example
 * ```ts
 * import { decodeBf16 } from 'intern-s1-ts';
 * decodeBf16(new Uint8Array([0x80, 0x3f, 0x00, 0xc0])); // => [1, -2]  -- a Float32Array
 * ```
 */
export function decodeBf16(bytes: Uint8Array, out?: Float32Array): Float32Array {
  checkBytes('decodeBf16', bytes, 2);
  const n = bytes.byteLength >>> 1;
  out = outputFor('decodeBf16', out, n);
  const o32 = new Uint32Array(out.buffer, out.byteOffset, n);
  const { w, aligned } = words(bytes);
  for (let i = 0, j = 0; i < w.length; i++, j += 2) {
    const x = w[i];
    o32[j] = x << 16;
    o32[j + 1] = x & 0xffff0000;
  }
  if (n % 2 === 1) o32[n - 1] = (aligned[2 * n - 2] | (aligned[2 * n - 1] << 8)) << 16;
  return out;
}

let f16Table: Float32Array | undefined;

/** The 65536 float16 values as float32, built once from the bit fields. */
function f16Lut(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  const t32 = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const man = h & 0x3ff;
    if (exp === 0x1f) t32[h] = sign | 0x7f800000 | (man << 13); // Inf / NaN (payload kept)
    else if (exp !== 0) t32[h] = sign | ((exp + 112) << 23) | (man << 13); // rebias 15 -> 127
    else t[h] = (sign ? -1 : 1) * man * 2 ** -24; // zero and subnormals: man * 2^-24
  }
  f16Table = t;
  return t;
}

/**
 * Decode little-endian IEEE float16 (binary16) to float32, subnormals, ±Inf and NaN included.
 *
 * Shapes: `bytes [2n]` → `Float32Array [n]`.
 *
 * @param bytes - raw F16 data, two bytes per value.
 * @param out - optional output of n values to decode into (see {@link decodeBf16}).
 * @throws ShapeError when the byte count is odd or `out` has the wrong length.
 * @example
 * ```ts
 * import { decodeF16 } from 'intern-s1-ts';
 * decodeF16(new Uint8Array([0x00, 0x3c, 0x01, 0x00])); // ~> [1, 5.96e-8]  -- a Float32Array
 * ```
 */
export function decodeF16(bytes: Uint8Array, out?: Float32Array): Float32Array {
  checkBytes('decodeF16', bytes, 2);
  const lut = f16Lut();
  const n = bytes.byteLength >>> 1;
  out = outputFor('decodeF16', out, n);
  const { w, aligned } = words(bytes);
  for (let i = 0, j = 0; i < w.length; i++, j += 2) {
    const x = w[i];
    out[j] = lut[x & 0xffff];
    out[j + 1] = lut[x >>> 16];
  }
  if (n % 2 === 1) out[n - 1] = lut[aligned[2 * n - 2] | (aligned[2 * n - 1] << 8)];
  return out;
}

/** The 256 values of an 8-bit float format with `e` exponent bits, as a table. */
function fp8Table(expBits: number, bias: number, nanOnly: boolean): Float32Array {
  const manBits = 7 - expBits;
  const t = new Float32Array(256);
  for (let c = 0; c < 256; c++) {
    const sign = c & 0x80 ? -1 : 1;
    const exp = (c >> manBits) & ((1 << expBits) - 1);
    const man = c & ((1 << manBits) - 1);
    const top = (1 << expBits) - 1;
    if (nanOnly && exp === top && man === (1 << manBits) - 1) t[c] = NaN; // e4m3fn: S.1111.111
    else if (!nanOnly && exp === top) t[c] = man === 0 ? sign * Infinity : NaN; // e5m2: IEEE-like
    else if (exp === 0) t[c] = sign * man * 2 ** (1 - bias - manBits);
    else t[c] = sign * (1 + man / (1 << manBits)) * 2 ** (exp - bias);
  }
  return t;
}

/** float8 e4m3fn: bias 7, no infinities, S.1111.111 is NaN, max 448. */
const E4M3 = fp8Table(4, 7, true);
/** float8 e5m2: bias 15, IEEE-like (Inf and NaN at exponent 31). */
const E5M2 = fp8Table(5, 15, false);

/** Table lookup of one-byte codes, four per 32-bit load. */
function decodeLut(op: string, bytes: Uint8Array, lut: Float32Array): Float32Array {
  checkBytes(op, bytes, 1);
  const out = new Float32Array(bytes.length);
  const { w, aligned } = words(bytes);
  for (let i = 0, j = 0; i < w.length; i++, j += 4) {
    const x = w[i];
    out[j] = lut[x & 0xff];
    out[j + 1] = lut[(x >>> 8) & 0xff];
    out[j + 2] = lut[(x >>> 16) & 0xff];
    out[j + 3] = lut[x >>> 24];
  }
  for (let j = w.length * 4; j < bytes.length; j++) out[j] = lut[aligned[j]];
  return out;
}

/**
 * Decode float8 e4m3fn (the FP8 of the Intern-S1 releases, spec 9.4) to float32.
 *
 * Layout `S EEEE MMM`, exponent bias 7: normal `(-1)^S·(1 + M/8)·2^(E-7)`, subnormal
 * `(-1)^S·(M/8)·2^-6`, no infinities, `0x7F` / `0xFF` are NaN; the largest finite value is 448.
 *
 * Shapes: `bytes [n]` → `Float32Array [n]`.
 *
 * @param bytes - one byte per value.
 * @example
 * ```ts
 * import { decodeFp8E4M3 } from 'intern-s1-ts';
 * decodeFp8E4M3(new Uint8Array([0x38, 0x7e, 0x01, 0x7f])); // ~> [1, 448, 0.001953125, NaN]
 * ```
 */
export function decodeFp8E4M3(bytes: Uint8Array): Float32Array {
  return decodeLut('decodeFp8E4M3', bytes, E4M3);
}

/**
 * Decode float8 e5m2 (IEEE-like: bias 15, ±Inf at `S.11111.00`, NaN above) to float32.
 *
 * Shapes: `bytes [n]` → `Float32Array [n]`.
 *
 * @param bytes - one byte per value.
 * @example
 * ```ts
 * import { decodeFp8E5M2 } from 'intern-s1-ts';
 * decodeFp8E5M2(new Uint8Array([0x3c, 0x7c])); // => [1, Infinity]
 * ```
 */
export function decodeFp8E5M2(bytes: Uint8Array): Float32Array {
  return decodeLut('decodeFp8E5M2', bytes, E5M2);
}

/**
 * Decode float8 e8m0 (an unsigned power of two, `2^(E-127)`; `0xFF` is NaN), the storage of
 * "ue8m0" block scales.
 *
 * Shapes: `bytes [n]` → `Float32Array [n]`.
 *
 * @param bytes - one byte per value.
 * @example
 * ```ts
 * import { decodeE8M0 } from 'intern-s1-ts';
 * decodeE8M0(new Uint8Array([127, 120])); // ~> [1, 0.0078125]
 * ```
 */
export function decodeE8M0(bytes: Uint8Array): Float32Array {
  checkBytes('decodeE8M0', bytes, 1);
  const out = new Float32Array(bytes.length);
  const o32 = new Uint32Array(out.buffer);
  for (let i = 0; i < bytes.length; i++) {
    const e = bytes[i];
    // 2^(e-127) for e >= 1 is a float32 with exponent field e; e = 0 is 2^-127 (subnormal 0x00400000).
    o32[i] = e === 255 ? 0x7fc00000 : e === 0 ? 0x00400000 : e << 23;
  }
  return out;
}

/** Round half to even (`q` ≥ 0). */
function rint(q: number): number {
  const r = Math.round(q);
  return r - q === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Encode values as little-endian bfloat16 with round-to-nearest-even, as PyTorch casts a float32
 * tensor: each value is first rounded to float32, NaN becomes the canonical `0x7FC0`, overflow
 * rounds to ±Inf.
 *
 * Shapes: `values [n]` → `bytes [2n]`.
 *
 * @param values - any numbers.
 * @example
 * ```ts
 * import { encodeBf16, decodeBf16 } from 'intern-s1-ts';
 * decodeBf16(encodeBf16([1.00390625, 3])); // => [1, 3]  -- (1 + 2^-8 is a tie, rounded to even)
 * ```
 */
export function encodeBf16(values: ArrayLike<number>): Uint8Array {
  checkHost('encodeBf16');
  const f = Float32Array.from(values);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = u[i];
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = 0x7fc0;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16; // round half to even on the dropped 16 bits
  }
  return new Uint8Array(out.buffer);
}

/**
 * Encode values as little-endian IEEE float16 with round-to-nearest-even (values first rounded to
 * float32): subnormals are produced below 2^-14, magnitudes ≥ 65520 become ±Inf, NaN is `0x7E00`.
 *
 * Shapes: `values [n]` → `bytes [2n]`.
 *
 * @param values - any numbers.
 * @example
 * ```ts
 * import { encodeF16, decodeF16 } from 'intern-s1-ts';
 * decodeF16(encodeF16([0.1, 70000])); // ~> [0.0999755859375, Infinity]
 * ```
 */
export function encodeF16(values: ArrayLike<number>): Uint8Array {
  checkHost('encodeF16');
  const f = Float32Array.from(values);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = u[i];
    const sign = (x >>> 16) & 0x8000;
    const abs = x & 0x7fffffff;
    const e = (abs >>> 23) - 127;
    let h: number;
    if (abs > 0x7f800000) h = 0x7e00;
    else if (e > 15) h = 0x7c00;
    else if (e >= -14) {
      const m = abs & 0x7fffff;
      const rnd = m & 0x1fff;
      h = ((e + 15) << 10) | (m >>> 13);
      if (rnd > 0x1000 || (rnd === 0x1000 && (h & 1) === 1)) h++; // a carry may reach Inf: correct
    } else h = rint(Math.abs(f[i]) * 2 ** 24); // subnormal: units of 2^-24 (1024 = smallest normal)
    out[i] = sign | h;
  }
  return new Uint8Array(out.buffer);
}

/** 464 = the midpoint between 448 and the first unrepresentable e4m3fn step; PyTorch maps ≥ it to NaN. */
const E4M3_NAN_FROM = 464;

/**
 * Encode values as float8 e4m3fn with round-to-nearest-even, following PyTorch's
 * `fp8e4m3fn_from_fp32_value`: values are first rounded to float32; NaN, ±Inf and magnitudes ≥ 464
 * become NaN (`0x7F`, sign kept); [448, 464) rounds to 448; below 2^-6 subnormals (steps of 2^-9).
 * It does not saturate: scale weights into ±448 first (see {@link quantFp8Block}).
 *
 * Shapes: `values [n]` → `bytes [n]`.
 *
 * @param values - any numbers.
 * @example
 * ```ts
 * import { encodeFp8E4M3 } from 'intern-s1-ts';
 * encodeFp8E4M3([1, 450, 500]); // => [0x38, 0x7e, 0x7f]  -- a Uint8Array
 * ```
 */
export function encodeFp8E4M3(values: ArrayLike<number>): Uint8Array {
  checkHost('encodeFp8E4M3');
  const f = Float32Array.from(values);
  const u = new Uint32Array(f.buffer);
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const x = u[i];
    const sign = (x >>> 24) & 0x80;
    const a = Math.abs(f[i]);
    let c: number;
    if (!(a < E4M3_NAN_FROM)) c = 0x7f;
    else if (a >= 2 ** -6) {
      const m = x & 0x7fffff;
      const rnd = m & 0xfffff;
      c = ((((x >>> 23) & 0xff) - 120) << 3) | (m >>> 20); // rebias 127 -> 7
      if (rnd > 0x80000 || (rnd === 0x80000 && (c & 1) === 1)) c++;
    } else c = rint(a * 2 ** 9); // subnormal: units of 2^-9 (8 = smallest normal)
    out[i] = sign | c;
  }
  return out;
}

/** What {@link quantFp8Block} returns: the codes and the `weight_scale_inv` tensor. */
export interface Fp8Quantized {
  /** The FP8 e4m3fn codes, shaped like the input `[..., R, C]`. */
  readonly q: Fp8Block;
  /** The `weight_scale_inv` tensor: one float32 scale per block, `[..., ⌈R/br⌉, ⌈C/bc⌉]`. */
  readonly scaleInv: {
    /** `[..., ⌈R/br⌉, ⌈C/bc⌉]`. */
    readonly shape: number[];
    /** The scales, row-major; `W ≈ Q · scale_inv` blockwise. */
    readonly data: Float32Array;
  };
}

function blockDims(op: string, blockSize: BlockSize): [number, number] {
  const b: [number, number] = typeof blockSize === 'number' ? [blockSize, blockSize] : [blockSize[0], blockSize[1]];
  for (const v of b) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: 'blockSize' must be positive integers, got ${String(blockSize)}`);
  }
  return b;
}

/** Leading count, rows, cols and the expected scale shape of a rank ≥ 2 tensor. */
function blockGeometry(op: string, shape: readonly number[], b: [number, number]) {
  if (shape.length < 2) throw new ShapeError(`${op}: 'q' must have rank >= 2, got shape [${shape.join(', ')}]`);
  const R = shape[shape.length - 2];
  const C = shape[shape.length - 1];
  const lead = shape.slice(0, -2);
  const L = lead.reduce((a, v) => a * v, 1);
  const SR = Math.ceil(R / b[0]);
  const SC = Math.ceil(C / b[1]);
  return { L, R, C, SR, SC, scaleShape: [...lead, SR, SC] };
}

/**
 * Block-wise FP8 dequantisation (spec 9.4): `W[r, c] = Q[r, c] · scale_inv[⌊r/br⌋, ⌊c/bc⌋]`
 * over the last two axes; leading axes (fused experts `[E, D, 2I]`) each have their own scale
 * grid. The product is rounded once to float32.
 *
 * Shapes: `q [..., R, C]` (e4m3fn codes), `scaleInv [..., ⌈R/br⌉, ⌈C/bc⌉]` → `Float32Array` of
 * `q`'s size, row-major.
 *
 * @param q - FP8 e4m3fn codes and their shape.
 * @param scaleInv - the `*.weight_scale_inv` values and shape.
 * @param blockSize - block rows and columns (Intern-S1-Pro: 128).
 * @throws ShapeError when the scale shape does not match the blocks of `q`.
 * @example
 * ```ts
 * import { dequantFp8Block } from 'intern-s1-ts';
 * const q = { shape: [2, 2], data: new Uint8Array([0x38, 0x40, 0x38, 0x40]) }; // [[1, 2], [1, 2]]
 * dequantFp8Block(q, { shape: [1, 1], data: new Float32Array([0.5]) }); // ~> [0.5, 1, 0.5, 1]
 * ```
 */
export function dequantFp8Block(
  q: Fp8Block, scaleInv: { readonly shape: readonly number[]; readonly data: ArrayLike<number> }, blockSize: BlockSize = 128,
): Float32Array {
  const op = 'dequantFp8Block';
  const b = blockDims(op, blockSize);
  const g = blockGeometry(op, q.shape, b);
  if (q.data.length !== g.L * g.R * g.C) {
    throw new ShapeError(`${op}: 'q' has ${q.data.length} bytes but shape [${q.shape.join(', ')}]`);
  }
  if (scaleInv.shape.length !== g.scaleShape.length || scaleInv.shape.some((v, i) => v !== g.scaleShape[i]) || scaleInv.data.length !== g.L * g.SR * g.SC) {
    throw new ShapeError(`${op}: 'scaleInv' has shape [${scaleInv.shape.join(', ')}] but 'q' [${q.shape.join(', ')}] with blocks ${b.join('x')} needs [${g.scaleShape.join(', ')}]`);
  }
  const out = new Float32Array(q.data.length);
  const { L, R, C, SR, SC } = g;
  const [br, bc] = b;
  const { w, aligned: codes } = words(q.data);
  for (let l = 0; l < L; l++) {
    for (let r = 0; r < R; r++) {
      const row = (l * R + r) * C;
      const sRow = (l * SR + Math.floor(r / br)) * SC;
      for (let sc = 0; sc < SC; sc++) {
        const s = scaleInv.data[sRow + sc];
        const end = row + Math.min(C, (sc + 1) * bc);
        let j = row + sc * bc;
        for (; j < end && (j & 3) !== 0; j++) out[j] = E4M3[codes[j]] * s; // up to a word boundary
        for (; j + 4 <= end; j += 4) { // four codes per 32-bit load
          const x = w[j >>> 2];
          out[j] = E4M3[x & 0xff] * s;
          out[j + 1] = E4M3[(x >>> 8) & 0xff] * s;
          out[j + 2] = E4M3[(x >>> 16) & 0xff] * s;
          out[j + 3] = E4M3[x >>> 24] * s;
        }
        for (; j < end; j++) out[j] = E4M3[codes[j]] * s;
      }
    }
  }
  return out;
}

/** The power of two 2^⌈log2 r⌉ (r > 0), exactly. */
function pow2Ceil(r: number): number {
  let s = 2 ** Math.ceil(Math.log2(r));
  while (s < r) s *= 2;
  while (s / 2 >= r) s /= 2;
  return s;
}

/**
 * Block-wise FP8 quantisation, the inverse of {@link dequantFp8Block}, as the fine-grained FP8
 * releases do it: per block `scale_inv = amax / 448` (`'ue8m0'`: rounded up to a power of two, as
 * the Intern-S1-Pro config's `scale_fmt` says), `Q = e4m3(W / scale_inv)`; an all-zero block gets
 * `scale_inv = 1`.
 *
 * Shapes: `w [..., R, C]` → `q [..., R, C]` codes, `scaleInv [..., ⌈R/br⌉, ⌈C/bc⌉]`.
 *
 * @param w - finite weights and their shape (rank ≥ 2).
 * @param blockSize - block rows and columns.
 * @param scaleFmt - `'ue8m0'` (power-of-two scales) or `'float32'`.
 * @throws ValueError for a non-finite weight.
 * @example
 * ```ts
 * import { quantFp8Block, dequantFp8Block } from 'intern-s1-ts';
 * const { q, scaleInv } = quantFp8Block({ shape: [1, 2], data: [896, -1] }, 128);
 * dequantFp8Block(q, scaleInv); // => [896, -1]  -- (scale_inv = 2)
 * ```
 */
export function quantFp8Block(
  w: { readonly shape: readonly number[]; readonly data: ArrayLike<number> }, blockSize: BlockSize = 128,
  scaleFmt: 'ue8m0' | 'float32' = 'ue8m0',
): Fp8Quantized {
  const op = 'quantFp8Block';
  const b = blockDims(op, blockSize);
  const g = blockGeometry(op, w.shape, b);
  if (w.data.length !== g.L * g.R * g.C) throw new ShapeError(`${op}: 'w' has ${w.data.length} values but shape [${w.shape.join(', ')}]`);
  const scale = new Float32Array(g.L * g.SR * g.SC);
  const scaled = new Float32Array(w.data.length);
  const { L, R, C, SR, SC } = g;
  for (let l = 0; l < L; l++) {
    for (let sr = 0; sr < SR; sr++) {
      for (let sc = 0; sc < SC; sc++) {
        let amax = 0;
        for (let r = sr * b[0]; r < Math.min(R, (sr + 1) * b[0]); r++) {
          for (let c = sc * b[1]; c < Math.min(C, (sc + 1) * b[1]); c++) {
            const v = Math.fround(w.data[(l * R + r) * C + c]);
            if (!Number.isFinite(v)) throw new ValueError(`${op}: 'w' has a non-finite value ${v} at flat index ${(l * R + r) * C + c}`);
            amax = Math.max(amax, Math.abs(v));
          }
        }
        const s = amax === 0 ? 1 : scaleFmt === 'ue8m0' ? pow2Ceil(amax / 448) : Math.fround(amax / 448);
        scale[(l * SR + sr) * SC + sc] = s;
        for (let r = sr * b[0]; r < Math.min(R, (sr + 1) * b[0]); r++) {
          for (let c = sc * b[1]; c < Math.min(C, (sc + 1) * b[1]); c++) {
            const i = (l * R + r) * C + c;
            scaled[i] = Math.fround(w.data[i]) / s;
          }
        }
      }
    }
  }
  // A float32 scale rounded down can push |W / s| just past 448: clamp into the representable range.
  for (let i = 0; i < scaled.length; i++) scaled[i] = Math.max(-448, Math.min(448, scaled[i]));
  return { q: { shape: w.shape.slice(), data: encodeFp8E4M3(scaled) }, scaleInv: { shape: g.scaleShape, data: scale } };
}
