/** Random in-memory checkpoints for layer tests (seeded; shared by the nn and model tests). */
import { memoryWeights, type TensorInput, type WeightSource } from '../../src/io/weights.js';
import { mulberry32, normals, sizeOf } from './arbitraries.js';

/** A spec of one tensor: shape, and how to fill it (normal std, or a constant). */
export type TensorSpec = { shape: number[]; std?: number; mean?: number; value?: number };

/** Build a seeded random memory checkpoint from `{name: spec}` (float32 values). */
export function randomWeights(specs: Record<string, TensorSpec>, seed: number): WeightSource {
  const rand = mulberry32(seed);
  const tensors: Record<string, TensorInput> = {};
  for (const [name, s] of Object.entries(specs)) {
    const n = sizeOf(s.shape);
    const data = s.value !== undefined ? new Float64Array(n).fill(s.value) : normals(rand, n, s.std ?? 0.1, s.mean ?? 0);
    tensors[name] = { dtype: 'F32', shape: s.shape, data };
  }
  return memoryWeights(tensors);
}

/** Every tensor of `w` as float32 data. */
export function tensorsOf(w: WeightSource): Record<string, TensorInput> {
  const out: Record<string, TensorInput> = {};
  for (const n of w.names()) out[n] = { dtype: 'F32', shape: w.info(n).shape, data: w.float32(n) };
  return out;
}

/** A copy of `w` without the tensors named in `drop`. */
export function without(w: WeightSource, ...drop: string[]): WeightSource {
  const t = tensorsOf(w);
  for (const d of drop) delete t[d];
  return memoryWeights(t);
}

/** A copy of `w` with some tensors added or replaced. */
export function withTensors(w: WeightSource, extra: Record<string, TensorInput>): WeightSource {
  return memoryWeights({ ...tensorsOf(w), ...extra });
}
