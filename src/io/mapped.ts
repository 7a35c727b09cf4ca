/**
 * {@link MappedWeights}: the {@link WeightSource} every storage backend shares. It maps canonical
 * names to views of stored tensors (`names.ts`), reads only the bytes a view needs (one expert of
 * a fused tensor, the requested rows of an embedding), decodes them, and dequantises FP8.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import ndarray from 'ndarray';
import type { NDArray } from '../../reference/ndarray.js';
import { CheckpointError, DTypeError, InternS1Error, ShapeError, ValueError } from '../errors.js';
import { type BlockSize, decodeFp8E4M3, dequantFp8Block } from '../ops/dtypes.js';
import { DTYPE_BYTES, type DType, isFloatDType, toFloat32, toFloat64 } from './dtype.js';
import { canonicalNames, isDirect, resolveName, scaleName, type View, viewShape } from './names.js';
import type { RawTensor, TensorInfo, TensorOptions, TensorStore, WeightOptions, WeightSource } from './weights.js';

type Elements = Uint8Array | Uint16Array | Uint32Array | BigUint64Array | Float32Array | Float64Array;

/** Elements of raw bytes as a same-width unsigned typed array (bit-exact copies). */
function asElements(bytes: Uint8Array, width: number): Elements {
  const b = bytes.byteOffset % width === 0 ? bytes : bytes.slice();
  const n = b.byteLength / width;
  if (width === 1) return b;
  if (width === 2) return new Uint16Array(b.buffer, b.byteOffset, n);
  if (width === 4) return new Uint32Array(b.buffer, b.byteOffset, n);
  return new BigUint64Array(b.buffer, b.byteOffset, n);
}

/** Swap the last two axes of row-major `src` with `shape`, in 32×32 tiles (cache-friendly). */
function transposeLast2<T extends Elements>(src: T, shape: readonly number[]): T {
  const R = shape[shape.length - 2];
  const C = shape[shape.length - 1];
  const B = 32;
  const out = new (src.constructor as new (n: number) => T)(src.length);
  for (let l = 0; l < src.length; l += R * C) {
    for (let r0 = 0; r0 < R; r0 += B) {
      const r1 = Math.min(R, r0 + B);
      for (let c0 = 0; c0 < C; c0 += B) {
        const c1 = Math.min(C, c0 + B);
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[l + c * R + r] = src[l + r * C + c];
      }
    }
  }
  return out;
}

/** Apply a view's transpose and row range to elements of the (index-selected) stored tensor. */
function applyView<T extends Elements>(v: View, data: T, shape: number[], userT: boolean): T {
  let out = data;
  let s = shape;
  const skip = v.transpose && userT && !v.rows; // two transposes cancel
  if (v.transpose && !skip) {
    out = transposeLast2(out, s);
    s = [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
  }
  if (v.rows) {
    const inner = s.slice(1).reduce((a, b) => a * b, 1);
    out = out.slice(v.rows[0] * inner, v.rows[1] * inner) as T;
    s = [v.rows[1] - v.rows[0], ...s.slice(1)];
  }
  if (userT && !skip) out = transposeLast2(out, s);
  return out;
}

/**
 * FP8 block dequantisation with the product kept in float64 (for `array()`: the reference sees
 * `Q · scale_inv` exactly, not rounded to float32). The scale grid was checked by the float32 pass.
 */
function dequantF64(codes: Uint8Array, shape: readonly number[], scale: Float32Array, block: BlockSize): Float64Array {
  const [br, bc] = typeof block === 'number' ? [block, block] : block;
  const R = shape[shape.length - 2];
  const C = shape[shape.length - 1];
  const SR = Math.ceil(R / br);
  const SC = Math.ceil(C / bc);
  const q = decodeFp8E4M3(codes);
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const l = Math.floor(i / (R * C));
    const r = Math.floor(i / C) % R;
    out[i] = q[i] * scale[(l * SR + Math.floor(r / br)) * SC + Math.floor((i % C) / bc)];
  }
  return out;
}

/** A {@link WeightSource} over any {@link TensorStore}, with name mapping and FP8 dequantisation. */
export class MappedWeights implements WeightSource {
  readonly location: string;
  private readonly block: BlockSize;
  private readonly views = new Map<string, View | null>();

  /**
   * @param store - the storage (memory, file, sharded folder).
   * @param opts - FP8 block size (default 128).
   */
  constructor(readonly store: TensorStore, opts: WeightOptions = {}) {
    this.location = store.location;
    this.block = opts.fp8BlockSize ?? 128;
  }

  private tryView(name: string): View | undefined {
    let v = this.views.get(name);
    if (v === undefined) {
      v = resolveName(name, this.store) ?? null;
      this.views.set(name, v);
    }
    return v ?? undefined;
  }

  /** The view of `name`, or a CheckpointError naming the tensor, the location and close names. */
  private view(name: string): View {
    const v = this.tryView(name);
    if (v) return v;
    if (typeof name !== 'string') throw new ValueError(`weights: tensor name must be a string, got ${typeof name}`);
    throw new CheckpointError(`${this.location}: no tensor '${name}'${this.suggest(name)}`);
  }

  private suggest(name: string): string {
    const all = this.names();
    const common = (a: string) => { let i = 0; while (i < a.length && a[i] === name[i]) i++; return i; };
    const best = all.map((n) => [n, common(n)] as const).sort((a, b) => b[1] - a[1]).slice(0, 3).filter((x) => x[1] > 0);
    return ` (${all.length} tensors${best.length ? `; closest: ${best.map((b) => `'${b[0]}'`).join(', ')}` : ''})`;
  }

  has(name: string): boolean {
    return this.tryView(name) !== undefined;
  }

  names(): string[] {
    return this.store.names().flatMap((s) => canonicalNames(s, () => this.store.info(s)));
  }

  info(name: string): TensorInfo {
    const v = this.view(name);
    const si = this.store.info(v.stored);
    return { shape: Object.freeze(viewShape(v, si.shape)), dtype: si.dtype };
  }

  /** The stored bytes a view reads: the whole tensor, or one index of axis 0. */
  private readStored(v: View, stored: string = v.stored): { bytes: Uint8Array; shape: number[] } {
    const si = this.store.info(stored);
    if (v.index === undefined) return { bytes: this.store.read(stored), shape: si.shape.slice() };
    const inner = si.shape.slice(1);
    const len = inner.reduce((a, b) => a * b, 1) * DTYPE_BYTES[si.dtype];
    return { bytes: this.store.read(stored, v.index * len, (v.index + 1) * len), shape: inner };
  }

  raw(name: string): RawTensor {
    const v = this.view(name);
    const si = this.store.info(v.stored);
    const { bytes, shape } = this.readStored(v);
    const w = DTYPE_BYTES[si.dtype];
    const el = applyView(v, asElements(bytes, w), shape, false);
    const out = new Uint8Array(el.buffer, el.byteOffset, el.byteLength);
    return { name, dtype: si.dtype, shape: viewShape(v, si.shape), bytes: out };
  }

  /** Decoded values of the (index-selected) stored tensor, FP8 dequantised, as float32 or float64. */
  private decodeStored(name: string, v: View, f64: boolean): { data: Float32Array | Float64Array; shape: number[] } {
    const si = this.store.info(v.stored);
    const { bytes, shape } = this.readStored(v);
    if (si.dtype !== 'F8_E4M3') return { data: f64 ? toFloat64(si.dtype, bytes) : toFloat32(si.dtype, bytes), shape };
    const sName = scaleName(v.stored);
    if (!this.store.has(sName)) {
      throw new CheckpointError(`${this.store.where(v.stored)}: FP8 tensor '${v.stored}' has no scale tensor '${sName}' (spec 9.4)`);
    }
    const sInfo = this.store.info(sName);
    const sc = this.readStored(v, sName);
    const scale = { shape: sc.shape, data: toFloat32(sInfo.dtype, sc.bytes) };
    try {
      const out = dequantFp8Block({ shape, data: bytes }, scale, this.block); // also validates the scale grid
      return { data: f64 ? dequantF64(bytes, shape, scale.data, this.block) : out, shape };
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      throw new CheckpointError(`${this.store.where(sName)}: '${name}': ${e.message} (set the FP8 block size: config quantization_config.weight_block_size)`);
    }
  }

  private checkFloat(name: string, dtype: DType, what: string): void {
    if (!isFloatDType(dtype)) {
      throw new DTypeError(`${this.location}: '${name}' is ${dtype}; ${what} returns float tensors only (use raw() or array() for integers)`);
    }
  }

  float32(name: string, opts: TensorOptions = {}): Float32Array {
    const v = this.view(name);
    const si = this.store.info(v.stored);
    this.checkFloat(name, si.dtype, 'float32()');
    const shape = viewShape(v, si.shape);
    if (opts.transpose && shape.length !== 2) {
      throw new ShapeError(`${this.location}: '${name}' has shape [${shape.join(', ')}]; transpose needs a 2-D weight`);
    }
    const { data, shape: s } = this.decodeStored(name, v, false);
    return applyView(v, data as Float32Array, s, opts.transpose === true);
  }

  tensor(name: string, opts: TensorOptions = {}): tf.Tensor {
    const data = this.float32(name, opts);
    const shape = this.info(name).shape.slice();
    return tf.tensor(data, opts.transpose ? [shape[1], shape[0]] : shape, 'float32');
  }

  array(name: string): NDArray {
    const v = this.view(name);
    const si = this.store.info(v.stored);
    const { data, shape } = this.decodeStored(name, v, true);
    return ndarray(applyView(v, data as Float64Array, shape, false), viewShape(v, si.shape));
  }

  rows(name: string, indices: ArrayLike<number>): Float32Array {
    const v = this.view(name);
    const si = this.store.info(v.stored);
    this.checkFloat(name, si.dtype, 'rows()');
    const shape = viewShape(v, si.shape);
    if (shape.length < 1) throw new ShapeError(`${this.location}: '${name}' is a scalar; rows() needs rank >= 1`);
    const n = shape[0];
    const inner = shape.slice(1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      if (!Number.isInteger(r) || r < 0 || r >= n) throw new ValueError(`${this.location}: rows('${name}'): index ${r} is out of range [0, ${n})`);
    }
    const out = new Float32Array(indices.length * inner);
    if (!isDirect(v) || (si.dtype === 'F8_E4M3' && shape.length !== 2)) {
      const all = this.float32(name);
      for (let i = 0; i < indices.length; i++) out.set(all.subarray(indices[i] * inner, (indices[i] + 1) * inner), i * inner);
      return out;
    }
    const w = DTYPE_BYTES[si.dtype];
    const scale = si.dtype === 'F8_E4M3' ? this.float32Scale(v.stored, shape) : undefined;
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      const bytes = this.store.read(v.stored, r * inner * w, (r + 1) * inner * w);
      out.set(scale ? this.dequantRow(bytes, r, scale) : toFloat32(si.dtype, bytes), i * inner);
    }
    return out;
  }

  /** The scale grid of a 2-D FP8 tensor, checked against its block geometry. */
  private float32Scale(stored: string, shape: number[]): { shape: number[]; data: Float32Array } {
    const s = scaleName(stored);
    if (!this.store.has(s)) throw new CheckpointError(`${this.store.where(stored)}: FP8 tensor '${stored}' has no scale tensor '${s}' (spec 9.4)`);
    const i = this.store.info(s);
    const [br, bc] = typeof this.block === 'number' ? [this.block, this.block] : this.block;
    const want = [Math.ceil(shape[0] / br), Math.ceil(shape[1] / bc)];
    if (i.shape.length !== 2 || i.shape[0] !== want[0] || i.shape[1] !== want[1]) {
      throw new CheckpointError(`${this.store.where(s)}: scale '${s}' has shape [${i.shape.join(', ')}] but '${stored}' [${shape.join(', ')}] with blocks ${br}x${bc} needs [${want.join(', ')}] (set the FP8 block size: config quantization_config.weight_block_size)`);
    }
    return { shape: i.shape.slice(), data: toFloat32(i.dtype, this.store.read(s)) };
  }

  private dequantRow(bytes: Uint8Array, r: number, scale: { shape: number[]; data: Float32Array }): Float32Array {
    const br = typeof this.block === 'number' ? this.block : this.block[0];
    const bc = typeof this.block === 'number' ? this.block : this.block[1];
    const SC = scale.shape[1];
    const row = { shape: [1, SC], data: scale.data.subarray(Math.floor(r / br) * SC, (Math.floor(r / br) + 1) * SC) };
    try {
      return dequantFp8Block({ shape: [1, bytes.length], data: bytes }, row, [1, bc]);
    } catch (e) {
      throw e instanceof InternS1Error ? new CheckpointError(`${this.location}: ${e.message}`) : e;
    }
  }

  close(): void {
    this.store.close();
  }
}
