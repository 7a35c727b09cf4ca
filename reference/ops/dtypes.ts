/**
 * Reference storage dtypes (spec 9.3, 9.4): each code is decoded from its bit fields with plain
 * arithmetic in float64, and each value is encoded by finding the nearest representable value
 * (ties to the even code). Block FP8 (de)quantisation loops over the blocks.
 *
 * Formats, for a code with sign S, exponent field E and mantissa field M (m mantissa bits):
 *
 * | format | E bits | bias | normal value | subnormal (E = 0) | E all ones |
 * |---|---|---|---|---|---|
 * | bfloat16 | 8 | 127 | (1 + M/2^7)·2^(E−127) | M·2^(−126−7) | Inf (M = 0) / NaN |
 * | float16 | 5 | 15 | (1 + M/2^10)·2^(E−15) | M·2^(−14−10) | Inf (M = 0) / NaN |
 * | e4m3fn | 4 | 7 | (1 + M/8)·2^(E−7) | M·2^(−6−3) | finite, except M = 7: NaN |
 * | e5m2 | 5 | 15 | (1 + M/4)·2^(E−15) | M·2^(−14−2) | Inf (M = 0) / NaN |
 * | e8m0 | 8 | 127 | 2^(E−127), no sign, no mantissa | | 255: NaN |
 *
 * @module
 */
import ndarray from 'ndarray';
import { type NDArray, toFlat, zeros } from '../ndarray.js';
import type { BlockSize, Fp8Block } from '../../src/ops/options.js';

export type { BlockSize, Fp8Block } from '../../src/ops/options.js';

/** One float format described by its fields. */
interface Format { expBits: number; manBits: number; bias: number; infAtTop: boolean }

const BF16: Format = { expBits: 8, manBits: 7, bias: 127, infAtTop: true };
const F16: Format = { expBits: 5, manBits: 10, bias: 15, infAtTop: true };
const E4M3: Format = { expBits: 4, manBits: 3, bias: 7, infAtTop: false };
const E5M2: Format = { expBits: 5, manBits: 2, bias: 15, infAtTop: true };

/** The value of `code` in format `f`, from its sign, exponent and mantissa fields. */
function decodeCode(code: number, f: Format): number {
  const bits = 1 + f.expBits + f.manBits;
  const sign = Math.floor(code / 2 ** (bits - 1)) % 2 === 1 ? -1 : 1;
  const exp = Math.floor(code / 2 ** f.manBits) % 2 ** f.expBits;
  const man = code % 2 ** f.manBits;
  const top = 2 ** f.expBits - 1;
  if (exp === top && f.infAtTop) return man === 0 ? sign * Infinity : NaN;
  if (exp === top && man === 2 ** f.manBits - 1) return NaN; // e4m3fn: only S.1111.111 is NaN
  if (exp === 0) return sign * man * 2 ** (1 - f.bias - f.manBits);
  return sign * (1 + man / 2 ** f.manBits) * 2 ** (exp - f.bias);
}

/** Little-endian code of element i of `bytes` with `width` bytes per element. */
function codeAt(bytes: Uint8Array, i: number, width: number): number {
  let c = 0;
  for (let k = width - 1; k >= 0; k--) c = c * 256 + bytes[i * width + k];
  return c;
}

function decodeAll(bytes: Uint8Array, width: number, f: Format): Float64Array {
  if (bytes.length % width !== 0) throw new Error(`byte count ${bytes.length} is not a multiple of ${width}`);
  const out = new Float64Array(bytes.length / width);
  for (let i = 0; i < out.length; i++) out[i] = decodeCode(codeAt(bytes, i, width), f);
  return out;
}

/** bfloat16 bytes (little-endian) to values (written into `out` when given). */
export function decodeBf16(bytes: Uint8Array, out?: Float64Array): Float64Array {
  return into(decodeAll(bytes, 2, BF16), out);
}

/** IEEE float16 bytes (little-endian) to values (written into `out` when given). */
export function decodeF16(bytes: Uint8Array, out?: Float64Array): Float64Array {
  return into(decodeAll(bytes, 2, F16), out);
}

/** Copy `values` into `out` (same length) when given. */
function into(values: Float64Array, out?: Float64Array): Float64Array {
  if (!out) return values;
  if (out.length !== values.length) throw new Error(`out holds ${out.length} values, expected ${values.length}`);
  out.set(values);
  return out;
}

/** float8 e4m3fn bytes to values (no infinities; 0x7F and 0xFF are NaN; max 448). */
export function decodeFp8E4M3(bytes: Uint8Array): Float64Array {
  return decodeAll(bytes, 1, E4M3);
}

/** float8 e5m2 bytes to values. */
export function decodeFp8E5M2(bytes: Uint8Array): Float64Array {
  return decodeAll(bytes, 1, E5M2);
}

/** float8 e8m0 bytes to values: 2^(E−127), 255 is NaN. */
export function decodeE8M0(bytes: Uint8Array): Float64Array {
  return Float64Array.from(bytes, (e) => (e === 255 ? NaN : 2 ** (e - 127)));
}

/** The non-negative finite values of a format, ascending, with their codes (sign bit clear). */
function positiveTable(f: Format): { value: number; code: number }[] {
  const out: { value: number; code: number }[] = [];
  for (let code = 0; code < 2 ** (f.expBits + f.manBits); code++) {
    const v = decodeCode(code, f);
    if (Number.isFinite(v)) out.push({ value: v, code });
  }
  return out.sort((a, b) => a.value - b.value);
}

const tables = new Map<Format, { value: number; code: number }[]>();

/**
 * The code of the representable value nearest to `a` ≥ 0, ties to the even code. Above the
 * largest finite value the next code (Inf for bf16 / f16, NaN for e4m3fn) sits one step further,
 * so overflow follows the same rule.
 */
function nearestCode(a: number, f: Format): number {
  const t = tables.get(f) ?? positiveTable(f);
  tables.set(f, t);
  const last = t[t.length - 1];
  const step = last.value - t[t.length - 2].value;
  const cands = [...t, { value: last.value + step, code: last.code + 1 }];
  let lo = 0;
  let hi = cands.length - 1;
  if (a >= cands[hi].value) return cands[hi].code;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cands[mid].value <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - cands[lo].value;
  const dHi = cands[hi].value - a;
  if (dLo < dHi) return cands[lo].code;
  if (dHi < dLo) return cands[hi].code;
  return cands[lo].code % 2 === 0 ? cands[lo].code : cands[hi].code;
}

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

function encodeAll(values: ArrayLike<number>, width: number, f: Format, nan: (neg: boolean) => number): Uint8Array {
  const out = new Uint8Array(values.length * width);
  const signBit = 2 ** (8 * width - 1);
  for (let i = 0; i < values.length; i++) {
    const x = Math.fround(values[i]); // torch casts a float32 tensor: round to float32 first
    let code: number;
    if (Number.isNaN(x)) code = nan(false);
    else code = nearestCode(Math.abs(x), f) + (isNegative(x) ? signBit : 0);
    for (let k = 0; k < width; k++) out[i * width + k] = Math.floor(code / 256 ** k) % 256;
  }
  return out;
}

/** Values to bfloat16 bytes: round to float32, then to the nearest bfloat16 (ties to even); NaN → 0x7FC0. */
export function encodeBf16(values: ArrayLike<number>): Uint8Array {
  return encodeAll(values, 2, BF16, () => 0x7fc0);
}

/** Values to float16 bytes: round to float32, then to the nearest float16 (ties to even); NaN → 0x7E00. */
export function encodeF16(values: ArrayLike<number>): Uint8Array {
  return encodeAll(values, 2, F16, () => 0x7e00);
}

/**
 * Values to float8 e4m3fn bytes: round to float32, then to nearest (ties to even). PyTorch maps
 * every magnitude ≥ 464 (and ±Inf, NaN) to NaN, keeping the sign; so does this.
 */
export function encodeFp8E4M3(values: ArrayLike<number>): Uint8Array {
  const out = encodeAll(values, 1, E4M3, () => 0x7f);
  for (let i = 0; i < values.length; i++) {
    const x = Math.fround(values[i]);
    if (!(Math.abs(x) < 464)) out[i] = 0x7f + (isNegative(x) ? 0x80 : 0);
  }
  return out;
}

/** What {@link quantFp8Block} returns: the codes and the scales. */
export interface Fp8Quantized {
  /** The FP8 e4m3fn codes, shaped like the input `[..., R, C]`. */
  readonly q: Fp8Block;
  /** `weight_scale_inv`, one scale per block, `[..., ⌈R/br⌉, ⌈C/bc⌉]`. */
  readonly scaleInv: NDArray;
}

function blockPair(blockSize: BlockSize): [number, number] {
  return typeof blockSize === 'number' ? [blockSize, blockSize] : [blockSize[0], blockSize[1]];
}

/** Split a flat index of a `[..., R, C]` tensor into (lead, r, c). */
function split(i: number, R: number, C: number): [number, number, number] {
  return [Math.floor(i / (R * C)), Math.floor(i / C) % R, i % C];
}

/**
 * `W[l, r, c] = decode(Q[l, r, c]) · scale_inv[l, ⌊r/br⌋, ⌊c/bc⌋]` (spec 9.4), in float64.
 * `scaleInv` has shape `[..., ⌈R/br⌉, ⌈C/bc⌉]` (leading axes flattened into l).
 */
export function dequantFp8Block(q: Fp8Block, scaleInv: NDArray, blockSize: BlockSize = 128): NDArray {
  const [br, bc] = blockPair(blockSize);
  const R = q.shape[q.shape.length - 2];
  const C = q.shape[q.shape.length - 1];
  const SR = Math.ceil(R / br);
  const SC = Math.ceil(C / bc);
  const scales = ndarray(toFlat(scaleInv), [scaleInv.size / (SR * SC), SR, SC]);
  const out = zeros(q.shape);
  const values = decodeFp8E4M3(q.data);
  for (let i = 0; i < values.length; i++) {
    const [l, r, c] = split(i, R, C);
    out.data[i] = values[i] * scales.get(l, Math.floor(r / br), Math.floor(c / bc));
  }
  return out;
}

/**
 * Per block: `amax = max |W|`; `scale_inv = amax / 448` (float32), or for `'ue8m0'` the smallest
 * power of two ≥ amax / 448; an all-zero block gets 1. Then `Q = e4m3(clamp(W / scale_inv, ±448))`.
 */
export function quantFp8Block(w: NDArray, blockSize: BlockSize = 128, scaleFmt: 'ue8m0' | 'float32' = 'ue8m0'): Fp8Quantized {
  const [br, bc] = blockPair(blockSize);
  const shape = w.shape;
  const R = shape[shape.length - 2];
  const C = shape[shape.length - 1];
  const L = w.size / (R * C);
  const SR = Math.ceil(R / br);
  const SC = Math.ceil(C / bc);
  const flat = new Float64Array(w.size);
  const wFlat = toFlat(w);
  for (let i = 0; i < w.size; i++) flat[i] = Math.fround(wFlat[i]);
  const amax = ndarray(new Float64Array(L * SR * SC), [L, SR, SC]);
  for (let i = 0; i < flat.length; i++) {
    const [l, r, c] = split(i, R, C);
    const b = [l, Math.floor(r / br), Math.floor(c / bc)] as const;
    amax.set(...b, Math.max(amax.get(...b), Math.abs(flat[i])));
  }
  const scale = zeros([...shape.slice(0, -2), SR, SC]);
  for (let k = 0; k < scale.size; k++) {
    const a = amax.data[k];
    let s = 1;
    if (a > 0 && scaleFmt === 'float32') s = Math.fround(a / 448);
    if (a > 0 && scaleFmt === 'ue8m0') {
      s = 1;
      while (s < a / 448) s *= 2;
      while (s / 2 >= a / 448) s /= 2;
    }
    scale.data[k] = s;
  }
  const scaled = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const [l, r, c] = split(i, R, C);
    const s = scale.data[(l * SR + Math.floor(r / br)) * SC + Math.floor(c / bc)];
    scaled[i] = Math.min(448, Math.max(-448, Math.fround(flat[i] / s)));
  }
  return { q: { shape: shape.slice(), data: encodeFp8E4M3(scaled) }, scaleInv: scale };
}
