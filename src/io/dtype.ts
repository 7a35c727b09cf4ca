/**
 * The safetensors dtypes and conversion between their little-endian bytes and JavaScript numbers.
 *
 * @module
 */
import { DTypeError, ValueError } from '../errors.js';
import {
  decodeBf16, decodeE8M0, decodeF16, decodeFp8E4M3, decodeFp8E5M2, encodeBf16, encodeF16, encodeFp8E4M3,
} from '../ops/dtypes.js';

/**
 * A safetensors dtype name as it appears in a file header. Reading supports all of them; writing
 * supports all but `F8_E5M2` and `F8_E8M0`.
 */
export type DType =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'F8_E8M0'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = Object.freeze({
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
});

/** Whether `s` is a dtype name this library reads. */
export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

/** Floating-point dtypes (decoded to float32 / float64 by the weight sources). */
export function isFloatDType(d: DType): boolean {
  return d.startsWith('F') || d === 'BF16';
}

/** A copy when `bytes` is not aligned for `width`-byte elements, else a view. */
function aligned(bytes: Uint8Array, width: number): Uint8Array {
  return bytes.byteOffset % width === 0 ? bytes : bytes.slice();
}

/** Typed values in a dtype's natural JavaScript form. */
export type TypedValues = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array
  | Uint32Array | Uint16Array | Uint8Array | BigInt64Array | BigUint64Array;

/**
 * The values of little-endian `bytes` of dtype `dtype` in their natural typed array: floats
 * narrower than 32 bits decode to `Float32Array`, 64-bit integers to `BigInt64Array` /
 * `BigUint64Array`, `BOOL` to `Uint8Array` of 0/1.
 */
export function typedValues(dtype: DType, bytes: Uint8Array): TypedValues {
  const w = DTYPE_BYTES[dtype];
  if (bytes.byteLength % w !== 0) throw new DTypeError(`${dtype}: ${bytes.byteLength} bytes is not a multiple of ${w}`);
  const b = aligned(bytes, w);
  const n = b.byteLength / w;
  switch (dtype) {
    case 'F64': return new Float64Array(b.buffer, b.byteOffset, n);
    case 'F32': return new Float32Array(b.buffer, b.byteOffset, n);
    case 'F16': return decodeF16(b);
    case 'BF16': return decodeBf16(b);
    case 'F8_E4M3': return decodeFp8E4M3(b);
    case 'F8_E5M2': return decodeFp8E5M2(b);
    case 'F8_E8M0': return decodeE8M0(b);
    case 'I64': return new BigInt64Array(b.buffer, b.byteOffset, n);
    case 'U64': return new BigUint64Array(b.buffer, b.byteOffset, n);
    case 'I32': return new Int32Array(b.buffer, b.byteOffset, n);
    case 'U32': return new Uint32Array(b.buffer, b.byteOffset, n);
    case 'I16': return new Int16Array(b.buffer, b.byteOffset, n);
    case 'U16': return new Uint16Array(b.buffer, b.byteOffset, n);
    case 'I8': return new Int8Array(b.buffer, b.byteOffset, n);
    case 'U8': return b;
    case 'BOOL': return Uint8Array.from(b, (v) => (v ? 1 : 0));
  }
}

/** Values as float32 (floats decoded; integers converted, 64-bit ones through Number). */
export function toFloat32(dtype: DType, bytes: Uint8Array): Float32Array {
  const v = typedValues(dtype, bytes);
  if (v instanceof Float32Array) return v.buffer === bytes.buffer ? v.slice() : v;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float32Array.from(v, Number);
  return Float32Array.from(v);
}

/**
 * Values as float64 (the reference's numbers). 64-bit integers beyond ±2^53 are a DTypeError
 * rather than a silent rounding.
 */
export function toFloat64(dtype: DType, bytes: Uint8Array): Float64Array {
  const v = typedValues(dtype, bytes);
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const n = Number(v[i]);
      if (!Number.isSafeInteger(n)) throw new DTypeError(`${dtype} value ${v[i]} at index ${i} does not fit a float64 exactly`);
      out[i] = n;
    }
    return out;
  }
  if (v instanceof Float64Array) return v.buffer === bytes.buffer ? v.slice() : v;
  return Float64Array.from(v);
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  I32: [-(2 ** 31), 2 ** 31 - 1], I16: [-32768, 32767], I8: [-128, 127],
  U32: [0, 2 ** 32 - 1], U16: [0, 65535], U8: [0, 255], BOOL: [0, 1],
};

function checkInts(dtype: DType, values: ArrayLike<number | bigint>): void {
  const [lo, hi] = INT_RANGE[dtype] ?? [-(2 ** 63), 2 ** 64];
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new ValueError(`cannot store ${String(values[i])} (index ${i}) as ${dtype}: integers in [${lo}, ${hi}] only`);
    }
  }
}

/**
 * Encode `values` as little-endian bytes of `dtype` (floats rounded to nearest even; integers
 * must be in range, else a ValueError: no silent wrapping).
 */
export function toBytes(dtype: DType, values: ArrayLike<number | bigint>): Uint8Array {
  const big = values instanceof BigInt64Array || values instanceof BigUint64Array || (values.length > 0 && typeof values[0] === 'bigint');
  // Typed arrays of numbers convert directly (no intermediate JS array for large tensors).
  const nums = (): ArrayLike<number> => (big ? Array.from(values, Number) : (values as ArrayLike<number>));
  const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  switch (dtype) {
    case 'F64': return u8(Float64Array.from(nums()));
    case 'F32': return u8(Float32Array.from(nums()));
    case 'F16': return encodeF16(nums());
    case 'BF16': return encodeBf16(nums());
    case 'F8_E4M3': return encodeFp8E4M3(nums());
    case 'F8_E5M2':
    case 'F8_E8M0': throw new DTypeError(`writing ${dtype} is not supported (pass raw bytes instead)`);
    case 'I64': checkInts(dtype, values); return u8(BigInt64Array.from(values, (v) => BigInt(v)));
    case 'U64': checkInts(dtype, values); return u8(BigUint64Array.from(values, (v) => BigInt(v)));
    default: {
      checkInts(dtype, values);
      const ctor = { I32: Int32Array, U32: Uint32Array, I16: Int16Array, U16: Uint16Array, I8: Int8Array, U8: Uint8Array, BOOL: Uint8Array }[dtype];
      return u8(ctor.from(nums() as number[]));
    }
  }
}
