/**
 * Writing safetensors files. The header is deterministic: `__metadata__` first, then tensors in
 * sorted name order with contiguous data in that order, padded with spaces to a multiple of 8
 * bytes (as the Rust writer does), so the same tensors always give the same bytes.
 *
 * @module
 */
import { CheckpointError } from '../errors.js';
import { DTYPE_BYTES } from './dtype.js';
import { type AtomicWriteOptions, writeFileAtomic } from './fs-safe.js';
import { type TensorInput, checkInput, inputBytes } from './weights.js';

interface Planned {
  header: Uint8Array;
  /** Tensors in data order; each is encoded only when written. */
  order: [string, TensorInput][];
}

/** Header bytes and data order. Sizes come from shapes, so nothing is encoded yet. */
function plan(tensors: Record<string, TensorInput>, metadata?: Record<string, string>): Planned {
  const names = Object.keys(tensors).sort();
  // own properties even for names like '__proto__' (a plain `header[name] = ...` would set the prototype)
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const put = (k: string, v: unknown) => Object.defineProperty(header, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointError(`safetensors metadata '${k}' must be a string, got ${typeof v}`);
    }
    put('__metadata__', Object.fromEntries(Object.keys(metadata).sort().map((k) => [k, metadata[k]])));
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new CheckpointError(`'__metadata__' cannot be a tensor name`);
    const t = tensors[name];
    checkInput(name, t);
    const size = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    put(name, { dtype: t.dtype, shape: t.shape.slice(), data_offsets: [offset, offset + size] });
    offset += size;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  return { header: out, order: names.map((n) => [n, tensors[n]]) };
}

/**
 * Serialize tensors to safetensors bytes in memory.
 *
 * @param tensors - name → `{ dtype, shape, data }` (values) or `{ dtype, shape, bytes }`.
 * @param metadata - string key/values for `__metadata__`.
 * @throws ShapeError / DTypeError / ValueError when data does not fit its shape or dtype.
 * @example
 * ```ts
 * import { serializeSafetensors, SafetensorsFile } from 'intern-s1-ts';
 * const bytes = serializeSafetensors({ x: { dtype: 'F32', shape: [2], data: [1, 2] } });
 * SafetensorsFile.fromBytes(bytes).entry('x').shape; // => [2]
 * ```
 */
export function serializeSafetensors(tensors: Record<string, TensorInput>, metadata?: Record<string, string>): Uint8Array {
  const p = plan(tensors, metadata);
  const parts = p.order.map(([n, t]) => inputBytes(n, t));
  const out = new Uint8Array(p.header.byteLength + parts.reduce((a, b) => a + b.byteLength, 0));
  out.set(p.header, 0);
  let o = p.header.byteLength;
  for (const b of parts) {
    out.set(b, o);
    o += b.byteLength;
  }
  return out;
}

/**
 * Write tensors to a safetensors file (streamed, tensor by tensor, in chunks of at most 64 MiB so
 * files over 2 GiB work; written to a temporary file in the same folder, fsynced and renamed, so
 * readers never see a half-written file and a failure leaves nothing behind). Parent folders are
 * created. See {@link writeFileAtomic} for the checks on the target.
 *
 * @param file - destination path.
 * @param tensors - name → `{ dtype, shape, data }` or `{ dtype, shape, bytes }`.
 * @param metadata - string key/values for `__metadata__`.
 * @param opts - `overwrite: false` refuses an existing file; `inputs` lists paths the target must not be.
 * @returns the number of bytes written.
 * @throws FileError when the target is a folder, an input, an existing file with `overwrite: false`,
 *   or cannot be written.
 * @example
 * ```ts
 * import { writeSafetensors } from 'intern-s1-ts';
 * writeSafetensors('/tmp/x.safetensors', { ids: { dtype: 'I64', shape: [3], data: [1, 2, 3] } }, { format: 'pt' });
 * ```
 */
export function writeSafetensors(file: string, tensors: Record<string, TensorInput>, metadata?: Record<string, string>, opts: AtomicWriteOptions = {}): number {
  const p = plan(tensors, metadata);
  // tensors are encoded one at a time as they are written (never the whole file in memory)
  function* parts(): Generator<Uint8Array> {
    yield p.header;
    for (const [n, t] of p.order) yield inputBytes(n, t);
  }
  return writeFileAtomic(file, parts(), { what: 'safetensors output', ...opts });
}
