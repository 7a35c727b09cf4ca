/**
 * Weight sources: lazy, name-addressed access to checkpoint tensors (DESIGN.md "API shape").
 *
 * A {@link WeightSource} resolves Hugging Face checkpoint names (spec section 9) on demand:
 * `tensor(name)` gives a float32 `tf.Tensor` for the fast path, `array(name)` a float64 `NDArray`
 * for the reference, `raw(name)` the stored bytes (integer tensors, FP8 codes). Nothing is read
 * until asked for, so a 2 TB checkpoint opens in milliseconds and a layer loads only its weights.
 *
 * Every source sees the same canonical names, whatever the storage:
 * - FP8 (`F8_E4M3`) weights are dequantised with their `<name>_scale_inv` sibling (spec 9.4);
 * - fused experts `mlp.experts.gate_up_proj [E, D, 2I]` / `down_proj [E, I, D]` appear as
 *   `mlp.experts.{e}.{gate_proj,up_proj,down_proj}.weight [out, in]` (spec 9.5);
 * - InternVL-chat names (`vision_model.*`, `mlp1.*`, `language_model.model.*`) appear under the
 *   HF names (spec 9.1 table), the fused `attn.qkv` split into `q_proj`, `k_proj`, `v_proj`;
 * - `rotary_emb.inv_freq` / `cos_cached` / `sin_cached` buffers are hidden (`cos_coef` /
 *   `sin_coef` are kept).
 *
 * Implementations: {@link memoryWeights} (tests, no files), and in `checkpoint.ts` a single
 * safetensors file and a (sharded) Hugging Face folder. The reference side uses the same objects
 * through the structural interface in `reference/weights.ts`.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import type { NDArray } from '../../reference/ndarray.js';
import type { BlockSize } from '../ops/dtypes.js';
import { type DType, toBytes, DTYPE_BYTES, isDType } from './dtype.js';
import { CheckpointError, DTypeError, InternS1Error, ShapeError } from '../errors.js';
import { MappedWeights } from './mapped.js';

export type { DType } from './dtype.js';

/** Shape and storage dtype of one tensor (for a mapped name: after the mapping). */
export interface TensorInfo {
  /** Shape in the canonical `[out, in]` layout. */
  readonly shape: readonly number[];
  /** Storage dtype (an FP8 weight says `F8_E4M3`; `tensor()` still returns float32). */
  readonly dtype: DType;
}

/** Stored bytes of one tensor: little-endian, row-major, in `dtype`. */
export interface RawTensor {
  /** The tensor's name (after name mapping). */
  readonly name: string;
  /** Storage dtype of `bytes`. */
  readonly dtype: DType;
  /** Shape, row-major. */
  readonly shape: number[];
  /** The stored bytes: little-endian, row-major, in `dtype`. */
  readonly bytes: Uint8Array;
}

/** Options of {@link WeightSource.tensor} and {@link WeightSource.float32}. */
export interface TensorOptions {
  /**
   * Return the transpose `Wᵀ` of a 2-D weight, for the fast `x · W'` form (DESIGN.md: store the
   * transpose once at load so products are untransposed 2-D matmuls). Rank ≠ 2 is a ShapeError.
   */
  readonly transpose?: boolean;
}

/** Lazy, name-addressed access to the tensors of a checkpoint. */
export interface WeightSource {
  /** The file or folder (or `<memory>`), as named in error messages. */
  readonly location: string;
  /** Whether `name` resolves (after name mapping). */
  has(name: string): boolean;
  /** Every resolvable name, in storage order (mapped names replace the stored ones). */
  names(): string[];
  /** Shape and storage dtype of `name`; throws CheckpointError if missing. */
  info(name: string): TensorInfo;
  /**
   * `name` as a float32 tensor (FP8 dequantised, BF16 / F16 decoded). The caller owns it and
   * disposes it. Integer and bool tensors are a DTypeError here: use {@link raw}.
   */
  tensor(name: string, opts?: TensorOptions): tf.Tensor;
  /** `name` decoded to float32 values, row-major (the data behind {@link tensor}). */
  float32(name: string, opts?: TensorOptions): Float32Array;
  /** `name` as a float64 NDArray for the reference (integers converted exactly). */
  array(name: string): NDArray;
  /** The stored bytes of `name` (integer tensors, FP8 codes), after name mapping. */
  raw(name: string): RawTensor;
  /**
   * Rows `indices` of the first axis of `name`, decoded to float32 (`[indices.length, ...rest]`
   * row-major). Reads only those rows' bytes when the storage allows (embedding lookups).
   */
  rows(name: string, indices: ArrayLike<number>): Float32Array;
  /** Release file handles (a no-op for memory sources). Later reads reopen the files. */
  close(): void;
}

/**
 * The storage under a {@link WeightSource}: stored names, their header info, and byte-range
 * reads. File and memory backends implement it; name mapping and decoding live above it.
 */
export interface TensorStore {
  /** File or folder for messages. */
  readonly location: string;
  /** Stored names in storage order. */
  names(): string[];
  /** Whether `name` is stored. */
  has(name: string): boolean;
  /** Stored shape and dtype; throws CheckpointError if missing. */
  info(name: string): TensorInfo;
  /** Bytes `[start, end)` of the tensor's data (default: all of it). */
  read(name: string, start?: number, end?: number): Uint8Array;
  /** Where `name` lives, for messages (file path, absolute byte offset). */
  where(name: string): string;
  /** Release open file handles (a no-op for memory stores). */
  close(): void;
}

/** Options shared by the weight-source constructors. */
export interface WeightOptions {
  /**
   * Block size of FP8 `weight_scale_inv` grids (spec 9.4). `openCheckpoint` reads it from
   * `config.json` (`quantization_config.weight_block_size`); default 128.
   */
  readonly fp8BlockSize?: BlockSize;
}

/**
 * One tensor of an in-memory source or of a file to write: either `data` (values, encoded to
 * `dtype` with round-to-nearest-even; integers must be in range) or `bytes` (already encoded,
 * little-endian).
 */
export interface TensorInput {
  /** Storage dtype to encode `data` to (or the dtype of `bytes`). */
  readonly dtype: DType;
  /** Shape, row-major. */
  readonly shape: readonly number[];
  /** Values, row-major, one per element: numbers or bigints (bigints keep I64 / U64 values exact); give this or `bytes`. */
  readonly data?: ArrayLike<number> | ArrayLike<bigint>;
  /** Already-encoded bytes, little-endian, row-major; give this or `data`. */
  readonly bytes?: Uint8Array;
}

/** Check a {@link TensorInput}'s dtype, shape, and that its data or bytes fill the shape. */
export function checkInput(name: string, t: TensorInput): void {
  if (!isDType(t.dtype)) throw new DTypeError(`tensor '${name}': unknown dtype '${String(t.dtype)}'`);
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new ShapeError(`tensor '${name}': shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
  }
  if ((t.data === undefined) === (t.bytes === undefined)) {
    throw new CheckpointError(`tensor '${name}': give exactly one of 'data' (values) or 'bytes' (encoded)`);
  }
  const n = t.shape.reduce((a, b) => a * b, 1);
  const got = t.bytes ? t.bytes.byteLength : t.data!.length;
  const want = t.bytes ? n * DTYPE_BYTES[t.dtype] : n;
  if (got !== want) {
    throw new ShapeError(`tensor '${name}': shape [${t.shape.join(', ')}] ${t.dtype} needs ${n} elements, got ${t.bytes ? `${got} bytes` : `${got} values`}`);
  }
}

/** Encode one {@link TensorInput} to bytes, checking that shape, dtype and size agree. */
export function inputBytes(name: string, t: TensorInput): Uint8Array {
  checkInput(name, t);
  if (t.bytes) return t.bytes;
  try {
    return toBytes(t.dtype, t.data as ArrayLike<number>);
  } catch (e) {
    if (e instanceof InternS1Error) throw new (e.constructor as typeof InternS1Error)(`tensor '${name}': ${e.message}`);
    throw e;
  }
}

/** A {@link TensorStore} over encoded tensors held in memory. */
export function memoryStore(tensors: Record<string, TensorInput>, location = '<memory>'): TensorStore {
  const entries = new Map<string, { info: TensorInfo; bytes: Uint8Array }>();
  for (const [name, t] of Object.entries(tensors)) {
    entries.set(name, { info: { shape: Object.freeze(t.shape.slice()), dtype: t.dtype }, bytes: inputBytes(name, t) });
  }
  const get = (name: string) => {
    const e = entries.get(name);
    if (!e) throw new CheckpointError(`${location}: no tensor '${name}'`);
    return e;
  };
  return {
    location,
    names: () => [...entries.keys()],
    has: (name) => entries.has(name),
    info: (name) => get(name).info,
    read: (name, start = 0, end) => get(name).bytes.slice(start, end ?? get(name).bytes.byteLength),
    where: () => location,
    close: () => {},
  };
}

/**
 * A weight source over tensors held in memory, so tests and examples need no files. Name mapping
 * and FP8 dequantisation apply exactly as for files.
 *
 * @param tensors - name → `{ dtype, shape, data }` (values) or `{ dtype, shape, bytes }`.
 * @param opts - FP8 block size (default 128).
 * @throws ShapeError / DTypeError when a tensor's data does not fit its shape or dtype.
 * @example
 * ```ts
 * import { memoryWeights } from 'intern-s1-ts';
 * const w = memoryWeights({ 'lm_head.weight': { dtype: 'BF16', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] } });
 * w.tensor('lm_head.weight', { transpose: true }).print(); // => [[1, 4], [2, 5], [3, 6]]
 * ```
 */
export function memoryWeights(tensors: Record<string, TensorInput>, opts: WeightOptions = {}): WeightSource {
  return new MappedWeights(memoryStore(tensors), opts);
}

export { MappedWeights } from './mapped.js';
